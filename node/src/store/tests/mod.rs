//! The store's behaviour, on real SQLite files in a temporary directory.

use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Path, PathBuf};

use coopnet_protocol::{
    Body, Draft, Kind, KindCode, RecordId, SecretKey, SignedRecord, Timestamp, VerifiedRecord,
    samples, verify_bytes,
};
use rusqlite::Connection;

use super::*;

mod lifecycle;
mod queries;
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
