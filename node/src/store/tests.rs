//! The store's behaviour, on real SQLite files in a temporary directory.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use coopnet_protocol::{
    Body, Draft, Kind, KindCode, RecordId, SecretKey, SignedRecord, Timestamp, VerifiedRecord,
    samples, verify_bytes,
};
use rusqlite::Connection;

use super::*;

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

#[tokio::test]
async fn a_record_ingested_twice_is_inserted_then_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    let record = profile(0, 1);
    let outcomes = store.ingest(vec![record.clone()]).await.unwrap();
    assert_eq!(outcomes, [IngestOutcome::Inserted]);
    let outcomes = store.ingest(vec![record.clone()]).await.unwrap();
    assert_eq!(outcomes, [IngestOutcome::Duplicate]);
    assert_eq!(store.known(vec![id(&record)]).await.unwrap(), [true]);
    let stored = store.get_bytes(vec![id(&record)]).await.unwrap();
    assert_eq!(stored, [record.record().bytes().to_vec()]);
    store.close().await.unwrap();
}

#[tokio::test]
async fn a_newer_version_replaces_the_older() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    let (old, new) = (profile(0, 1), profile(0, 2));
    store.ingest(vec![old.clone()]).await.unwrap();
    let outcomes = store.ingest(vec![new.clone()]).await.unwrap();
    let replaced = IngestOutcome::Replaced { previous: id(&old) };
    assert_eq!(outcomes, [replaced]);
    assert_eq!(current_id(&store, &new).await, Some(id(&new)));
    // The old version is still known (seen), but no longer served.
    assert_eq!(store.known(vec![id(&old)]).await.unwrap(), [true]);
    assert!(store.get_bytes(vec![id(&old)]).await.unwrap().is_empty());
    assert_eq!(store.counts().await.unwrap().records, 1);
}

#[tokio::test]
async fn an_older_version_is_stale_and_does_not_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    let (old, new) = (profile(0, 1), profile(0, 2));
    store.ingest(vec![new.clone()]).await.unwrap();
    let outcomes = store.ingest(vec![old.clone()]).await.unwrap();
    assert_eq!(outcomes, [IngestOutcome::Stale]);
    assert_eq!(current_id(&store, &new).await, Some(id(&new)));
    // It verified, so it is seen: a replay is now a cheap duplicate.
    assert_eq!(
        store.ingest(vec![old]).await.unwrap(),
        [IngestOutcome::Duplicate]
    );
}

#[tokio::test]
async fn at_equal_versions_the_lower_id_wins_whichever_arrives_first() {
    // Two different bodies in co-op 0's profile slot, both at version 7.
    let author = samples::secret(1);
    let a = sign(
        &author,
        Draft::new(Body::Profile(samples::profile(0)), "", 7, samples::NOW),
    );
    let b = sign(
        &author,
        Draft::new(Body::Profile(samples::profile(8)), "", 7, samples::NOW),
    );
    let (low, high) = if id(&a) < id(&b) { (a, b) } else { (b, a) };
    let dir = tempfile::tempdir().unwrap();

    let store = open(&dir.path().join("low-first.sqlite")).await;
    let outcomes = store.ingest(vec![low.clone(), high.clone()]).await.unwrap();
    assert_eq!(outcomes, [IngestOutcome::Inserted, IngestOutcome::Stale]);
    assert_eq!(current_id(&store, &low).await, Some(id(&low)));

    let store = open(&dir.path().join("high-first.sqlite")).await;
    let outcomes = store.ingest(vec![high.clone(), low.clone()]).await.unwrap();
    let replaced = IngestOutcome::Replaced {
        previous: id(&high),
    };
    assert_eq!(outcomes, [IngestOutcome::Inserted, replaced]);
    assert_eq!(current_id(&store, &low).await, Some(id(&low)));
}

#[test]
fn the_column_comparison_agrees_with_signed_record_precedence() {
    let author = samples::secret(3);
    let records: Vec<SignedRecord> = [1, 1, 2, 2, 3]
        .iter()
        .enumerate()
        .map(|(n, &version)| {
            let body = Body::Profile(samples::profile(n));
            Draft::new(body, "", version, samples::NOW)
                .sign(&author)
                .unwrap()
        })
        .collect();
    for new in &records {
        for old in &records {
            let version = |r: &SignedRecord| r.header().version;
            let by_columns = db::wins(version(new), new.id(), version(old), old.id());
            assert_eq!(by_columns, new.supersedes(old), "{new:?} over {old:?}");
        }
    }
}

