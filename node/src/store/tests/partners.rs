//! Partner search: skills (all or any), free text, region, availability,
//! rates, exclusions, ranking and limits.

use coopnet_protocol::taxonomy::Taxonomy;

use super::*;

/// The keys a search asks for, as the web app makes them.
fn skills(names: &[&str]) -> Vec<String> {
    let taxonomy = Taxonomy::esco();
    names
        .iter()
        .map(|name| taxonomy.key(name).unwrap())
        .collect()
}

fn query(limit: usize) -> CoopQuery {
    CoopQuery {
        limit,
        ..CoopQuery::default()
    }
}

fn names(hits: &[CoopHit]) -> Vec<&str> {
    hits.iter().map(|hit| hit.name.as_str()).collect()
}

/// Four co-ops, no capacity: Alder (Haskell, Rust, Python; Bristol), Birch
/// (Rust, Haskell; Leeds), Cedar (Rust; Bristol), Damson (JavaScript;
/// Leeds).
async fn four_coops(store: &Store) {
    store
        .ingest(vec![
            named_profile(0, "Alder", "Bristol", 1),
            skills_record(0, &["Haskell", "Rust", "Python"], 1),
            named_profile(1, "Birch", "Leeds", 1),
            skills_record(1, &["rust", "haskell"], 1),
            named_profile(2, "Cedar", "Bristol", 1),
            skills_record(2, &["Rust"], 1),
            named_profile(3, "Damson", "Leeds", 1),
            skills_record(3, &["JavaScript"], 1),
        ])
        .await
        .unwrap();
}

#[tokio::test]
async fn any_skill_ranks_by_how_many_match_and_all_skills_needs_every_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    four_coops(&store).await;

    let any = CoopQuery {
        skills: skills(&["Rust", "Haskell", "Rust"]),
        ..query(10)
    };
    let hits = store.find_coops(any.clone()).await.unwrap().hits;
    assert_eq!(names(&hits), ["Alder", "Birch", "Cedar"]);
    // The co-op's own names, in the order asked; a repeat counts once.
    assert_eq!(hits[0].matched_skills, ["Rust", "Haskell"]);
    assert_eq!(hits[1].matched_skills, ["rust", "haskell"]);
    assert_eq!(hits[2].matched_skills, ["Rust"]);
    assert!(hits.iter().all(|hit| hit.skills_asked == 2));
    assert_eq!(hits[0].author, key(0));
    assert_eq!(hits[0].region, "Bristol");
    assert!(hits[0].summary.contains("Bristol"));

    let all = CoopQuery {
        match_all: true,
        ..any
    };
    let hits = store.find_coops(all).await.unwrap().hits;
    assert_eq!(names(&hits), ["Alder", "Birch"]);

    // No skills asked: every co-op, by name.
    let hits = store.find_coops(query(10)).await.unwrap().hits;
    assert_eq!(names(&hits), ["Alder", "Birch", "Cedar", "Damson"]);
    assert!(hits.iter().all(|hit| hit.matched_skills.is_empty()));
}

#[tokio::test]
async fn pages_skip_the_offset_keep_the_order_and_count_every_match() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    four_coops(&store).await;
    let page = |offset, limit| CoopQuery {
        offset,
        ..query(limit)
    };
    let first = store.find_coops(page(0, 2)).await.unwrap();
    assert_eq!(
        (names(&first.hits), first.total),
        (vec!["Alder", "Birch"], 4)
    );
    let second = store.find_coops(page(2, 2)).await.unwrap();
    assert_eq!(
        (names(&second.hits), second.total),
        (vec!["Cedar", "Damson"], 4)
    );
    let past = store.find_coops(page(10, 2)).await.unwrap();
    assert!(past.hits.is_empty());
    assert_eq!(
        past.total, 4,
        "a page past the end still says how many match"
    );
    let none = store
        .find_coops(CoopQuery {
            skills: skills(&["cobol"]),
            ..page(0, 2)
        })
        .await
        .unwrap();
    assert_eq!((none.hits.len(), none.total), (0, 0));
}

#[tokio::test]
async fn free_text_needs_every_word_somewhere_in_the_coops_records() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    four_coops(&store).await;
    let text = |text: &str| CoopQuery {
        text: Some(text.to_owned()),
        ..query(10)
    };
    // "rust" is in skills records, "bristol" in profiles: both must hold
    // for the co-op, not for one record.
    let hits = store.find_coops(text("RUST bristol")).await.unwrap().hits;
    assert_eq!(names(&hits), ["Alder", "Cedar"]);
    let hits = store.find_coops(text("javascript")).await.unwrap().hits;
    assert_eq!(names(&hits), ["Damson"]);
    assert!(
        store
            .find_coops(text("cobol"))
            .await
            .unwrap()
            .hits
            .is_empty()
    );
    // Query syntax is just words; no words filters nothing.
    assert!(
        store
            .find_coops(text("rust OR cobol"))
            .await
            .unwrap()
            .hits
            .is_empty()
    );
    assert_eq!(
        store.find_coops(text(" * \" ")).await.unwrap().hits.len(),
        4
    );
    // Combined with skills.
    let both = CoopQuery {
        skills: skills(&["Haskell"]),
        ..text("leeds")
    };
    assert_eq!(
        names(&store.find_coops(both).await.unwrap().hits),
        ["Birch"]
    );
}

