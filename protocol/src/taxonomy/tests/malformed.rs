//! Tests of the errors for malformed data.

use super::*;

#[test]
fn concept_line_with_wrong_field_count_reports_its_line() {
    let error = concept_error("# comment\n\n01\tonly a label\n");
    assert_eq!(error, TaxonomyError::ConceptFields { line: 3, found: 2 });
    assert_eq!(
        error.to_string(),
        "concepts line 3: expected 3 tab-separated fields, found 2"
    );
}

#[test]
fn invalid_uuid_is_rejected() {
    let uuid = "not-a-uuid".to_owned();
    assert_eq!(
        concept_error("01\ta\t\nnot-a-uuid\tb\t\n"),
        TaxonomyError::InvalidUuid { line: 2, uuid }
    );
}

#[test]
fn duplicate_uuid_is_rejected() {
    let uuid = "01".to_owned();
    assert_eq!(
        concept_error("01\ta\t\n02\tb\t\n01\tc\t\n"),
        TaxonomyError::DuplicateUuid { line: 3, uuid }
    );
}

#[test]
fn preferred_labels_that_fold_alike_are_rejected() {
    let label = "Java-Script".to_owned();
    assert_eq!(
        concept_error("01\tJavaScript\t\n02\tJava-Script\t\n"),
        TaxonomyError::DuplicateLabel { line: 2, label }
    );
}

#[test]
fn empty_preferred_label_is_rejected() {
    assert_eq!(
        concept_error("01\t - \t\n"),
        TaxonomyError::EmptyLabel { line: 1 }
    );
}

#[test]
fn alias_line_with_wrong_field_count_reports_its_line() {
    assert_eq!(
        alias_error("# c\njs\tJavaScript\n"),
        TaxonomyError::AliasFields { line: 2, found: 2 }
    );
}

#[test]
fn unknown_alias_kind_is_rejected() {
    let kind = "maybe".to_owned();
    assert_eq!(
        alias_error("js\tJavaScript\tmaybe\n"),
        TaxonomyError::UnknownAliasKind { line: 1, kind }
    );
}

#[test]
fn alias_to_a_missing_concept_is_rejected() {
    let target = "Javascript".to_owned();
    assert_eq!(
        alias_error("js\tJavascript\tesco\n"),
        TaxonomyError::UnknownAliasTarget { line: 1, target }
    );
}

#[test]
fn free_alias_to_an_existing_concept_is_rejected() {
    let (target, label) = ("Java Script".to_owned(), "JavaScript".to_owned());
    let error = alias_error("js\tJava Script\tfree\n");
    assert_eq!(
        error,
        TaxonomyError::FreeTargetIsConcept {
            line: 1,
            target,
            label
        }
    );
}

#[test]
fn alias_shadowed_by_a_preferred_label_is_rejected() {
    let (alias, label) = ("java script".to_owned(), "JavaScript".to_owned());
    let error = alias_error("java script\tJavaScript\tesco\n");
    assert_eq!(
        error,
        TaxonomyError::ShadowedAlias {
            line: 1,
            alias,
            label
        }
    );
}

#[test]
fn duplicate_alias_is_rejected() {
    let alias = "J.S.".to_owned();
    let error = alias_error("js\tJavaScript\tesco\nJ.S.\tJavaScript\tesco\n");
    assert_eq!(error, TaxonomyError::DuplicateAlias { line: 2, alias });
}

#[test]
fn empty_alias_is_rejected() {
    assert_eq!(
        alias_error("--\tJavaScript\tesco\n"),
        TaxonomyError::EmptyAlias { line: 1 }
    );
}