#[tokio::test]
async fn a_tombstone_replaces_its_record_and_leaves_search() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    store.ingest(vec![profile(0, 1)]).await.unwrap();
    assert_eq!(store.search("charities", 10).await.unwrap().len(), 1);
    let tombstone = tombstone(0, Kind::Profile, "", 2);
    let outcomes = store.ingest(vec![tombstone.clone()]).await.unwrap();
    assert!(matches!(outcomes[..], [IngestOutcome::Replaced { .. }]));
    assert!(store.search("charities", 10).await.unwrap().is_empty());
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.records, counts.tombstones), (1, 1));
    let live = ListFilter {
        limit: 10,
        ..ListFilter::default()
    };
    assert!(store.list(live.clone()).await.unwrap().is_empty());
    let all = ListFilter {
        include_tombstones: true,
        ..live
    };
    let listed = store.list(all).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].record.is_tombstone());
}

#[tokio::test]
async fn search_finds_a_profile_by_a_word_of_its_description_and_skills_by_a_skill_name() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    let author = samples::secret(1);
    let skills = sign(
        &author,
        Draft::new(Body::Skills(samples::skills(0, 6)), "", 1, samples::NOW),
    );
    let others: Vec<_> = (1..4).map(|n| profile(n, 1)).collect();
    store.ingest(others).await.unwrap();
    store
        .ingest(vec![profile(0, 1), skills.clone()])
        .await
        .unwrap();

    // "Hedgerow" is only in co-op 0's profile (its name and description).
    let found = store.search("hedgerow CHARITIES", 10).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].record.id(), id(&profile(0, 1)));
    // Porter stemming: "charity" finds "charities" in all four profiles.
    assert_eq!(store.search("charity", 10).await.unwrap().len(), 4);
    assert_eq!(store.search("charity", 2).await.unwrap().len(), 2);

    let found = store.search("Haskell", 10).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].record.id(), id(&skills));
}

#[tokio::test]
async fn search_treats_any_input_as_plain_words_and_never_fails() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    store.ingest(vec![profile(0, 1)]).await.unwrap();
    let long = "x".repeat(100_000);
    let nasty = [
        "",
        "   ",
        "\"",
        "\"\"",
        "*",
        "OR",
        "NOT charities",
        "a OR b",
        "NEAR(a b)",
        "text:charities",
        "charities*",
        "^charities",
        "(charities",
        "'; DROP TABLE records; --",
        "\u{0301}",
        "\u{0}",
        "ﬁ ß İ",
        "-charities",
        "+",
        &long,
    ];
    for query in nasty {
        let result = store.search(query, 10).await;
        assert!(result.is_ok(), "{query:?}: {result:?}");
    }
    // Operators are words: "NOT charities" needs a "not" in the text.
    assert!(store.search("NOT charities", 10).await.unwrap().is_empty());
    // Punctuation around a word does not stop it matching.
    assert_eq!(store.search("(charities", 10).await.unwrap().len(), 1);
    assert_eq!(store.counts().await.unwrap().records, 1);
}

#[tokio::test]
async fn reopening_an_existing_file_keeps_its_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = open(&path).await;
    let records: Vec<_> = (0..5).map(|n| profile(n, 1)).collect();
    store.ingest(records.clone()).await.unwrap();
    store.close().await.unwrap();

    let store = open(&path).await;
    let ids: Vec<_> = records.iter().map(id).collect();
    assert_eq!(store.known(ids.clone()).await.unwrap(), [true; 5]);
    assert_eq!(store.get_bytes(ids).await.unwrap().len(), 5);
    assert_eq!(store.search("charities", 10).await.unwrap().len(), 5);
    let user_version: i64 = Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(user_version, schema::supported_version());
}

