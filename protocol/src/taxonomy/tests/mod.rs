//! Tests of the taxonomy's rules, on small fixtures and on the embedded data.
#![allow(clippy::unwrap_used)]

use super::*;

mod embedded;
mod malformed;
mod suggestions;

/// Fixture concepts; line 1 is a comment so data starts on line 2.
const CONCEPTS: &str = "\
# uuid\tpreferred label\talt labels
01\tmachine learning\tML|statistical learning|predictive modelling
02\tML (computer programming)\tStandard ML
03\tdata analytics\t
04\tunstructured data\tdata analytics|unstructured information
05\tJava (computer programming)\tJava
06\tJavaScript\t
07\tICT project management\t
08\tmanagement consulting\t
09\tGerman language\t
0a\tuse online tools to collaborate\tWebEx|online meetings
0b\tweb analytics\t
";

fn fixture(aliases: &str) -> Taxonomy {
    Taxonomy::from_tsv(CONCEPTS, aliases).unwrap()
}

fn label_of<'a>(taxonomy: &'a Taxonomy, input: &str) -> Option<&'a str> {
    taxonomy.lookup(input).map(Concept::label)
}

fn labels(concepts: Vec<&Concept>) -> Vec<String> {
    concepts
        .into_iter()
        .map(|concept| concept.label().to_owned())
        .collect()
}

fn normalised(input: &str) -> NormalisedSkill {
    Taxonomy::esco().normalise(input).unwrap()
}

fn free(name: &str) -> NormalisedSkill {
    NormalisedSkill {
        name: name.to_owned(),
        concept_uri: None,
    }
}

fn concept_error(concepts: &str) -> TaxonomyError {
    Taxonomy::from_tsv(concepts, "").unwrap_err()
}

fn alias_error(aliases: &str) -> TaxonomyError {
    Taxonomy::from_tsv(CONCEPTS, aliases).unwrap_err()
}

/// Data lines of the embedded aliases file as (alias, target, kind).
fn embedded_aliases() -> Vec<[&'static str; 3]> {
    EMBEDDED_ALIASES
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| line.split('\t').collect::<Vec<_>>().try_into().unwrap())
        .collect()
}

// Matching precedence

#[test]
fn preferred_label_beats_an_alt_label() {
    assert_eq!(
        label_of(&fixture(""), "Data Analytics"),
        Some("data analytics")
    );
}

#[test]
fn shared_alt_label_goes_to_the_concept_with_fewest_alt_labels() {
    assert_eq!(
        label_of(&fixture(""), "ML"),
        Some("ML (computer programming)")
    );
}

#[test]
fn shared_alt_label_tie_goes_to_the_shorter_preferred_label() {
    let taxonomy =
        Taxonomy::from_tsv("01\ta much longer label\tX\n02\tshort label\tX\n", "").unwrap();
    assert_eq!(label_of(&taxonomy, "x"), Some("short label"));
}

#[test]
fn curated_alias_beats_an_alt_label() {
    let taxonomy = fixture("ml\tmachine learning\tesco\n");
    assert_eq!(label_of(&taxonomy, "ML"), Some("machine learning"));
}

#[test]
fn qualified_label_matches_without_its_qualifier() {
    assert_eq!(normalised("Swift").name, "Swift (computer programming)");
    assert_eq!(
        normalised("unity").name,
        "Unity (digital game creation systems)"
    );
}

#[test]
fn free_alias_is_a_display_name_without_concept() {
    let taxonomy = fixture("golang\tGo\tfree\n");
    assert_eq!(taxonomy.normalise("GoLang"), Some(free("Go")));
    assert_eq!(taxonomy.lookup("golang"), None);
}

#[test]
fn free_display_name_is_an_alias_of_itself() {
    assert_eq!(
        fixture("golang\tGo\tfree\n").normalise("go"),
        Some(free("Go"))
    );
    assert_eq!(normalised("microsoft azure"), free("Microsoft Azure"));
}

// Normalisation of the embedded taxonomy

