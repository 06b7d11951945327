//! The API's JSON shapes that are not record fields themselves.

use super::bodies::{CapacityJson, ContractBody, ProfileJson, SkillsJson};
use serde::{Deserialize, Serialize};

use crate::backend::{CoopHit, RecordView};
use crate::ops::{self, ContractItem, CoopDetail, Own};

/// One of our co-op's records: what it says and how far it has spread.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OwnRecord<T> {
    /// The fields; `null` if never published or withdrawn.
    pub body: Option<T>,
    /// The published record, if any.
    pub published: Option<PublishedInfo>,
}

/// A published record's identity and spread.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublishedInfo {
    /// The record's id (the hash of its bytes), 64 hex characters.
    pub record_id: String,
    /// Its version (strictly increasing per slot).
    pub version: u64,
    /// When it was issued, Unix milliseconds.
    pub issued_at: u64,
    /// Whether it is a withdrawal (tombstone).
    pub withdrawn: bool,
    /// Connected peers known to hold it.
    pub peers_holding: u32,
}

impl<T> OwnRecord<T> {
    /// Builds the JSON from [`Own`], taking the body out with `pick`.
    pub fn new(own: Own, pick: impl FnOnce(coopnet_protocol::Body) -> Option<T>) -> Self {
        let published = own.record.as_ref().map(|r: &RecordView| PublishedInfo {
            record_id: r.id.to_string(),
            version: r.version,
            issued_at: r.issued_at.0,
            withdrawn: r.body.is_none(),
            peers_holding: own.holders,
        });
        OwnRecord {
            body: own.record.and_then(|r| r.body).and_then(pick),
            published,
        }
    }
}

/// A co-op found by a partner search.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CoopResult {
    /// The co-op's key, 64 hex characters (`/coops/{coop_key}`).
    pub coop_key: String,
    /// Its name.
    pub name: String,
    /// Its summary.
    pub summary: String,
    /// Its region.
    pub region: String,
    /// The asked-for skills it has.
    pub matched_skills: Vec<String>,
    /// How many skills were asked for.
    pub skills_asked: usize,
    /// Person-days available in the window (all its capacity if none given).
    pub days_available: u32,
    /// Its lowest day rate there.
    pub min_rate: Option<u32>,
    /// The rate's currency.
    pub currency: Option<String>,
    /// Why it matched, in a sentence.
    pub why: String,
}

impl CoopResult {
    /// From a hit; `window` says whether the search had a date window.
    pub fn new(hit: CoopHit, window: bool) -> Self {
        let why = ops::why(&hit, window);
        CoopResult {
            coop_key: hit.author.to_string(),
            name: hit.name,
            summary: hit.summary,
            region: hit.region,
            matched_skills: hit.matched_skills,
            skills_asked: hit.skills_asked,
            days_available: hit.days_available,
            min_rate: hit.min_rate,
            currency: hit.currency,
            why,
        }
    }
}

/// One page of a partner search.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CoopList {
    /// The co-ops on this page, best match first.
    pub coops: Vec<CoopResult>,
    /// How many co-ops match in all.
    pub total: usize,
    /// How many were skipped before this page.
    pub offset: usize,
    /// The most this page could hold.
    pub limit: usize,
}

/// One page of contracts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContractList {
    /// The contracts on this page.
    pub contracts: Vec<ContractJson>,
    /// How many contracts match in all.
    pub total: usize,
    /// How many were skipped before this page.
    pub offset: usize,
    /// The most this page could hold.
    pub limit: usize,
}

/// A contract.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContractJson {
    /// Its stable id (the publishing co-op's key, `-`, its record key),
    /// for `/contracts/{contract_id}`.
    pub contract_id: String,
    /// The key of the co-op that published it.
    pub coop_key: String,
    /// Its record key (the publisher's own name for it).
    pub key: String,
    /// Its version.
    pub version: u64,
    /// What it says.
    #[serde(flatten)]
    pub body: ContractBody,
}

impl From<ContractItem> for ContractJson {
    fn from(item: ContractItem) -> Self {
        ContractJson {
            contract_id: item.id,
            coop_key: item.author.to_string(),
            key: item.key,
            version: item.version,
            body: item.fields.into(),
        }
    }
}

/// A contract and the co-ops that could cover it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContractPage {
    /// The contract.
    pub contract: ContractJson,
    /// Co-ops (other than ours) with its skills, best first.
    pub matches: Vec<CoopResult>,
}

/// A new contract: its fields, and optionally its record key.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewContract {
    /// The record key (printable ASCII, no spaces); a random one if absent.
    pub key: Option<String>,
    /// The contract.
    #[serde(flatten)]
    pub body: ContractBody,
}

/// What adding a contract did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContractAdded {
    /// The contract's stable id.
    pub contract_id: String,
    /// The record id.
    pub record_id: String,
    /// Its version.
    pub version: u64,
}

/// A co-op's published records.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CoopJson {
    /// The co-op's key.
    pub coop_key: String,
    /// Its profile.
    pub profile: Option<ProfileJson>,
    /// Its skills.
    pub skills: Option<SkillsJson>,
    /// Its capacity.
    pub capacity: Option<CapacityJson>,
    /// Its contracts.
    pub contracts: Vec<ContractJson>,
}

impl From<CoopDetail> for CoopJson {
    fn from(detail: CoopDetail) -> Self {
        CoopJson {
            coop_key: detail.key.to_string(),
            profile: detail.profile.map(Into::into),
            skills: detail.skills.map(Into::into),
            capacity: detail.capacity.map(Into::into),
            contracts: detail
                .contracts
                .into_iter()
                .map(ContractJson::from)
                .collect(),
        }
    }
}

/// A skill the taxonomy suggests.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    /// The name to offer: an ESCO preferred or alternative label, or a
    /// curated name (React, Sysadmin).
    pub label: String,
    /// The ESCO concept it is or is linked to, if any.
    pub uri: Option<String>,
}

/// An OCDS file as its publisher serves it: a release package, a record
/// package or a single release
/// (<https://standard.open-contracting.org/latest/en/schema/>), up to 16
/// MiB, UTF-8 or a legacy encoding it declares.
#[derive(Debug, utoipa::ToSchema)]
#[schema(value_type = Object, example = json!({"uri": "https://www.contractsfinder.service.gov.uk/Published/Notice/releases/…", "releases": [{"ocid": "ocds-b5fd17-…", "tender": {"title": "…"}}]}))]
pub struct OcdsFile(pub serde_json::Value);
