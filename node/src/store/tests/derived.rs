//! The partner-search tables: filled by migration 2 from a version 1 file,
//! and kept in step with `records` by ingest.

use super::*;

/// Every row of the partner-search tables, as text, co-ops named by key
/// (their local ids may differ between files).
fn derived_rows(conn: &Connection) -> Vec<String> {
    let mut rows = Vec::new();
    for sql in [
        "SELECT hex(author), name, summary, region, region_key, country, member_count, \
         issued_at, days_total, rate_min, rate_currency FROM coops ORDER BY author",
        "SELECT hex(c.author), s.skill, s.name, s.level, s.headcount \
         FROM coop_skills AS s JOIN coops AS c ON c.id = s.coop ORDER BY c.author, s.skill",
        "SELECT hex(c.author), w.seq, w.from_day, w.to_day, w.person_days, w.rate_min, \
         w.rate_max, w.currency FROM coop_windows AS w JOIN coops AS c ON c.id = w.coop \
         ORDER BY c.author, w.seq",
        "SELECT t.slot, hex(c.author) FROM coop_slots AS t JOIN coops AS c ON c.id = t.coop \
         ORDER BY t.slot",
    ] {
        let mut query = conn.prepare(sql).unwrap();
        let columns = query.column_count();
        let found = query
            .query_map([], |row| {
                let values: Vec<String> = (0..columns)
                    .map(|i| {
                        let value: rusqlite::types::Value = row.get(i)?;
                        Ok(format!("{value:?}"))
                    })
                    .collect::<rusqlite::Result<_>>()?;
                Ok(values.join("|"))
            })
            .unwrap();
        rows.extend(found.map(Result::unwrap));
    }
    rows
}

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
        row.get(0)
    })
    .unwrap()
}

/// Co-ops 0..3 with profile, skills and capacity; co-op 3 with skills
/// only; co-op 4 whose skills were withdrawn; and some contracts.
fn history() -> Vec<VerifiedRecord> {
    let january = [(day(2027, 1, 1), day(2027, 1, 31), 10, 400)];
    let mut records = Vec::new();
    for n in 0..3 {
        records.push(profile(n, 1));
        records.push(skills_record(
            n,
            &["Rust", "Haskell", "user-centred design"],
            1,
        ));
        records.push(capacity_record(n, &january, 1));
        records.push(contract(n, 0, 1, 0));
    }
    records.push(skills_record(3, &["Go"], 1));
    records.push(skills_record(4, &["Go"], 1));
    records.push(tombstone(4, Kind::Skills, "", 2));
    records
}

#[tokio::test]
async fn migrating_a_version_1_file_fills_the_partner_tables_like_ingest_would() {
    let dir = tempfile::tempdir().unwrap();
    // What today's code makes of the history, table by table.
    let current_path = dir.path().join("current.sqlite");
    let mut current = Connection::open(&current_path).unwrap();
    schema::prepare(&mut current).unwrap();
    let tx = current.transaction().unwrap();
    for record in history() {
        db::ingest(&tx, &record, Origin::Remote, samples::NOW).unwrap();
    }
    tx.commit().unwrap();
    let expected = derived_rows(&current);
    assert_eq!(count(&current, "coops"), 4);
    assert_eq!(count(&current, "coop_skills"), 3 * 3 + 1);
    assert_eq!(count(&current, "coop_windows"), 3);
    drop(current);

    // A file as version 1 left it: the same records, seen-cache and text,
    // and no partner tables.
    let path = db_path(&dir);
    let mut old = Connection::open(&path).unwrap();
    schema::migrate_to(&mut old, 1).unwrap();
    let version: i64 = old
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, 1);
    old.execute("ATTACH ?1 AS current", [current_path.to_str().unwrap()])
        .unwrap();
    old.execute_batch(
        "INSERT INTO records SELECT * FROM current.records;
         INSERT INTO seen SELECT * FROM current.seen;
         INSERT INTO search (rowid, id, author, kind, text)
             SELECT rowid, id, author, kind, text FROM current.search;
         DETACH current;",
    )
    .unwrap();
    drop(old);

    let store = open(&path).await;
    let hits = store
        .find_coops(CoopQuery {
            skills: vec!["rust".to_owned(), "go".to_owned()],
            limit: 10,
            ..CoopQuery::default()
        })
        .await
        .unwrap()
        .hits;
    assert_eq!(hits.len(), 4);
    assert!(hits[..3].iter().all(|hit| hit.days_available == 10));
    assert_eq!(hits[3].author, key(3));
    assert_eq!(hits[3].name, "");
    store.close().await.unwrap();

    let migrated = Connection::open(&path).unwrap();
    assert_eq!(derived_rows(&migrated), expected);
    let version: i64 = migrated
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, schema::supported_version());
}

