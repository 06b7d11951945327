//! Reads: full-text search, the sync set, versions and listing.

use super::*;

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
