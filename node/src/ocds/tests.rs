use coopnet_protocol::kinds::{Contract, ContractFields, ContractStatus, ContractValue, Period};
use coopnet_protocol::{
    Body, Day, Draft, MAX_KEY_LEN, SecretKey, Timestamp, samples, verify_bytes,
};

use super::convert::parse_instant;
use super::*;

const BARNET: &[u8] =
    include_bytes!("../../demo-data/ocds/fictional-tender-barnet-cycle-lanes.json");
const MEXICO_1: &[u8] = include_bytes!("../../demo-data/ocds/release-package-1.json");
const MEXICO_2: &[u8] = include_bytes!("../../demo-data/ocds/release-package-2.json");
const RECORDS: &[u8] = include_bytes!("../../demo-data/ocds/record-package-2.json");
const PARAGUAY: &[u8] = include_bytes!("../../demo-data/ocds/release-package_1.1-2.json");
const LATIN_1: &[u8] =
    include_bytes!("../../demo-data/ocds/release-package_encoding-iso-8859-1.json");

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

#[test]
fn every_imported_contract_passes_contract_parse() {
    for (name, bytes) in demo_files() {
        for imported in parse(bytes).into_iter().flatten() {
            if let Ok(fields) = imported.outcome {
                assert!(Contract::parse(fields).is_ok(), "{name}");
            }
        }
    }
}

#[test]
fn wrongly_typed_and_null_fields_count_as_absent() {
    let all = with_tender(
        r#"{"title": "T", "description": null, "value": "lots", "tenderPeriod": [1],
            "items": [{"classification": 5}, "x"], "documents": {"url": 3}, "status": null}"#,
    );
    let contract = all[0].outcome.clone().unwrap();
    assert_eq!(contract.description, "");
    assert_eq!(contract.value, None);
    assert_eq!(contract.deadline, None);
    assert_eq!(contract.status, ContractStatus::Open);
}

#[test]
fn amounts_and_text_may_arrive_as_the_other_type() {
    let all = with_tender(r#"{"title": 2024, "value": {"amount": " 1500.5 ", "currency": "eur"}}"#);
    let contract = all[0].outcome.clone().unwrap();
    assert_eq!(contract.title, "2024");
    assert_eq!(
        contract.value,
        Some(ContractValue {
            amount: Some(150_050),
            min: None,
            currency: "EUR".to_owned()
        })
    );
}

#[test]
fn a_release_without_title_or_buyer_is_skipped_with_the_reason() {
    let all = with_tender(r#"{"status": "active"}"#);
    assert!(
        all[0]
            .outcome
            .as_ref()
            .unwrap_err()
            .reason
            .starts_with("no title")
    );
    let all = with_tender(r#"{"title": "\u0001 \t", "description": " \n\u0002"}"#);
    assert!(
        all[0]
            .outcome
            .as_ref()
            .unwrap_err()
            .reason
            .starts_with("no title")
    );
    let json = br#"{"releases": [{"tender": {"title": "T"}}]}"#;
    let all = parse(json).unwrap();
    assert!(
        all[0]
            .outcome
            .as_ref()
            .unwrap_err()
            .reason
            .starts_with("no buyer")
    );
}

#[test]
fn the_title_falls_back_to_the_first_line_of_the_description() {
    let all = with_tender(r#"{"description": "\n  Road repairs\nin the north"}"#);
    assert_eq!(all[0].outcome.as_ref().unwrap().title, "Road repairs");
    assert!(all[0].notes.iter().any(|n| n.starts_with("title:")));
}

#[test]
fn invisible_formatting_characters_leave_titles_and_buyers_with_a_note() {
    let json = r#"{"releases": [{"ocid": "ocds-x-1", "buyer": {"name": "Bor\u200bough"},
        "tender": {"title": "Road\u00adworks \u202enorth"}}]}"#;
    let all = parse(json.as_bytes()).unwrap();
    let contract = all[0].outcome.as_ref().unwrap();
    assert_eq!(contract.title, "Roadworks north");
    assert_eq!(contract.buyer, "Borough");
    let notes = &all[0].notes;
    assert!(
        notes
            .iter()
            .any(|n| n == "title: removed 2 invisible formatting characters"),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n == "buyer: removed 1 invisible formatting character"),
        "{notes:?}"
    );
}