#[tokio::test]
async fn a_file_with_a_newer_schema_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
    drop(conn);

    let error = Store::open(&path).await.unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::NewerSchema {
                found: 999,
                supported: 1
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("upgrade coopnet"), "{error}");
    let conn = Connection::open(&path).unwrap();
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .unwrap();
    assert_eq!(tables, 0);
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "delete", "the file was not even switched to WAL");
}

#[tokio::test]
async fn a_write_whose_caller_stops_waiting_still_commits_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    let records: Vec<_> = (0..3).map(|n| profile(n, 1)).collect();
    // Polled once (the command is queued), then dropped.
    let abandoned = store.ingest(records.clone());
    let waited = tokio::time::timeout(std::time::Duration::ZERO, abandoned).await;
    assert!(
        waited.is_err(),
        "the write should still have been in flight"
    );
    let ids = records.iter().map(id).collect();
    assert_eq!(store.known(ids).await.unwrap(), [true; 3]);
    assert_eq!(store.counts().await.unwrap().records, 3);
}

#[tokio::test]
async fn a_published_local_record_is_committed_when_it_returns_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = open(&path).await;
    let record = profile(0, 1);
    let outcome = store.publish_local(record.clone()).await.unwrap();
    assert_eq!(outcome, IngestOutcome::Inserted);
    // Another connection sees it at once: it is committed, not queued.
    let origin: i64 = Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT origin FROM records WHERE id = ?1",
            [&id(&record).0[..]],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(origin, 1);
    // Not closed: dropping the last handle must do.
    drop(store);

    let store = open(&path).await;
    let header = record.record().header();
    let stored = store
        .current(header.author, header.kind, String::new())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.origin, Origin::Local);
    assert_eq!(stored.record, *record.record());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_thousand_records_ingested_concurrently_by_ten_tasks_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    let tasks: Vec<_> = (0..10)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                let records = tokio::task::spawn_blocking(move || {
                    (0..500)
                        .map(|i| contract(task, i, 1, i as u64))
                        .collect::<Vec<_>>()
                })
                .await
                .unwrap();
                let mut outcomes = Vec::new();
                for chunk in records.chunks(25) {
                    outcomes.extend(store.ingest(chunk.to_vec()).await.unwrap());
                }
                outcomes
            })
        })
        .collect();
    for task in tasks {
        let outcomes = task.await.unwrap();
        assert_eq!(outcomes.len(), 500);
        assert!(outcomes.iter().all(|o| *o == IngestOutcome::Inserted));
    }
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.records, 5_000);
    assert_eq!(counts.seen, 5_000);
    assert_eq!(counts.tombstones, 0);
    assert_eq!(counts.by_kind, [(Kind::Contract.code(), 5_000)].into());
    assert_eq!(store.sync_items().await.unwrap().len(), 5_000);
    assert_eq!(store.search("council", 10_000).await.unwrap().len(), 5_000);
    store.close().await.unwrap();
}

#[tokio::test]
async fn sync_items_are_sorted_and_are_exactly_the_current_records() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    // Co-op 0's contracts 0..20 at version 1, issued at scattered times;
    // contracts 0..5 then get a version 2 that replaces them.
    let first: Vec<_> = (0..20)
        .map(|i| contract(0, i, 1, (i as u64 * 7919) % 1000))
        .collect();
    let second: Vec<_> = (0..5).map(|i| contract(0, i, 2, 5)).collect();
    store.ingest(first.clone()).await.unwrap();
    store.ingest(second.clone()).await.unwrap();

    let mut expected: Vec<(u64, RecordId)> = second
        .iter()
        .chain(&first[5..])
        .map(|r| (r.record().header().issued_at.0, id(r)))
        .collect();
    expected.sort();
    let items = store.sync_items().await.unwrap();
    assert!(items.is_sorted());
    assert_eq!(items, expected);
}

#[tokio::test]
async fn next_version_is_now_for_an_empty_slot_and_then_keeps_increasing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    let me = samples::secret(1);
    let kind = Kind::Profile.code();
    let next = |now| store.next_version(me.public(), kind, String::new(), now);
    assert_eq!(next(1_000).await.unwrap(), 1_000);
    assert_eq!(next(0).await.unwrap(), 1);

    let mut last = 0;
    for now in [5_000, 5_000, 4_000, 9_000] {
        let version = next(now).await.unwrap();
        assert!(
            version > last && version >= now,
            "{version} after {last} at {now}"
        );
        let body = Body::Profile(samples::profile(0));
        let record = sign(&me, Draft::new(body, "", version, samples::NOW));
        let outcome = store.publish_local(record).await.unwrap();
        assert!(outcome.is_current());
        last = version;
    }
    assert_eq!(last, 9_000);
}