#[tokio::test]
async fn region_is_compared_whole_ignoring_case_and_spaces() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    four_coops(&store).await;
    let region = |region: &str| CoopQuery {
        region: Some(region.to_owned()),
        ..query(10)
    };
    let hits = store.find_coops(region("  BRISTOL ")).await.unwrap().hits;
    assert_eq!(names(&hits), ["Alder", "Cedar"]);
    assert!(
        store
            .find_coops(region("Bris"))
            .await
            .unwrap()
            .hits
            .is_empty()
    );
}

#[tokio::test]
async fn days_available_are_prorated_by_the_overlap_with_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    store
        .ingest(vec![
            named_profile(0, "Alder", "Bristol", 1),
            capacity_record(
                0,
                &[
                    // 31 days, 31 person-days: 16 of its days in the window.
                    (day(2027, 1, 1), day(2027, 1, 31), 31, 400),
                    // 28 days, 14 person-days: 15 in the window, 7.5 → 7.
                    (day(2027, 2, 1), day(2027, 2, 28), 14, 450),
                    // After the window: not counted.
                    (day(2027, 3, 1), day(2027, 3, 31), 20, 300),
                ],
                1,
            ),
            named_profile(1, "Birch", "Leeds", 1),
        ])
        .await
        .unwrap();
    let window = Some((day(2027, 1, 16), day(2027, 2, 15)));
    let in_window = |min_days| CoopQuery {
        window,
        min_days,
        ..query(10)
    };

    let hits = store.find_coops(in_window(None)).await.unwrap().hits;
    // The window alone filters nothing: Birch is there with no days.
    assert_eq!(names(&hits), ["Alder", "Birch"]);
    assert_eq!(hits[0].days_available, 16 + 7);
    assert_eq!(hits[0].min_rate, Some(400));
    assert_eq!(hits[0].currency.as_deref(), Some("GBP"));
    assert_eq!((hits[1].days_available, hits[1].min_rate), (0, None));
    assert_eq!(hits[1].currency, None);

    let hits = store.find_coops(in_window(Some(23))).await.unwrap().hits;
    assert_eq!(names(&hits), ["Alder"]);
    assert!(
        store
            .find_coops(in_window(Some(24)))
            .await
            .unwrap()
            .hits
            .is_empty()
    );

    // Without a window every window counts in full.
    let all = CoopQuery {
        min_days: Some(65),
        ..query(10)
    };
    let hits = store.find_coops(all).await.unwrap().hits;
    assert_eq!(names(&hits), ["Alder"]);
    assert_eq!(hits[0].days_available, 31 + 14 + 20);
    assert_eq!(hits[0].min_rate, Some(300));
}

#[tokio::test]
async fn max_rate_needs_a_counted_window_at_or_below_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    store
        .ingest(vec![
            named_profile(0, "Alder", "Bristol", 1),
            capacity_record(
                0,
                &[
                    (day(2027, 1, 1), day(2027, 1, 31), 10, 400),
                    (day(2027, 6, 1), day(2027, 6, 30), 10, 300),
                ],
                1,
            ),
            named_profile(1, "Birch", "Leeds", 1),
        ])
        .await
        .unwrap();
    let cheap = |window| CoopQuery {
        window,
        max_rate: Some(350),
        ..query(10)
    };
    let january = Some((day(2027, 1, 1), day(2027, 1, 31)));
    assert!(
        store
            .find_coops(cheap(january))
            .await
            .unwrap()
            .hits
            .is_empty()
    );
    let hits = store.find_coops(cheap(None)).await.unwrap().hits;
    assert_eq!(names(&hits), ["Alder"]);
    assert_eq!(hits[0].min_rate, Some(300));
    let exact = CoopQuery {
        max_rate: Some(400),
        ..cheap(january)
    };
    assert_eq!(
        names(&store.find_coops(exact).await.unwrap().hits),
        ["Alder"]
    );
}

#[tokio::test]
async fn excluded_and_hidden_coops_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    four_coops(&store).await;
    let hits = store
        .find_coops(CoopQuery {
            exclude: Some(key(0)),
            hidden: vec![key(2), key(7)],
            ..query(10)
        })
        .await
        .unwrap()
        .hits;
    assert_eq!(names(&hits), ["Birch", "Damson"]);
}

