//! Suggestions: real matches, ranked, or nothing.

use super::*;

fn labels(taxonomy: &Taxonomy, typed: &str) -> Vec<String> {
    taxonomy
        .suggest(typed, 10)
        .into_iter()
        .map(|s| s.label.to_owned())
        .collect()
}

#[test]
fn exact_then_prefix_then_word_prefix() {
    let taxonomy = fixture("js\tJavaScript\tJavaScript\n");
    assert_eq!(labels(&taxonomy, "javascript")[0], "JavaScript");
    let java = labels(&taxonomy, "jav");
    assert_eq!(java[..2], ["JavaScript", "Java (computer programming)"]);
    assert_eq!(labels(&taxonomy, "manag"), ["ICT project management"]);
}

#[test]
fn nothing_that_merely_contains_the_input() {
    let taxonomy = fixture("");
    assert!(
        labels(&taxonomy, "script").is_empty(),
        "{:?}",
        labels(&taxonomy, "script")
    );
    assert!(labels(&taxonomy, "zzz").is_empty());
    assert!(labels(&taxonomy, "").is_empty());
}

#[test]
fn close_spellings_of_long_enough_input() {
    let taxonomy = fixture("");
    assert_eq!(labels(&taxonomy, "javscript"), ["JavaScript"]);
    assert!(labels(&taxonomy, "jvs").is_empty(), "too short for a guess");
}

#[test]
fn the_embedded_data_suggests_what_members_type() {
    let taxonomy = Taxonomy::esco();
    assert_eq!(labels(taxonomy, "rust")[0], "Rust");
    let react = labels(taxonomy, "react");
    assert_eq!(react[0], "React");
    assert!(
        react.iter().all(|l| fold(l).starts_with("react")),
        "{react:?}"
    );
    assert!(
        labels(taxonomy, "pyth")
            .iter()
            .any(|l| l == "Python (computer programming)")
    );
}