#[tokio::test]
async fn list_pages_through_filtered_records_newest_first_without_gaps_or_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    let mine: Vec<_> = (0..23)
        .map(|i| contract(0, i, 1, 100 - (i as u64 % 4)))
        .collect();
    let theirs: Vec<_> = (0..5).map(|i| contract(1, i, 1, 0)).collect();
    store.ingest(mine.clone()).await.unwrap();
    store.ingest(theirs).await.unwrap();
    store.ingest(vec![profile(0, 1)]).await.unwrap();

    let mut filter = ListFilter {
        author: Some(samples::secret(1).public()),
        kind: Some(Kind::Contract.code()),
        limit: 5,
        ..ListFilter::default()
    };
    let mut pages = Vec::new();
    loop {
        let page = store.list(filter.clone()).await.unwrap();
        let Some(last) = page.last() else { break };
        filter.after = Some(last.cursor());
        pages.push(page);
    }
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [5, 5, 5, 5, 3]
    );
    let listed: Vec<_> = pages.iter().flatten().map(|s| s.cursor()).collect();
    assert!(
        listed
            .windows(2)
            .all(|w| (w[0].issued_at, w[0].id) > (w[1].issued_at, w[1].id))
    );
    let listed: BTreeSet<_> = listed.iter().map(|c| c.id).collect();
    let expected: BTreeSet<_> = mine.iter().map(id).collect();
    assert_eq!(listed, expected);
}

#[tokio::test]
async fn a_closed_store_refuses_calls_and_closing_twice_is_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = open(&path).await;
    let other = store.clone();
    store.ingest(vec![profile(0, 1)]).await.unwrap();
    store.close().await.unwrap();
    store.close().await.unwrap();
    assert!(matches!(other.counts().await, Err(StoreError::Closed)));
    assert!(matches!(
        other.ingest(vec![profile(1, 1)]).await,
        Err(StoreError::Closed)
    ));
    // The final checkpoint left nothing in the write-ahead log.
    let wal = dir.path().join("node.sqlite-wal");
    assert!(std::fs::metadata(&wal).map_or(true, |m| m.len() == 0));
}

#[tokio::test]
async fn records_of_unknown_kinds_are_stored_but_not_searched() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    let opaque = Body::Opaque {
        kind: KindCode(900),
        bytes: b"charities".to_vec(),
    };
    let record = sign(
        &samples::secret(1),
        Draft::new(opaque, "x", 1, samples::NOW),
    );
    assert_eq!(
        store.ingest(vec![record]).await.unwrap(),
        [IngestOutcome::Inserted]
    );
    assert!(store.search("charities", 10).await.unwrap().is_empty());
    assert_eq!(
        store.counts().await.unwrap().by_kind,
        [(KindCode(900), 1)].into()
    );
}

#[test]
fn the_db_functions_work_on_a_plain_connection_inside_a_transaction() {
    let mut conn = Connection::open_in_memory().unwrap();
    schema::prepare(&mut conn).unwrap();
    let tx = conn.transaction().unwrap();
    let now = samples::NOW;
    let record = profile(0, 1);
    let outcome = db::ingest(&tx, &record, Origin::Remote, now).unwrap();
    assert_eq!(outcome, IngestOutcome::Inserted);
    tx.commit().unwrap();
    assert_eq!(db::known(&conn, &[id(&record)]).unwrap(), [true]);
    assert_eq!(db::counts(&conn).unwrap().records, 1);
}

#[tokio::test]
async fn an_in_memory_store_works_for_tests() {
    let store = Store::in_memory().await.unwrap();
    assert_eq!(store.path(), None);
    store.ingest(vec![profile(0, 1)]).await.unwrap();
    assert_eq!(store.counts().await.unwrap().records, 1);
    store.close().await.unwrap();
}