#[tokio::test]
async fn revocation_subjects_are_the_members_named_by_revocations() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    let coordinator = samples::secret(9);
    let revoke = |member: PublicKey, version| {
        let body = Body::Revocation(samples::revocation(member));
        let draft = Draft::new(body, member.to_string(), version, samples::NOW);
        sign(&coordinator, draft)
    };
    let withdrawn = Draft {
        body: None,
        ..Draft::new(
            Body::Revocation(samples::revocation(key(1))),
            key(1).to_string(),
            2,
            samples::NOW,
        )
    };
    store
        .ingest(vec![
            revoke(key(0), 1),
            revoke(key(1), 1),
            sign(&coordinator, withdrawn),
            profile(2, 1),
        ])
        .await
        .unwrap();
    let mut named = store.revocation_subjects().await.unwrap();
    named.sort();
    let mut expected = vec![key(0), key(1)];
    expected.sort();
    assert_eq!(named, expected);
}

#[tokio::test]
async fn ranking_is_skills_then_days_then_rate_then_profile_and_name() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    let january = |days, rate| [(day(2027, 1, 1), day(2027, 1, 31), days, rate)];
    let mut records = Vec::new();
    for (n, name, skill_names, days, rate) in [
        (0, "Ash", &["Rust"][..], 20, 500),
        (1, "Beech", &["Rust", "Go"][..], 5, 500),
        (2, "Cherry", &["Rust"][..], 20, 400),
        (3, "Dogwood", &["Rust"][..], 30, 900),
        (4, "elm", &["Rust"][..], 20, 400),
    ] {
        records.push(named_profile(n, name, "Leeds", 1));
        records.push(skills_record(n, skill_names, 1));
        records.push(capacity_record(n, &january(days, rate), 1));
    }
    // A co-op with skills but no profile yet: found, nameless, after the
    // named co-op it otherwise ties with.
    records.push(skills_record(5, &["Rust"], 1));
    records.push(capacity_record(5, &january(20, 400), 1));
    store.ingest(records).await.unwrap();

    let rust_or_go = CoopQuery {
        skills: skills(&["Rust", "Go"]),
        ..query(10)
    };
    let hits = store.find_coops(rust_or_go.clone()).await.unwrap().hits;
    // Beech matches two skills; Dogwood has the most days; Cherry, elm and
    // the nameless co-op tie on days and rate, so profile then name
    // (ignoring case) decide; Ash's rate is higher.
    assert_eq!(
        names(&hits),
        ["Beech", "Dogwood", "Cherry", "elm", "", "Ash"]
    );
    assert_eq!(hits[4].author, key(5));
    assert_eq!(hits[4].matched_skills, ["Rust"]);

    let two = CoopQuery {
        limit: 2,
        ..rust_or_go.clone()
    };
    assert_eq!(
        names(&store.find_coops(two).await.unwrap().hits),
        ["Beech", "Dogwood"]
    );
    // A limit above the maximum is lowered, not refused.
    let many = CoopQuery {
        limit: 1_000_000,
        ..rust_or_go
    };
    assert_eq!(store.find_coops(many).await.unwrap().hits.len(), 6);
}

#[tokio::test]
async fn too_many_skills_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    let asked: Vec<String> = (0..=crate::store::partners::MAX_SKILLS)
        .map(|i| format!("skill{i}"))
        .collect();
    let error = store
        .find_coops(CoopQuery {
            skills: asked,
            ..query(10)
        })
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Invalid(_)), "{error:?}");
}

#[test]
fn the_query_plan_uses_the_indexes() {
    let mut conn = Connection::open_in_memory().unwrap();
    schema::prepare(&mut conn).unwrap();
    let query = CoopQuery {
        skills: skills(&["Rust", "Haskell"]),
        text: Some("leeds".to_owned()),
        region: Some("leeds".to_owned()),
        window: Some((day(2027, 1, 1), day(2027, 3, 31))),
        min_days: Some(10),
        max_rate: Some(500),
        exclude: Some(key(0)),
        ..query(20)
    };
    let statement = crate::store::partners::find_coops_sql(&query).unwrap();
    let plan = explain(&conn, &statement);
    // Skills through their index; co-ops by id or region, never scanned; text
    // through FTS and the slot map.
    assert!(
        plan.contains("SEARCH k USING COVERING INDEX coop_terms_by_term (term=?)"),
        "{plan}"
    );
    assert!(plan.contains("SEARCH c USING"), "{plan}");
    assert!(!plan.contains("SCAN c"), "{plan}");
    assert!(
        plan.contains("SEARCH t USING INTEGER PRIMARY KEY"),
        "{plan}"
    );
    // Running it on an empty store is fine.
    assert!(
        crate::store::partners::find_coops(&conn, &query)
            .unwrap()
            .hits
            .is_empty()
    );
}

