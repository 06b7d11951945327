//! Last-writer-wins per slot: duplicates, replacement, stale versions, ties
//! and tombstones.

use super::*;

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

#[tokio::test]
async fn the_generation_moves_when_the_current_records_change_and_only_then() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    let start = store.generation();
    store.ingest(vec![profile(0, 2)]).await.unwrap();
    let inserted = store.generation();
    assert!(inserted > start, "an insert moves it");
    store.ingest(vec![profile(0, 2)]).await.unwrap();
    store.ingest(vec![profile(0, 1)]).await.unwrap();
    assert_eq!(
        store.generation(),
        inserted,
        "a duplicate or stale record does not"
    );
    store.ingest(vec![profile(0, 3)]).await.unwrap();
    assert!(store.generation() > inserted, "a replacement does");
    store.close().await.unwrap();
}