#[tokio::test]
async fn a_newer_record_replaces_the_coops_rows_and_a_stale_one_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = open(&path).await;
    let january = [(day(2027, 1, 1), day(2027, 1, 31), 10, 400)];
    let march = [
        (day(2027, 3, 1), day(2027, 3, 31), 5, 300),
        (day(2027, 4, 1), day(2027, 4, 30), 6, 350),
    ];
    store
        .ingest(vec![
            named_profile(0, "Alder", "Bristol", 2),
            skills_record(0, &["Rust", "Haskell"], 2),
            capacity_record(0, &january, 2),
        ])
        .await
        .unwrap();
    let reader = Connection::open(&path).unwrap();
    let before = derived_rows(&reader);

    // Older versions lose: nothing changes.
    let outcomes = store
        .ingest(vec![
            named_profile(0, "Old name", "Leeds", 1),
            skills_record(0, &["COBOL"], 1),
            capacity_record(0, &march, 1),
        ])
        .await
        .unwrap();
    assert_eq!(outcomes, [IngestOutcome::Stale; 3]);
    assert_eq!(derived_rows(&reader), before);

    // Newer versions replace every row of their kind.
    store
        .ingest(vec![
            named_profile(0, "Alder Works", "Leeds", 3),
            skills_record(0, &["Go"], 3),
            capacity_record(0, &march, 3),
        ])
        .await
        .unwrap();
    let hits = store
        .find_coops(CoopQuery {
            limit: 10,
            ..CoopQuery::default()
        })
        .await
        .unwrap()
        .hits;
    assert_eq!(hits.len(), 1);
    assert_eq!(
        (hits[0].name.as_str(), hits[0].region.as_str()),
        ("Alder Works", "Leeds")
    );
    assert_eq!(hits[0].days_available, 11);
    assert_eq!(hits[0].min_rate, Some(300));
    let skills: Vec<String> = reader
        .prepare("SELECT skill FROM coop_skills")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(skills, ["go"]);
    assert_eq!(count(&reader, "coop_windows"), 2);
}

#[tokio::test]
async fn tombstones_remove_the_coops_rows_and_the_coop_goes_with_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = open(&path).await;
    let january = [(day(2027, 1, 1), day(2027, 1, 31), 10, 400)];
    store
        .ingest(vec![
            named_profile(0, "Alder", "Bristol", 1),
            skills_record(0, &["Rust", "Haskell"], 1),
            capacity_record(0, &january, 1),
            named_profile(1, "Birch", "Leeds", 1),
        ])
        .await
        .unwrap();
    let reader = Connection::open(&path).unwrap();
    let all = CoopQuery {
        limit: 10,
        ..CoopQuery::default()
    };

    store
        .ingest(vec![tombstone(0, Kind::Skills, "", 2)])
        .await
        .unwrap();
    assert_eq!(count(&reader, "coop_skills"), 0);
    let rust = CoopQuery {
        skills: vec!["rust".to_owned()],
        ..all.clone()
    };
    assert!(store.find_coops(rust).await.unwrap().hits.is_empty());

    // Without its profile the co-op stays, nameless, while it has capacity.
    store
        .ingest(vec![tombstone(0, Kind::Profile, "", 2)])
        .await
        .unwrap();
    let hits = store.find_coops(all.clone()).await.unwrap().hits;
    assert_eq!(hits.len(), 2);
    assert_eq!((hits[0].name.as_str(), hits[0].days_available), ("", 10));
    assert_eq!(hits[0].author, key(0));
    assert_eq!(
        (hits[1].name.as_str(), hits[1].days_available),
        ("Birch", 0)
    );

    store
        .ingest(vec![tombstone(0, Kind::Capacity, "", 2)])
        .await
        .unwrap();
    assert_eq!(count(&reader, "coop_windows"), 0);
    let hits = store.find_coops(all).await.unwrap().hits;
    assert_eq!(names_of(&hits), ["Birch"]);
    assert_eq!(count(&reader, "coops"), 1);
}

fn names_of(hits: &[CoopHit]) -> Vec<&str> {
    hits.iter().map(|hit| hit.name.as_str()).collect()
}