fn explain(conn: &Connection, statement: &crate::store::partners::CoopSql) -> String {
    let sql = format!("EXPLAIN QUERY PLAN {}", statement.sql);
    let mut query = conn.prepare(&sql).unwrap();
    let rows = query
        .query_map(rusqlite::params_from_iter(&statement.params), |row| {
            row.get::<_, String>(3)
        })
        .unwrap();
    rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
}

/// Times the partner search on 10,000 co-ops with ten skills and three
/// windows each (`cargo test -p coopnet-node --release partner_search_timing
/// -- --ignored --nocapture`); prints p50 and p99 per query shape.
#[test]
#[ignore = "timing, not a check; run by hand"]
fn partner_search_timing() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let mut conn = Connection::open(db_path(&dir)).unwrap();
    schema::prepare(&mut conn).unwrap();
    let started = Instant::now();
    let tx = conn.transaction().unwrap();
    for n in 0..10_000_usize {
        let author = SecretKey::from_seed(&{
            let mut seed = [0; 32];
            seed[..8].copy_from_slice(&(n as u64 + 1000).to_le_bytes());
            seed
        });
        let mut fields = samples::profile(n).into_fields();
        fields.name = format!("Co-op {n}");
        let mut names: Vec<String> = (0..9)
            .map(|i| format!("skill {}", (n * 7 + i * 31) % 300))
            .collect();
        if n % 2 == 0 {
            names.push("JavaScript".to_owned());
        }
        let entries = names
            .into_iter()
            .map(|name| SkillEntry {
                name,
                concept: None,
                level: SkillLevel::Proficient,
                headcount: 2,
            })
            .collect();
        let windows = (0..3)
            .map(|i| CapacityWindow {
                from: day(2027, 1 + ((n + i * 4) % 12) as u32, 1),
                to: day(2027, 1 + ((n + i * 4) % 12) as u32, 28),
                person_days: 5 + ((n + i) % 20) as u32,
                rate: RateBand {
                    min: 300 + ((n * 13 + i) % 300) as u32,
                    max: 700,
                    currency: "GBP".into(),
                },
                mode: WorkMode::Remote,
                skills: Vec::new(),
            })
            .collect();
        let bodies = [
            Body::Profile(Profile::parse(fields).unwrap()),
            Body::Skills(Skills::parse(SkillsFields { entries }).unwrap()),
            Body::Capacity(Capacity::parse(CapacityFields { windows }).unwrap()),
        ];
        for body in bodies {
            let record = sign(&author, Draft::new(body, "", 1, samples::NOW));
            db::ingest(&tx, &record, Origin::Remote, samples::NOW).unwrap();
        }
    }
    tx.commit().unwrap();
    conn.execute_batch("ANALYZE").unwrap();
    println!("10,000 co-ops stored in {:?}", started.elapsed());

    let spring = Some((day(2027, 3, 1), day(2027, 5, 31)));
    let shapes = [
        ("everything", query(20)),
        (
            "popular skill",
            CoopQuery {
                skills: skills(&["JavaScript"]),
                ..query(20)
            },
        ),
        (
            "3 skills any + window + min_days",
            CoopQuery {
                skills: skills(&["JavaScript", "skill 5", "skill 10"]),
                window: spring,
                min_days: Some(10),
                ..query(20)
            },
        ),
        (
            "2 skills all + max_rate",
            CoopQuery {
                skills: skills(&["JavaScript", "skill 12"]),
                match_all: true,
                max_rate: Some(450),
                ..query(20)
            },
        ),
        (
            "text + region + skill",
            CoopQuery {
                skills: skills(&["JavaScript"]),
                text: Some("charities skill".to_owned()),
                region: Some("bristol".to_owned()),
                ..query(20)
            },
        ),
        (
            "window + min_days, no skills",
            CoopQuery {
                window: spring,
                min_days: Some(15),
                ..query(200)
            },
        ),
    ];
    for (label, shape) in shapes {
        let statement = crate::store::partners::find_coops_sql(&shape).unwrap();
        println!("\n{label}:\n{}", explain(&conn, &statement));
        let mut times: Vec<Duration> = (0..60)
            .map(|_| {
                let started = Instant::now();
                let hits = crate::store::partners::find_coops(&conn, &shape)
                    .unwrap()
                    .hits;
                assert!(hits.len() <= shape.limit);
                started.elapsed()
            })
            .collect();
        times.sort();
        println!("p50 {:?}  p99 {:?}", times[30], times[59]);
    }
}