#[test]
fn invalid_optional_fields_are_left_out_with_a_note() {
    let all = with_tender(
        r#"{"title": "T", "value": {"amount": -5, "currency": "GBP"},
            "tenderPeriod": {"endDate": "next Tuesday"},
            "contractPeriod": {"startDate": "2026-05-01", "endDate": "2026-04-01"},
            "documents": [{"url": "ftp://example.com/x"}, {"url": "javascript:alert(1)"}]}"#,
    );
    let contract = all[0].outcome.clone().unwrap();
    assert_eq!(contract.value, None);
    assert_eq!(contract.deadline, None);
    assert_eq!(contract.period, None);
    assert_eq!(contract.source_url, None);
    let notes = &all[0].notes;
    for field in ["value:", "deadline:", "period:"] {
        assert!(
            notes.iter().any(|n| n.starts_with(field)),
            "{field} {notes:?}"
        );
    }
}

#[test]
fn over_long_text_is_cut_at_a_character_boundary_with_an_ellipsis() {
    let title = "é".repeat(400);
    let description = "語".repeat(25_000);
    let all = with_tender(&format!(
        r#"{{"title": "{title}", "description": "{description}"}}"#
    ));
    let contract = all[0].outcome.clone().unwrap();
    assert_eq!(contract.title.chars().count(), 300);
    assert!(contract.title.ends_with("é…"));
    assert!(contract.description.ends_with('…'));
    assert!(all[0].notes.iter().any(|n| n.starts_with("title: cut")));
    assert!(
        all[0]
            .notes
            .iter()
            .any(|n| n.starts_with("description: cut"))
    );
}

#[test]
fn the_largest_imported_contract_still_fits_in_a_signed_record() {
    let long = |c: &str, n: usize| c.repeat(n);
    let items: Vec<String> = (0..20)
        .map(|i| {
            format!(
                r#"{{"classification": {{"description": "{}{i}"}}}}"#,
                long("𝄞", 120)
            )
        })
        .collect();
    let json = format!(
        r#"{{"ocid": "{ocid}", "buyer": {{"name": "{buyer}"}}, "tender": {{"title": "{title}",
            "description": "{description}", "items": [{items}],
            "deliveryAddresses": [{{"locality": "{place}"}}]}}}}"#,
        ocid = long("𝄞", 200),
        buyer = long("𝄞", 250),
        title = long("𝄞", 400),
        description = long("𝄞", 30_000),
        items = items.join(","),
        place = long("𝄞", 250),
    );
    let all = parse(json.as_bytes()).unwrap();
    let contract = Contract::parse(all[0].outcome.clone().unwrap()).unwrap();
    let key = all[0].key().unwrap();
    let draft = Draft::new(Body::Contract(contract), key, 1, samples::NOW);
    let record = draft.sign(&SecretKey::from_seed(&[7; 32])).unwrap();
    verify_bytes(record.into_bytes(), samples::NOW).unwrap();
}

