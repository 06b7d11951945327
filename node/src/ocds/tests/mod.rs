//! The importer against real OCDS files (the sample files, their
//! quirks and the errors of what is not OCDS); `fields.rs` holds the rules
//! for each field.

use coopnet_protocol::kinds::{Contract, ContractFields, ContractStatus, ContractValue, Period};
use coopnet_protocol::{
    Body, Day, Draft, MAX_KEY_LEN, SecretKey, Timestamp, samples, verify_bytes,
};

use super::convert::parse_instant;
use super::*;

const BARNET: &[u8] =
    include_bytes!("../../../demo-data/ocds/fictional-tender-barnet-cycle-lanes.json");
const MEXICO_1: &[u8] = include_bytes!("../../../demo-data/ocds/release-package-1.json");
const MEXICO_2: &[u8] = include_bytes!("../../../demo-data/ocds/release-package-2.json");
const RECORDS: &[u8] = include_bytes!("../../../demo-data/ocds/record-package-2.json");
const PARAGUAY: &[u8] = include_bytes!("../../../demo-data/ocds/release-package_1.1-2.json");
const LATIN_1: &[u8] =
    include_bytes!("../../../demo-data/ocds/release-package_encoding-iso-8859-1.json");

/// The releases [`super::parse`] read (its file notes are tested apart).
fn parse(bytes: &[u8]) -> Result<Vec<Imported>, OcdsError> {
    super::parse(bytes).map(|parsed| parsed.releases)
}

fn contracts(bytes: &[u8]) -> Vec<ContractFields> {
    parse(bytes)
        .unwrap()
        .into_iter()
        .filter_map(|imported| imported.outcome.ok())
        .collect()
}

fn only_contract(bytes: &[u8]) -> ContractFields {
    let mut all = contracts(bytes);
    assert_eq!(all.len(), 1, "{all:#?}");
    all.remove(0)
}

fn day(text: &str) -> Day {
    text.parse().unwrap()
}

/// A release package holding `tender` as the tender of one release.
fn with_tender(tender: &str) -> Vec<Imported> {
    let json = format!(
        r#"{{"releases": [{{"ocid": "ocds-x-1", "buyer": {{"name": "Council"}}, "tender": {tender}}}]}}"#
    );
    parse(json.as_bytes()).unwrap()
}

/// Contracts imported and releases skipped, or the error.
type Counts = Result<(usize, usize), OcdsError>;

#[test]
fn every_sample_file_imports_or_gives_its_specific_error() {
    let expected: [(&str, Counts); 6] = [
        ("fictional-tender-barnet-cycle-lanes.json", Ok((1, 0))),
        ("release-package-1.json", Ok((1, 1))),
        ("release-package-2.json", Ok((1, 1))),
        ("record-package-2.json", Ok((1, 0))),
        ("release-package_1.1-2.json", Ok((0, 1))),
        ("release-package_encoding-iso-8859-1.json", Ok((1, 2))),
    ];
    let files = demo_files();
    assert_eq!(files.len(), expected.len());
    for ((name, bytes), (expected_name, outcome)) in files.into_iter().zip(expected) {
        assert_eq!(name, expected_name);
        let counts = parse(bytes).map(|all| {
            let imported = all.iter().filter(|i| i.outcome.is_ok()).count();
            (imported, all.len() - imported)
        });
        assert_eq!(counts, outcome, "{name}");
    }
}

#[test]
fn the_demo_files_are_the_copies_in_demo_data() {
    let files = demo_files();
    let copies = [BARNET, MEXICO_1, MEXICO_2, RECORDS, PARAGUAY, LATIN_1];
    for ((name, bytes), copy) in files.iter().zip(copies) {
        assert_eq!(*bytes, copy, "{name}");
    }
}

#[test]
fn the_barnet_tender_imports_with_its_title_buyer_value_deadline_and_ocid() {
    let all = parse(BARNET).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].ocid.as_deref(), Some("ocds-213czf-000-00001"));
    assert_eq!(all[0].notes, Vec::<String>::new());
    let contract = all[0].outcome.clone().unwrap();
    assert_eq!(contract.title, "Planned cycle lane improvements");
    assert_eq!(contract.buyer, "London Borough of Barnet");
    // The range the buyer gave: minValue to value, in pence.
    assert_eq!(
        contract.value,
        Some(ContractValue {
            amount: Some(110_000_000),
            min: Some(60_000_000),
            currency: "GBP".to_owned()
        })
    );
    // 2010-04-01T18:00:00Z
    assert_eq!(contract.deadline, Some(Timestamp(1_270_144_800_000)));
    assert_eq!(contract.ocid.as_deref(), Some("ocds-213czf-000-00001"));
}

