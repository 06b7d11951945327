//! How each field of a tender becomes a contract field: absent, mistyped
//! and invalid values, text limits, skills, statuses, dates and keys.

use super::*;

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
