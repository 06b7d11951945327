//! Opening, migrating, durability, batching under load, cancellation and
//! closing.

use super::*;

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
                supported
            } if supported == schema::supported_version()
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
async fn a_write_whose_caller_stops_waiting_still_commits_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    let records: Vec<_> = (0..3).map(|n| profile(n, 1)).collect();
    // Keep the store's thread busy, then poll the write once, which queues
    // it, and drop it unanswered.
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    let stall = store.write_job(false, |_, _| {
        std::thread::sleep(std::time::Duration::from_millis(300));
        Ok(())
    });
    assert!(std::pin::pin!(stall).poll(&mut context).is_pending());
    let write = store.ingest(records.clone());
    assert!(std::pin::pin!(write).poll(&mut context).is_pending());
    // A write awaited after it returns once everything queued before it
    // has committed (reads run on other threads and do not wait).
    store.write_job(false, |_, _| Ok(())).await.unwrap();
    let ids = records.iter().map(id).collect();
    assert_eq!(store.known(ids).await.unwrap(), [true; 3]);
    assert_eq!(store.counts().await.unwrap().records, 3);
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

#[tokio::test]
async fn reads_do_not_wait_behind_a_slow_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    store.ingest(vec![profile(0, 1)]).await.unwrap();
    let (started_tx, started) = tokio::sync::oneshot::channel();
    let (release_tx, release) = std::sync::mpsc::sync_channel::<()>(1);
    let writer = store.clone();
    let slow = tokio::spawn(async move {
        let work = move |_: &Connection, _| {
            let _ = started_tx.send(());
            // Held until the read below has come back.
            let _ = release.recv_timeout(std::time::Duration::from_secs(30));
            Ok(())
        };
        writer.write_job(false, work).await
    });
    started.await.unwrap();
    // The store's thread is inside the write; the read is answered anyway.
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), store.counts()).await;
    release_tx.send(()).unwrap();
    assert_eq!(
        read.expect("the read waited for the write")
            .unwrap()
            .records,
        1
    );
    slow.await.unwrap().unwrap();
    store.close().await.unwrap();
}
