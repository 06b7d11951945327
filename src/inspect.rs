//! `coopnet inspect`: decode, validate and verify one record and print it.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use coopnet_protocol::{Kind, SignedRecord, Timestamp, validate};

/// Arguments of `coopnet inspect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// File holding one record: its raw bytes, or the same bytes in hex.
    file: PathBuf,
    /// Validate as of this instant (Unix milliseconds) instead of now.
    #[arg(long)]
    now: Option<u64>,
}

/// Prints the record as JSON if it verifies, or says exactly why not.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let raw = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let bytes = from_hex(&raw).unwrap_or(raw);
    let now = args.now.map_or_else(clock, Timestamp);
    let record = SignedRecord::decode(bytes).context("not a well-formed record")?;
    let header = record.header().clone();
    let verified = validate(record, now).context("the record does not verify")?;
    let kind = Kind::from_code(header.kind).map_or("unknown", Kind::name);
    let output = serde_json::json!({
        "record_id": verified.record().id(),
        "author": header.author,
        "kind": header.kind.0,
        "kind_name": kind,
        "key": header.key,
        "version": header.version,
        "issued_at": header.issued_at,
        "expires_at": header.expires_at,
        "body": verified.body(),
    });
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(())
}

/// Decodes a file that holds hex text (surrounding white space allowed).
fn from_hex(raw: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(raw).ok()?.trim();
    hex::decode(text).ok()
}

fn clock() -> Timestamp {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}