#[test]
fn the_barnet_tender_fills_the_optional_fields_too() {
    let contract = only_contract(BARNET);
    assert_eq!(
        contract.description,
        "Tenders solicited for work to build new cycle lanes in the centre of town."
    );
    assert_eq!(
        contract.period,
        Some(Period {
            start: day("2010-07-01"),
            end: day("2011-06-30")
        })
    );
    assert_eq!(contract.location, "London, United Kingdom");
    assert_eq!(
        contract.source_url.as_deref(),
        Some("http://example.com/tender-notices/ocds-213czf-000-00001-01.html")
    );
    assert_eq!(contract.status, ContractStatus::Open);
    assert_eq!(
        contract.required_skills.len(),
        2,
        "{:?}",
        contract.required_skills
    );
}

#[test]
fn the_mexico_release_packages_import_their_tenders_despite_the_misspelt_field() {
    let first = only_contract(MEXICO_1);
    assert_eq!(first.title, "ARRENDAMIENTO DE BIENES INFORMÁTICOS");
    assert_eq!(first.buyer, "SECRETARÍA DE FINANZAS");
    assert_eq!(first.description, "471 COMPUTADORA PORTÁTIL");
    assert_eq!(
        first.value.as_ref().and_then(|v| v.amount),
        Some(131_126_400)
    );
    assert_eq!(first.value.map(|v| v.currency).as_deref(), Some("MXN"));
    // 2015-12-22T00:00:00-06:00 is 06:00 UTC.
    assert_eq!(first.deadline, Some(Timestamp(1_450_764_000_000)));
    assert_eq!(first.location, "MÉXICO D. F., DF, MX");

    let second = only_contract(MEXICO_2);
    assert_eq!(second.title, "RENOVACIÓN DEL LICENCIAMIENTO SELECT BENTLEY");
    // 1,471,566.72 keeps its centavos.
    assert_eq!(second.value.and_then(|v| v.amount), Some(147_156_672));
    assert_eq!(
        second.ocid.as_deref(),
        Some("OCDS-87SD3T-AD-SF-DRM-065-2015")
    );
}

#[test]
fn a_tender_with_a_live_award_is_awarded_even_if_its_status_says_planned() {
    assert_eq!(only_contract(MEXICO_1).status, ContractStatus::Awarded);
    assert_eq!(only_contract(MEXICO_2).status, ContractStatus::Awarded);
}

#[test]
fn earlier_releases_of_the_same_ocid_are_merged_into_the_latest() {
    let all = parse(MEXICO_1).unwrap();
    assert_eq!(all.len(), 2);
    assert!(
        all[0]
            .outcome
            .as_ref()
            .unwrap_err()
            .reason
            .contains("superseded")
    );
    assert!(all[1].outcome.is_ok());
    assert_eq!(all[0].key(), all[1].key());
}

#[test]
fn merged_releases_keep_fields_only_an_earlier_release_has() {
    let json = br#"{"releases": [
        {"ocid": "o-1", "date": "2020-02-01T00:00:00Z", "tender": {"title": "New title"}},
        {"ocid": "o-1", "date": "2020-01-01T00:00:00Z",
         "buyer": {"name": "Old buyer"}, "tender": {"title": "Old title", "description": "Kept"}}
    ]}"#;
    let all = parse(json).unwrap();
    let latest = all[0].outcome.as_ref().unwrap();
    assert_eq!(latest.title, "New title");
    assert_eq!(latest.buyer, "Old buyer");
    assert_eq!(latest.description, "Kept");
    assert!(all[1].outcome.is_err());
}

#[test]
fn the_record_package_imports_its_compiled_release() {
    let all = parse(RECORDS).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].ocid.as_deref(), Some("ocds-07smqs-1542970"));
    let contract = all[0].outcome.clone().unwrap();
    assert_eq!(
        contract.title,
        "PED 13-2497/17 REQ.4476/17 ACON0353OR ARTICULOS METALICOS PARA LA CO"
    );
    assert_eq!(contract.buyer, "Secretaría de Marina");
    assert_eq!(contract.status, ContractStatus::Awarded);
    // Its tender value is {"amount": 0} with no currency: left out, noted.
    assert_eq!(contract.value, None);
    assert!(
        all[0].notes.iter().any(|n| n.starts_with("value:")),
        "{:?}",
        all[0].notes
    );
}

#[test]
fn a_record_prefers_its_compiled_release_to_its_releases() {
    let json = br#"{"records": [{"ocid": "o-1",
        "releases": [{"ocid": "o-1", "buyer": {"name": "B"}, "tender": {"title": "From a release"}}],
        "compiledRelease": {"ocid": "o-1", "buyer": {"name": "B"}, "tender": {"title": "Compiled"}}
    }]}"#;
    assert_eq!(only_contract(json).title, "Compiled");
}

