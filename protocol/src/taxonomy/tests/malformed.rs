//! Data files that break the format are refused with the line at fault.

use super::*;

#[test]
fn a_concept_line_with_the_wrong_field_count_reports_its_line() {
    let err = concept_error("01\tlabel\n");
    assert_eq!(err, TaxonomyError::ConceptFields { line: 1, found: 2 });
}

#[test]
fn invalid_and_duplicate_uuids_are_refused() {
    assert!(matches!(
        concept_error("XY\tlabel\t\t\n"),
        TaxonomyError::InvalidUuid { line: 1, .. }
    ));
    let twice = "01\ta\t\t\n01\tb\t\t\n";
    assert!(matches!(
        concept_error(twice),
        TaxonomyError::DuplicateUuid { line: 2, .. }
    ));
}

#[test]
fn preferred_labels_that_fold_alike_or_to_nothing_are_refused() {
    let alike = "01\tJava Script\t\t\n02\tjavascript\t\t\n";
    assert!(matches!(
        concept_error(alike),
        TaxonomyError::DuplicateLabel { line: 2, .. }
    ));
    assert!(matches!(
        concept_error("01\t--\t\t\n"),
        TaxonomyError::EmptyLabel { line: 1 }
    ));
}

#[test]
fn a_broader_concept_must_exist() {
    let missing = "01\ta\t\t99\n";
    assert!(matches!(
        concept_error(missing),
        TaxonomyError::UnknownBroader { line: 1, .. }
    ));
}

#[test]
fn names_lines_are_checked() {
    assert_eq!(
        names_error("js\tJavaScript\n"),
        TaxonomyError::NameFields { line: 1, found: 2 }
    );
    assert!(matches!(
        names_error("x\ty\tno such concept\n"),
        TaxonomyError::UnknownConcept { line: 1, .. }
    ));
    assert!(matches!(
        names_error("--\tx\t-\n"),
        TaxonomyError::EmptyName { line: 1 }
    ));
    let shadow = "data analytics\tAnalytics\t-\n";
    assert!(matches!(
        names_error(shadow),
        TaxonomyError::ShadowedAlias { line: 1, .. }
    ));
    let twice = "rx\tRust\t-\nrx\tRuby\t-\n";
    assert!(matches!(
        names_error(twice),
        TaxonomyError::DuplicateAlias { line: 2, .. }
    ));
    let linked_twice = "rs\tRust\t-\nrust-lang\tRust\tJavaScript\n";
    assert!(matches!(
        names_error(linked_twice),
        TaxonomyError::ConflictingName { line: 2, .. }
    ));
}
