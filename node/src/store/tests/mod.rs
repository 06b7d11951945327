//! The store's behaviour, on real SQLite files in a temporary directory.

use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Path, PathBuf};

use coopnet_protocol::kinds::{
    Capacity, CapacityFields, CapacityWindow, Profile, RateBand, SkillEntry, SkillLevel, Skills,
    SkillsFields, WorkMode,
};
use coopnet_protocol::{
    Body, Day, Draft, Kind, KindCode, PublicKey, RecordId, SecretKey, SignedRecord, Timestamp,
    VerifiedRecord, samples, verify_bytes,
};
use rusqlite::Connection;

use super::*;

mod accounts;
mod bids;
mod derived;
mod lifecycle;
mod partners;
mod queries;
mod skills;
mod slots;

fn sign(author: &SecretKey, draft: Draft) -> VerifiedRecord {
    let record = draft.sign(author).unwrap();
    verify_bytes(record.into_bytes(), samples::NOW).unwrap()
}

/// Sample co-op `n`'s profile at `version`.
fn profile(n: usize, version: u64) -> VerifiedRecord {
    let body = Body::Profile(samples::profile(n));
    sign(
        &samples::secret(n as u8 + 1),
        Draft::new(body, "", version, samples::NOW),
    )
}

/// Contract `i` of co-op `n`, issued `age` ms before the samples' now.
fn contract(n: usize, i: usize, version: u64, age: u64) -> VerifiedRecord {
    let body = Body::Contract(samples::contract(i));
    let issued_at = Timestamp(samples::NOW.0 - age);
    let draft = Draft::new(body, format!("contract-{i}"), version, issued_at);
    sign(&samples::secret(n as u8 + 1), draft)
}

fn tombstone(n: usize, kind: Kind, key: &str, version: u64) -> VerifiedRecord {
    let draft = Draft {
        kind: kind.code(),
        key: key.to_owned(),
        version,
        issued_at: samples::NOW,
        expires_at: None,
        body: None,
    };
    sign(&samples::secret(n as u8 + 1), draft)
}

fn id(record: &VerifiedRecord) -> RecordId {
    record.record().id()
}

fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("node.sqlite")
}

async fn open(path: &Path) -> Store {
    Store::open(path).await.unwrap()
}

async fn current_id(store: &Store, record: &VerifiedRecord) -> Option<RecordId> {
    let header = record.record().header();
    let current = store
        .current(header.author, header.kind, header.key.clone())
        .await
        .unwrap();
    current.map(|stored| stored.record.id())
}

/// Sample co-op `n`'s key.
fn key(n: usize) -> PublicKey {
    samples::secret(n as u8 + 1).public()
}

/// Co-op `n`'s profile at `version`, with this name and region.
fn named_profile(n: usize, name: &str, region: &str, version: u64) -> VerifiedRecord {
    let mut fields = samples::profile(n).into_fields();
    fields.name = name.to_owned();
    fields.region = region.to_owned();
    let body = Body::Profile(Profile::parse(fields).unwrap());
    sign(
        &samples::secret(n as u8 + 1),
        Draft::new(body, "", version, samples::NOW),
    )
}

/// Co-op `n`'s skills at `version`: these names, at working level.
fn skills_record(n: usize, names: &[&str], version: u64) -> VerifiedRecord {
    let entries = names
        .iter()
        .map(|name| SkillEntry {
            name: (*name).to_owned(),
            concept: None,
            level: SkillLevel::Working,
            headcount: 2,
        })
        .collect();
    let body = Body::Skills(Skills::parse(SkillsFields { entries }).unwrap());
    sign(
        &samples::secret(n as u8 + 1),
        Draft::new(body, "", version, samples::NOW),
    )
}

/// A capacity window: from, to (inclusive), person-days, minimum rate (GBP).
type Window = (Day, Day, u32, u32);

/// Co-op `n`'s capacity at `version`.
fn capacity_record(n: usize, windows: &[Window], version: u64) -> VerifiedRecord {
    let windows = windows
        .iter()
        .map(|&(from, to, person_days, rate)| CapacityWindow {
            from,
            to,
            person_days,
            rate: RateBand {
                min: rate,
                max: rate + 100,
                currency: "GBP".to_owned(),
            },
            mode: WorkMode::Remote,
            skills: Vec::new(),
        })
        .collect();
    let body = Body::Capacity(Capacity::parse(CapacityFields { windows }).unwrap());
    sign(
        &samples::secret(n as u8 + 1),
        Draft::new(body, "", version, samples::NOW),
    )
}

fn day(year: i32, month: u32, day: u32) -> Day {
    Day::from_ymd(year, month, day).unwrap()
}
