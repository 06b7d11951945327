//! Tests of the taxonomy's rules, on small fixtures and on the embedded data.
#![allow(clippy::unwrap_used)]

use super::*;

mod cases;
mod embedded;
mod malformed;
mod suggestions;

/// Fixture concepts; line 1 is a comment so data starts on line 2. 10 is
/// broader than 01 and 05; 05 is broader than 06.
const CONCEPTS: &str = "\
# uuid\tpreferred label\talt labels\tbroader
01\tmachine learning\tML|statistical learning|predictive modelling\t10
02\tML (computer programming)\tStandard ML\t
03\tdata analytics\tanalytics\t
04\tunstructured data\tdata analytics|analytics|unstructured information\t
05\tJava (computer programming)\tJava|Groovy|Clojure\t10
06\tJavaScript\tJS|Javascript\t05
07\tICT project management\t\t
10\tcomputer science\tinformatics\t
";

fn fixture(names: &str) -> Taxonomy {
    Taxonomy::from_tsv(CONCEPTS, names).unwrap()
}

fn key(taxonomy: &Taxonomy, input: &str) -> String {
    taxonomy.resolve(input).unwrap().key
}

fn concept_key(uuid: &str) -> String {
    format!("{CONCEPT_KEY_PREFIX}{uuid}")
}

fn concept_error(concepts: &str) -> TaxonomyError {
    Taxonomy::from_tsv(concepts, "").unwrap_err()
}

fn names_error(names: &str) -> TaxonomyError {
    Taxonomy::from_tsv(CONCEPTS, names).unwrap_err()
}

#[test]
fn a_preferred_label_or_its_short_form_is_the_concept() {
    let taxonomy = fixture("");
    assert_eq!(
        key(&taxonomy, "Java (computer programming)"),
        concept_key("05")
    );
    assert_eq!(
        key(&taxonomy, "java"),
        concept_key("05"),
        "without its qualifier"
    );
    assert_eq!(key(&taxonomy, "machine learning"), concept_key("01"));
}

#[test]
fn an_alt_label_is_a_narrower_skill_linked_to_its_concept() {
    let taxonomy = fixture("");
    let groovy = taxonomy.resolve("Groovy").unwrap();
    assert_eq!(groovy.key, "groovy");
    assert_eq!(
        groovy.concept.unwrap().label(),
        "Java (computer programming)"
    );
    assert_ne!(
        key(&taxonomy, "Groovy"),
        key(&taxonomy, "Clojure"),
        "siblings differ"
    );
}

#[test]
fn a_label_is_first_a_preferred_label_then_a_short_form_then_an_alt_label() {
    let taxonomy = fixture("");
    // A preferred label beats the same alt label of another concept.
    assert_eq!(key(&taxonomy, "data analytics"), concept_key("03"));
    // The short form of "ML (computer programming)" beats machine learning's
    // alt label ML.
    assert_eq!(key(&taxonomy, "ML"), concept_key("02"));
    // An alt label two concepts share links the one with fewer alt labels.
    let analytics = taxonomy.resolve("analytics").unwrap();
    assert_eq!(analytics.concept.unwrap().label(), "data analytics");
}

#[test]
fn the_typed_name_is_kept_whatever_it_resolves_to() {
    let taxonomy = fixture("js\tJavaScript\tJavaScript\n");
    for typed in [
        "  js ",
        "Javascript",
        "JavaScript",
        "Groovy",
        "Something   new",
    ] {
        let resolved = taxonomy.resolve(typed).unwrap();
        assert_eq!(resolved.name, clean_free_tag(typed), "{typed:?}");
    }
}

#[test]
fn a_curated_synonym_is_its_concept_and_a_curated_name_is_its_own_skill() {
    let taxonomy =
        fixture("js\tJavaScript\tJavaScript\nreactjs\tReact\tJavaScript\nrust\tRust\t-\n");
    assert_eq!(key(&taxonomy, "js"), concept_key("06"));
    let react = taxonomy.resolve("ReactJS").unwrap();
    assert_eq!(react.key, "react");
    assert_eq!(react.concept.unwrap().label(), "JavaScript");
    assert_eq!(
        key(&taxonomy, "React"),
        "react",
        "a name is an alias of itself"
    );
    let rust = taxonomy.resolve("Rust").unwrap();
    assert_eq!((rust.key.as_str(), rust.concept), ("rust", None));
}

#[test]
fn terms_climb_the_broader_concepts() {
    let taxonomy = fixture("reactjs\tReact\tJavaScript\n");
    let react = taxonomy.resolve("React").unwrap();
    assert_eq!(
        taxonomy.terms(&react),
        [
            "react",
            &concept_key("06"),
            &concept_key("05"),
            &concept_key("10")
        ]
    );
    let js = taxonomy.resolve("JavaScript").unwrap();
    assert_eq!(
        taxonomy.terms(&js),
        [concept_key("06"), concept_key("05"), concept_key("10")]
    );
    let unknown = taxonomy.resolve("Fortran 77").unwrap();
    assert_eq!(taxonomy.terms(&unknown), ["fortran77"]);
}

#[test]
fn unknown_names_are_their_own_skill_and_blank_ones_are_none() {
    let taxonomy = fixture("");
    let odd = taxonomy.resolve("  Quantum   basket weaving ").unwrap();
    assert_eq!(
        (odd.key.as_str(), odd.name.as_str(), odd.concept),
        ("quantumbasketweaving", "Quantum basket weaving", None)
    );
    assert!(taxonomy.resolve(" -- ").is_none());
    assert!(taxonomy.resolve("").is_none());
}

#[test]
fn every_curated_name_of_the_embedded_data_resolves() {
    let taxonomy = Taxonomy::esco();
    let rows = parse::names(EMBEDDED_NAMES).unwrap();
    assert!(rows.len() > 100);
    for row in rows {
        let resolved = taxonomy.resolve(&row.alias).unwrap();
        let linked = resolved.concept.map(Concept::label);
        match row.concept.as_deref() {
            Some(label) if label == row.name => assert_eq!(linked, Some(label), "{}", row.alias),
            concept => {
                assert_eq!(resolved.key, fold(&row.name), "{}", row.alias);
                assert_eq!(linked, concept, "{}", row.alias);
            }
        }
    }
}
