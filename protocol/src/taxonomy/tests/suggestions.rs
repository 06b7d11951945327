//! Tests of suggestions for partial names.

use super::*;

#[test]
fn suggest_ranks_an_exact_match_first() {
    assert_eq!(
        labels(fixture("").suggest("java", 5)),
        ["Java (computer programming)", "JavaScript"]
    );
}

#[test]
fn suggest_ranks_prefix_matches_first() {
    let suggestions = labels(Taxonomy::esco().suggest("java", 10));
    assert_eq!(
        suggestions[..3],
        [
            "Java (computer programming)",
            "JavaScript",
            "JavaScript Framework"
        ]
    );
    assert_eq!(
        labels(Taxonomy::esco().suggest("sql", 3)),
        ["SQL", "database management systems", "SQL Server"]
    );
}

#[test]
fn suggest_ranks_word_prefixes_before_substrings() {
    let suggestions = labels(fixture("").suggest("man", 5));
    assert_eq!(
        suggestions,
        [
            "management consulting",
            "ICT project management",
            "German language"
        ]
    );
}

#[test]
fn suggest_ranks_preferred_labels_before_alt_labels() {
    let suggestions = labels(fixture("").suggest("web", 5));
    assert_eq!(
        suggestions,
        ["web analytics", "use online tools to collaborate"]
    );
}

#[test]
fn suggest_finds_concepts_through_curated_aliases() {
    assert_eq!(labels(Taxonomy::esco().suggest("js", 1)), ["JavaScript"]);
}

#[test]
fn suggest_lists_each_concept_once() {
    let suggestions = Taxonomy::esco().suggest("python", 50);
    let mut uris: Vec<&str> = suggestions.iter().map(|concept| concept.uri()).collect();
    uris.sort_unstable();
    uris.dedup();
    assert_eq!(uris.len(), suggestions.len());
    assert_eq!(suggestions[0].label(), "Python (computer programming)");
}

#[test]
fn suggest_respects_the_limit() {
    assert_eq!(Taxonomy::esco().suggest("a", 7).len(), 7);
    assert!(Taxonomy::esco().suggest("a", 0).is_empty());
}

#[test]
fn suggest_for_empty_input_is_empty() {
    assert!(Taxonomy::esco().suggest(" - ", 10).is_empty());
}

#[test]
#[ignore = "timing report: cargo test --release -p coopnet-protocol suggest_timing -- --ignored --nocapture"]
fn suggest_timing_report() {
    let taxonomy = Taxonomy::esco();
    for partial in ["j", "java", "project man", "management", "zzzz"] {
        let start = std::time::Instant::now();
        for _ in 0..1000 {
            std::hint::black_box(taxonomy.suggest(partial, 10));
        }
        println!(
            "suggest({partial:?}, 10): {:?} per call",
            start.elapsed() / 1000
        );
    }
}