#[test]
fn skills_come_from_item_classifications_unique_and_at_most_ten() {
    let items: Vec<String> = (0..15)
        .map(|i| {
            format!(
                r#"{{"classification": {{"description": "Skill {}"}}}}"#,
                i % 12
            )
        })
        .chain([r#"{"classification": {"description": "SKILL 1"}}"#.to_owned()])
        .collect();
    let all = with_tender(&format!(
        r#"{{"title": "T", "items": [{}]}}"#,
        items.join(",")
    ));
    let skills = all[0].outcome.clone().unwrap().required_skills;
    assert_eq!(skills.len(), 10, "{skills:?}");
    assert_eq!(skills[0], "Skill 0");
}

#[test]
fn tender_statuses_map_to_open_closed_and_awarded() {
    for (status, expected) in [
        ("active", ContractStatus::Open),
        ("planning", ContractStatus::Open),
        ("planned", ContractStatus::Open),
        ("complete", ContractStatus::Awarded),
        ("cancelled", ContractStatus::Closed),
        ("unsuccessful", ContractStatus::Closed),
        ("withdrawn", ContractStatus::Closed),
    ] {
        let all = with_tender(&format!(r#"{{"title": "T", "status": "{status}"}}"#));
        assert_eq!(
            all[0].outcome.as_ref().unwrap().status,
            expected,
            "{status}"
        );
    }
}

#[test]
fn iso_8601_dates_and_times_become_utc_milliseconds() {
    let day_ms = 20_780 * 86_400_000; // 2026-11-23
    for (text, expected) in [
        ("2026-11-23", Some(day_ms)),
        ("2026-11-23T00:00:00Z", Some(day_ms)),
        ("2026-11-23T00:00Z", Some(day_ms)),
        ("2026-11-23 01:30:00+01:30", Some(day_ms)),
        ("2026-11-23T01:00:00+0100", Some(day_ms)),
        ("2026-11-22T18:00:00-06", Some(day_ms)),
        ("2026-11-23T00:00:01.5Z", Some(day_ms + 1_500)),
        ("2026-11-23T00:00:00.123456Z", Some(day_ms + 123)),
        ("2026-11-23T00:00:00", Some(day_ms)),
        ("1970-01-01T00:30:00+01:00", None),
        ("2026-11-23T25:00:00Z", None),
        ("2026-11-23T10:00:00+5", None),
        ("2026-11-23T10:00:00+1é2", None),
        ("2026-11-23T10:00:00Z+01", None),
        ("2026-11-23Tnoon", None),
        ("23/11/2026", None),
        ("", None),
    ] {
        assert_eq!(parse_instant(text), expected, "{text}");
    }
}

#[test]
fn contract_keys_are_valid_record_keys() {
    let long = "x".repeat(300);
    let ocids = [
        "ocds-213czf-000-00001",
        "",
        "ocds with spaces",
        "ocds-ü-ñ",
        "tab\there",
        "tilde~1",
        long.as_str(),
        "語語語語",
    ];
    for ocid in ocids {
        let key = contract_key(ocid);
        assert!(key.len() <= MAX_KEY_LEN, "{key}");
        assert!(key.bytes().all(|b| b.is_ascii_graphic()), "{key}");
        assert!(key.starts_with("ocds:"), "{key}");
    }
    assert_eq!(
        contract_key("ocds-213czf-000-00001"),
        "ocds:ocds-213czf-000-00001"
    );
}

#[test]
fn distinct_ocids_get_distinct_keys() {
    let base = "o".repeat(200);
    let hashed_twin = format!("a b~{}", &contract_key("a b")["ocds:a-b~".len()..]);
    let ocids = [
        "a b".to_owned(),
        "a-b".to_owned(),
        "a\tb".to_owned(),
        "a~b".to_owned(),
        hashed_twin,
        format!("{base}1"),
        format!("{base}2"),
        base.clone(),
        "ä".to_owned(),
        "ö".to_owned(),
        "x".repeat(123),
        "x".repeat(124),
    ];
    let keys: std::collections::HashSet<String> = ocids.iter().map(|o| contract_key(o)).collect();
    assert_eq!(keys.len(), ocids.len(), "{keys:#?}");
}

#[test]
fn contract_keys_are_stable() {
    assert_eq!(contract_key("a b"), contract_key("a b"));
    assert_eq!(contract_key("a b").len(), "ocds:a-b~".len() + 16);
}