#[test]
fn js_and_javascript_normalise_to_javascript() {
    let javascript = Taxonomy::esco().lookup("JavaScript").unwrap();
    for input in [
        "js",
        "JS",
        "javascript",
        "Java Script",
        " java-script ",
        "JavaScript!",
    ] {
        assert_eq!(
            normalised(input),
            NormalisedSkill::from(javascript),
            "{input:?}"
        );
    }
}

#[test]
fn python_normalises_to_the_esco_label() {
    for input in ["python", "Python", "py", "Python 3"] {
        assert_eq!(
            normalised(input).name,
            "Python (computer programming)",
            "{input:?}"
        );
    }
}

#[test]
fn c_c_plus_plus_and_c_sharp_normalise_to_different_skills() {
    assert_eq!(normalised("C"), free("C"));
    let (cpp, csharp) = (normalised("c++"), normalised("c#"));
    assert_eq!((cpp.name.as_str(), csharp.name.as_str()), ("C++", "C#"));
    assert!(cpp.concept_uri.is_some() && csharp.concept_uri.is_some());
    assert_ne!(cpp.concept_uri, csharp.concept_uri);
    assert_eq!(normalised("C plus plus"), cpp);
    assert_eq!(normalised("c sharp"), csharp);
}

#[test]
fn asp_dot_net_spellings_normalise_to_asp_net() {
    for input in ["asp.net", "ASP .NET", "aspnet"] {
        assert_eq!(normalised(input).name, "ASP.NET", "{input:?}");
    }
}

#[test]
fn postgres_normalises_to_postgresql() {
    assert_eq!(normalised("postgres").name, "PostgreSQL");
}

#[test]
fn wordpress_and_drupal_are_esco_concepts() {
    for (input, label) in [
        ("wordpress", "WordPress"),
        ("WP", "WordPress"),
        ("drupal", "Drupal"),
    ] {
        let skill = normalised(input);
        assert_eq!(skill.name, label, "{input:?}");
        assert!(skill.concept_uri.is_some(), "{input:?}");
    }
}

#[test]
fn skills_esco_lacks_normalise_to_curated_free_names() {
    for (input, name) in [
        ("golang", "Go"),
        ("k8s", "Kubernetes"),
        ("react.js", "React"),
        ("RUST", "Rust"),
    ] {
        assert_eq!(normalised(input), free(name), "{input:?}");
    }
}

#[test]
fn unknown_skill_is_kept_as_a_cleaned_free_tag() {
    assert_eq!(
        normalised("  Pottery \t Wheel\nthrowing "),
        free("Pottery Wheel throwing")
    );
}

#[test]
fn empty_or_punctuation_only_input_is_not_a_skill() {
    for input in ["", "   ", "\t\n", "--!", "…"] {
        assert_eq!(Taxonomy::esco().normalise(input), None, "{input:?}");
    }
}

#[test]
fn normalising_a_normalised_name_changes_nothing() {
    let taxonomy = Taxonomy::esco();
    let inputs = embedded_aliases().into_iter().map(|[alias, _, _]| alias);
    let labels = taxonomy.concepts().iter().map(Concept::label);
    for input in inputs.chain(labels).chain(["  some  Free tag "]) {
        let once = normalised(input);
        assert_eq!(taxonomy.normalise(&once.name), Some(once), "{input:?}");
    }
}

#[test]
fn every_alias_target_exists_in_esco_or_is_marked_free() {
    let taxonomy = Taxonomy::esco();
    for [alias, target, kind] in embedded_aliases() {
        let concept = taxonomy
            .concepts()
            .iter()
            .find(|concept| fold(concept.label()) == fold(target));
        match kind {
            "esco" => assert_eq!(concept.map(Concept::label), Some(target), "{alias:?}"),
            "free" => assert_eq!(concept, None, "{alias:?} → {target:?} is an ESCO concept"),
            other => panic!("{alias:?}: unknown kind {other:?}"),
        }
    }
}

#[test]
fn every_alias_normalises_to_its_target() {
    for [alias, target, _] in embedded_aliases() {
        assert_eq!(normalised(alias).name, target, "{alias:?}");
    }
}
