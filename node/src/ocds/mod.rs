//! Import of Open Contracting Data Standard (OCDS) data as coopnet
//! [`ContractFields`]: public buyers publish tenders as OCDS release and
//! record packages, and a co-op imports them as contract opportunities.
//!
//! [`parse`] accepts a release package (`{"releases": [...]}`), a record
//! package (`{"records": [...]}`) or a single release object, as UTF-8 JSON
//! of at most [`MAX_INPUT_LEN`] bytes, and gives one [`Imported`] per release
//! (or record): either contract fields that pass
//! [`Contract::parse`](coopnet_protocol::kinds::Contract::parse), or a
//! [`Skipped`] with the reason. Real data is messy, so the reading is loose:
//! every field is optional, nulls and wrongly typed values count as absent,
//! unknown and extension fields are ignored, and numbers may arrive as text.
//!
//! # Which release
//!
//! - **Record package**: a record's `compiledRelease` if it has one; otherwise
//!   its releases merged oldest to newest by `date` (so the latest release
//!   wins, and earlier ones only fill what it leaves out).
//! - **Release package**: releases sharing an `ocid` are stages of one
//!   process. They are merged the same way into the latest one, which gives
//!   the contract; the earlier ones are skipped as superseded. So every
//!   imported contract has a distinct `ocid`, and so a distinct
//!   [`contract_key`].
//!
//! Merging follows the OCDS rules, simplified: objects merge field by field,
//! a `null` removes a field, arrays of objects with `id`s merge by `id`, and
//! any other value or array is replaced by the newer one.
//!
//! # Mapping (`tender` is the release's tender section)
//!
//! A release without a `tender` is skipped ("no tender section"): it is
//! about another stage (an award, a contract) and is no opportunity.
//!
//! | field | from |
//! |---|---|
//! | title | `tender.title`, else the first line of `tender.description`, else skipped |
//! | buyer | `buyer.name`, else the party with role `buyer`, then `procuringEntity`, else `tender.procuringEntity.name`, else skipped |
//! | description | `tender.description`, else the item descriptions one per line |
//! | required_skills | up to 10 `classification` and `additionalClassifications` descriptions of `tender.items` (and of the tender), each as written (white space cleaned; ones with no letters or digits skipped), unique ignoring case; partner matching resolves them through [`Taxonomy::esco`](coopnet_protocol::taxonomy::Taxonomy::esco) |
//! | value | `tender.value` as `amount` and `tender.minValue` as `min`, each in hundredths (pence kept; more decimals rounded, noted), currency upper-cased; each left out (noted) if its amount or currency is missing or invalid, or its amount is 0 (publishers write 0 for "unknown"); `min` left out if it is more than the value or in another currency |
//! | deadline | `tender.tenderPeriod.endDate`, ISO 8601 with `Z` or an offset (none means UTC); a bare date means 00:00 UTC that day |
//! | period | the calendar dates of `tender.contractPeriod` `startDate` and `endDate`; left out unless both parse and end ≥ start |
//! | location | the first of `tender.deliveryAddresses`/`deliveryLocations`, the items' `deliveryAddress(es)`/`deliveryLocation(s)`, the buyer's address, the procuring entity's address: locality, region, country |
//! | source_url | the first http(s) `tender.documents[].url`, a `tenderNotice` first; else the release's `uri` |
//! | ocid | `ocid` of the release (or of its record) |
//! | status | `tender.status` `cancelled`/`unsuccessful`/`withdrawn` → closed; `complete`/`awarded`, or any award not cancelled or unsuccessful → awarded; otherwise (`active`, `planning`, `planned`, missing) → open |
//!
//! Single-line text has its line breaks and runs of spaces collapsed, and
//! text over its limit is cut at a character boundary and ends with "…";
//! HTML character references (`&amp;`) are decoded. Every change — an
//! optional field left out, a cut, collapsed spaces, decoded references,
//! a rounded value, a status taken as open — is reported in
//! [`Imported::notes`].

mod convert;
mod entities;
mod import;
mod release;

pub use import::{Action, ImportError, Line, Report};

#[cfg(test)]
mod notes_tests;
#[cfg(test)]
mod tests;

use coopnet_protocol::MAX_KEY_LEN;
use coopnet_protocol::kinds::ContractFields;
use sha2::{Digest, Sha256};

/// The largest input [`parse`] reads: 16 MiB.
pub const MAX_INPUT_LEN: usize = 16 * 1024 * 1024;

/// Why a file could not be read as OCDS data at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcdsError {
    /// The input is larger than [`MAX_INPUT_LEN`]; nothing was read.
    #[error(
        "the file is {len} bytes, over the 16 MiB limit; split it into smaller packages and import each"
    )]
    TooLarge {
        /// The input's length in bytes.
        len: usize,
    },
    /// The input is UTF-8 but not JSON.
    #[error("the file is not valid JSON (line {line}, column {column}): {message}")]
    NotJson {
        /// Line of the problem, from 1.
        line: usize,
        /// Column of the problem, from 1 (0 for an empty file).
        column: usize,
        /// What the JSON parser found.
        message: String,
    },
    /// The input is JSON but neither a release or record package nor a
    /// release (or a package with no releases or records).
    #[error("no releases or records found: is this an OCDS release or record package?")]
    NotOcds,
}

