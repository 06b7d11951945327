//! Tests of the embedded data against its sources.

use std::collections::BTreeMap;
use std::path::Path;

use super::*;

/// Released concepts in ESCO v1.1.1's digital skills collection.
const DIGITAL_SKILLS: usize = 1201;

#[test]
fn embedded_taxonomy_has_all_released_concepts() {
    let taxonomy = Taxonomy::esco();
    assert_eq!(taxonomy.len(), DIGITAL_SKILLS);
    assert!(!taxonomy.is_empty());
    assert!(
        taxonomy
            .concepts()
            .iter()
            .all(|c| c.uri().starts_with(ESCO_SKILL_URI_PREFIX))
    );
    assert!(
        taxonomy
            .concepts()
            .windows(2)
            .all(|pair| pair[0].uri() < pair[1].uri())
    );
}

#[test]
fn embedded_taxonomy_matches_the_esco_csv_when_present() {
    let csv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/esco/digitalSkillsCollection_en.csv");
    let Ok(text) = std::fs::read_to_string(&csv) else {
        println!("skipped: {} is absent", csv.display());
        return;
    };
    let released = released_labels_by_uri(&text);
    let embedded: BTreeMap<&str, String> = Taxonomy::esco()
        .concepts()
        .iter()
        .map(|concept| (concept.uri(), concept.label().to_owned()))
        .collect();
    assert_eq!(
        released.len(),
        embedded.len(),
        "rerun scripts/build-taxonomy.py"
    );
    assert!(
        released.iter().eq(embedded.iter()),
        "rerun scripts/build-taxonomy.py"
    );
}

/// URI → cleaned preferred label of each released concept in an ESCO CSV.
fn released_labels_by_uri(text: &str) -> BTreeMap<&str, String> {
    let records = csv_records(text);
    let column = |name: &str| records[0].iter().position(|field| *field == name).unwrap();
    let (uri, label, status) = (
        column("conceptUri"),
        column("preferredLabel"),
        column("status"),
    );
    records[1..]
        .iter()
        .filter(|record| record[status] == "released")
        .map(|record| (record[uri], clean_free_tag(record[label])))
        .collect()
}

/// Splits RFC 4180 CSV into records; quoted fields may hold `,`, `""` and newlines.
fn csv_records(text: &str) -> Vec<Vec<&str>> {
    let mut records = vec![Vec::new()];
    let (mut start, mut quoted) = (0, false);
    for (at, byte) in text.bytes().enumerate() {
        match byte {
            b'"' => quoted = !quoted,
            b',' | b'\n' if !quoted => {
                let field = text[start..at].trim_end_matches('\r');
                let field = field
                    .strip_prefix('"')
                    .and_then(|f| f.strip_suffix('"'))
                    .unwrap_or(field);
                records.last_mut().unwrap().push(field);
                if byte == b'\n' {
                    records.push(Vec::new());
                }
                start = at + 1;
            }
            _ => {}
        }
    }
    records.retain(|record| !record.is_empty());
    records
}

#[test]
fn concepts_can_be_found_by_uri() {
    let taxonomy = Taxonomy::esco();
    let python = taxonomy.resolve("python").unwrap().concept.unwrap();
    assert_eq!(taxonomy.concept(python.uri()), Some(python));
    assert_eq!(
        taxonomy.concept("http://data.europa.eu/esco/skill/nope"),
        None
    );
}