#[test]
fn a_record_without_a_compiled_release_uses_its_latest_release() {
    let json = br#"{"records": [{"ocid": "o-1", "releases": [
        {"date": "2021-05-01T00:00:00+02:00", "buyer": {"name": "B"}, "tender": {"title": "Later"}},
        {"date": "2021-04-30T23:00:00Z", "buyer": {"name": "B"}, "tender": {"title": "Earlier"}}
    ]}]}"#;
    let all = parse(json).unwrap();
    // 2021-05-01T00:00+02:00 is 2021-04-30T22:00Z: the second release is later.
    assert_eq!(all[0].outcome.as_ref().unwrap().title, "Earlier");
    assert_eq!(all[0].ocid.as_deref(), Some("o-1"));
}

#[test]
fn the_paraguay_contract_release_is_skipped_for_having_no_tender() {
    let all = parse(PARAGUAY).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].ocid.as_deref(), Some("ocds-03ad3f-246807"));
    let skipped = all[0].outcome.clone().unwrap_err();
    assert!(skipped.reason.starts_with("no tender section"), "{skipped}");
}

#[test]
fn the_iso_8859_1_file_is_read_as_windows_1252_and_says_so() {
    let parsed = super::parse(LATIN_1).unwrap();
    assert_eq!(parsed.notes.len(), 1, "{:?}", parsed.notes);
    assert!(
        parsed.notes[0].contains("not UTF-8 (byte 592"),
        "{:?}",
        parsed.notes
    );
    let contract = parsed
        .releases
        .iter()
        .find_map(|r| r.outcome.clone().ok())
        .unwrap();
    let text = format!("{} {}", contract.title, contract.description);
    assert!(!text.contains('\u{fffd}'), "{text}");
    assert!(text.chars().any(|c| "áéíóúñÁÉÍÓÚÑ".contains(c)), "{text}");
    // UTF-8 files carry no such note.
    assert!(super::parse(BARNET).unwrap().notes.is_empty());
}

#[test]
fn input_that_is_not_an_ocds_package_is_refused_without_panicking() {
    let not_ocds: [&[u8]; 9] = [
        b"[]",
        b"{}",
        b"42",
        b"null",
        b"\"releases\"",
        br#"{"releases": []}"#,
        br#"{"records": {}}"#,
        br#"{"releases": 3, "records": null}"#,
        br#"{"publisher": {"name": "x"}}"#,
    ];
    for bytes in not_ocds {
        let text = String::from_utf8_lossy(bytes);
        assert_eq!(parse(bytes), Err(OcdsError::NotOcds), "{text}");
    }
    let not_json: [&[u8]; 5] = [b"", b"garbage", b"{\"releases\": [", b"{} {}", b"\x00\x01"];
    for bytes in not_json {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            matches!(parse(bytes), Err(OcdsError::NotJson { .. })),
            "{text}"
        );
    }
}

#[test]
fn a_json_error_says_where_it_is() {
    let error = parse(b"{\n  \"releases\": [,]\n}").unwrap_err();
    let OcdsError::NotJson {
        line,
        column,
        message,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!((*line, *column), (2, 16));
    assert!(!message.contains("at line"), "{message}");
}

#[test]
fn input_over_16_mib_is_refused_before_reading() {
    let bytes = vec![b' '; MAX_INPUT_LEN + 1];
    assert_eq!(
        parse(&bytes),
        Err(OcdsError::TooLarge {
            len: MAX_INPUT_LEN + 1
        })
    );
}

#[test]
fn a_utf8_byte_order_mark_is_tolerated() {
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend_from_slice(BARNET);
    assert_eq!(contracts(&bytes).len(), 1);
}

#[test]
fn a_single_release_object_is_accepted() {
    let json = br#"{"ocid": "o-9", "buyer": {"name": "B"}, "tender": {"title": "T"}}"#;
    assert_eq!(only_contract(json).ocid.as_deref(), Some("o-9"));
}

#[test]
fn entries_that_are_not_objects_are_skipped_one_by_one() {
    let json = br#"{"releases": [1, null, {"buyer": {"name": "B"}, "tender": {"title": "T"}}]}"#;
    let all = parse(json).unwrap();
    assert_eq!(all.len(), 3);
    assert!(all[0].outcome.is_err() && all[1].outcome.is_err());
    assert!(all[2].outcome.is_ok());
}

/// How each field of a tender becomes a contract field.
mod fields;