/// One release (or record) of the input, converted or skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The release's `ocid` (trimmed), if it has one.
    pub ocid: Option<String>,
    /// The contract fields, valid for `Contract::parse`, or why there are none.
    pub outcome: Result<ContractFields, Skipped>,
    /// What was left out or cut to make the fields valid, one sentence each.
    pub notes: Vec<String>,
}

impl Imported {
    /// The record key for this contract ([`contract_key`] of the ocid), if
    /// the release has an ocid.
    pub fn key(&self) -> Option<String> {
        self.ocid.as_deref().map(contract_key)
    }
}

/// Why a release gave no contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Skipped {
    /// The reason, as a sentence for a person.
    pub reason: String,
}

impl Skipped {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// What [`parse`] read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// One per release or record, in file order.
    pub releases: Vec<Imported>,
    /// About the file as a whole: how it was decoded, if not as UTF-8.
    pub notes: Vec<String>,
}

/// Reads an OCDS release package, record package or single release: one
/// [`Imported`] per release or record, in file order.
///
/// OCDS data must be UTF-8, but publishers' older systems save ISO-8859-1
/// or Windows-1252: a file that is not UTF-8 is read as Windows-1252 (of
/// which ISO-8859-1's letters are a part), and [`Parsed::notes`] says so.
///
/// # Errors
///
/// [`OcdsError`] when the input as a whole is unusable: too large, not
/// JSON, or not OCDS. Problems with a single release only skip it.
pub fn parse(bytes: &[u8]) -> Result<Parsed, OcdsError> {
    if bytes.len() > MAX_INPUT_LEN {
        return Err(OcdsError::TooLarge { len: bytes.len() });
    }
    let mut notes = Vec::new();
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(error) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            notes.push(format!(
                "The file is not UTF-8 (byte {} is not): it was read as Windows-1252 \
                 (ISO-8859-1), the legacy encoding publishers use; check that accented \
                 letters look right.",
                error.valid_up_to()
            ));
            text
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let json: serde_json::Value = serde_json::from_str(text).map_err(|error| {
        let line = error.line();
        let column = error.column();
        let message = error.to_string();
        let suffix = format!(" at line {line} column {column}");
        let message = message.strip_suffix(&suffix).unwrap_or(&message).to_owned();
        OcdsError::NotJson {
            line,
            column,
            message,
        }
    })?;
    let units = release::units(json).ok_or(OcdsError::NotOcds)?;
    let releases: Vec<Imported> = units.into_iter().map(convert::convert).collect();
    tracing::debug!(
        releases = releases.len(),
        contracts = releases.iter().filter(|i| i.outcome.is_ok()).count(),
        "read OCDS data"
    );
    Ok(Parsed { releases, notes })
}

/// The contract record key for an ocid: `ocds:` and the ocid, if that is a
/// valid record key (printable ASCII without spaces, at most 128 bytes) and
/// the ocid has no `~`; otherwise the ocid with every other byte replaced
/// by `-`, cut to fit, then `~` and 16 hex digits of its SHA-256. Keys of
/// the first form never contain `~` and keys of the second always do, so
/// distinct ocids get distinct keys (barring a 64-bit hash collision).
pub fn contract_key(ocid: &str) -> String {
    const PREFIX: &str = "ocds:";
    const HASH_HEX: usize = 16;
    let plain = ocid.bytes().all(|b| b.is_ascii_graphic() && b != b'~');
    if plain && PREFIX.len() + ocid.len() <= MAX_KEY_LEN {
        return format!("{PREFIX}{ocid}");
    }
    let room = MAX_KEY_LEN - PREFIX.len() - 1 - HASH_HEX;
    let cleaned: String = ocid
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '~' {
                c
            } else {
                '-'
            }
        })
        .take(room)
        .collect();
    let digest = Sha256::digest(ocid.as_bytes());
    let hash = hex::encode(&digest[..HASH_HEX / 2]);
    format!("{PREFIX}{cleaned}~{hash}")
}

/// The OCDS sample files shipped in `node/demo-data/ocds/` (see its
/// README for their origin and licences), by file name, for the demo.
pub fn demo_files() -> Vec<(&'static str, &'static [u8])> {
    macro_rules! sample {
        ($name:literal) => {
            (
                $name,
                include_bytes!(concat!("../../demo-data/ocds/", $name)).as_slice(),
            )
        };
    }
    vec![
        sample!("fictional-tender-barnet-cycle-lanes.json"),
        sample!("release-package-1.json"),
        sample!("release-package-2.json"),
        sample!("record-package-2.json"),
        sample!("release-package_1.1-2.json"),
        sample!("release-package_encoding-iso-8859-1.json"),
    ]
}
