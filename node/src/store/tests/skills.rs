//! Skills are matched through the taxonomy: a co-op keeps the names it
//! typed, a search for a narrow skill finds only that skill, one for a
//! broad concept finds every narrower skill, and the index is rebuilt when
//! the taxonomy changes.

use coopnet_protocol::taxonomy::Taxonomy;

use super::*;

/// The co-ops (by name) a search for `asked` finds, and the names it
/// matched for each.
async fn find(store: &Store, asked: &[&str]) -> Vec<(String, Vec<String>)> {
    let taxonomy = Taxonomy::esco();
    let query = CoopQuery {
        skills: asked.iter().map(|s| taxonomy.key(s).unwrap()).collect(),
        match_all: true,
        limit: 20,
        ..CoopQuery::default()
    };
    let mut hits: Vec<(String, Vec<String>)> = store
        .find_coops(query)
        .await
        .unwrap()
        .hits
        .into_iter()
        .map(|hit| (hit.name, hit.matched_skills))
        .collect();
    hits.sort();
    hits
}

/// Four co-ops: Alder (Lua), Birch (Bash, js), Cedar (Python (computer
/// programming), JavaScript), Damson (Sysadmin).
async fn coops(store: &Store) {
    store
        .ingest(vec![
            named_profile(0, "Alder", "Bristol", 1),
            skills_record(0, &["Lua"], 1),
            named_profile(1, "Birch", "Leeds", 1),
            skills_record(1, &["Bash", "js"], 1),
            named_profile(2, "Cedar", "Leeds", 1),
            skills_record(2, &["Python (computer programming)", "JavaScript"], 1),
            named_profile(3, "Damson", "York", 1),
            skills_record(3, &["Sysadmin"], 1),
        ])
        .await
        .unwrap();
}

fn hit(name: &str, matched: &[&str]) -> (String, Vec<String>) {
    (
        name.to_owned(),
        matched.iter().map(|m| (*m).to_owned()).collect(),
    )
}

#[tokio::test]
async fn a_narrow_skill_finds_itself_and_not_its_siblings() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    coops(&store).await;
    assert_eq!(find(&store, &["lua"]).await, [hit("Alder", &["Lua"])]);
    assert_eq!(find(&store, &["BASH"]).await, [hit("Birch", &["Bash"])]);
    assert_eq!(find(&store, &["Visual Basic"]).await, []);
}

#[tokio::test]
async fn a_concept_finds_every_name_of_it_and_every_narrower_skill() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    coops(&store).await;
    // Each co-op's own name for it.
    assert_eq!(
        find(&store, &["JavaScript"]).await,
        [hit("Birch", &["js"]), hit("Cedar", &["JavaScript"])]
    );
    assert_eq!(
        find(&store, &["python"]).await,
        [hit("Cedar", &["Python (computer programming)"])]
    );
    // A broad concept finds the narrower skills, naming each.
    let programming = find(&store, &["computer programming"]).await;
    let names: Vec<&str> = programming.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Alder", "Birch", "Cedar"], "{programming:?}");
    assert!(
        programming[1].1.contains(&"Bash".to_owned()),
        "{programming:?}"
    );
    assert_eq!(
        find(&store, &["administer ICT system"]).await,
        [hit("Damson", &["Sysadmin"])]
    );
}

#[tokio::test]
async fn two_names_of_one_skill_in_one_record_are_one_skill() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&db_path(&dir)).await;
    store
        .ingest(vec![
            named_profile(0, "Alder", "Bristol", 1),
            skills_record(0, &["js", "JavaScript", "ECMAScript"], 1),
        ])
        .await
        .unwrap();
    assert_eq!(find(&store, &["JavaScript"]).await, [hit("Alder", &["js"])]);
    store.close().await.unwrap();
    let conn = Connection::open(db_path(&dir)).unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM coop_skills", [], |row| row.get(0))
        .unwrap();
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn the_index_is_rebuilt_when_the_taxonomy_changes_and_only_then() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = open(&path).await;
    coops(&store).await;
    store.close().await.unwrap();
    let terms = |conn: &Connection| -> i64 {
        conn.query_row("SELECT count(*) FROM coop_terms", [], |row| row.get(0))
            .unwrap()
    };

    // Same taxonomy: what is there stays (a lost row is not rebuilt).
    let conn = Connection::open(&path).unwrap();
    let full = terms(&conn);
    assert!(full > 6, "{full} terms");
    conn.execute("DELETE FROM coop_terms WHERE skill = 'lua'", [])
        .unwrap();
    let fingerprint: String = conn
        .query_row("SELECT value FROM meta WHERE name = 'taxonomy'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fingerprint, Taxonomy::esco().fingerprint());
    drop(conn);
    open(&path).await.close().await.unwrap();
    let conn = Connection::open(&path).unwrap();
    let trimmed = terms(&conn);
    assert!(trimmed < full);

    // Built with another taxonomy: rebuilt on open.
    conn.execute(
        "UPDATE meta SET value = 'older' WHERE name = 'taxonomy'",
        [],
    )
    .unwrap();
    drop(conn);
    let store = open(&path).await;
    assert_eq!(find(&store, &["Lua"]).await, [hit("Alder", &["Lua"])]);
    store.close().await.unwrap();
    let conn = Connection::open(&path).unwrap();
    assert_eq!(terms(&conn), full);
}
