//! Every change the importer makes is reported (issue 16): entities
//! decoded, spaces collapsed, values rounded, statuses defaulted; and
//! the values that are not whole units are said to be.

use coopnet_protocol::kinds::{ContractStatus, ContractValue};

use super::*;

/// The one release of a package holding `tender`, as imported.
fn imported(tender: &str) -> Imported {
    bought_by("Leeds City Council", tender)
}

/// [`imported`], from `buyer`.
fn bought_by(buyer: &str, tender: &str) -> Imported {
    let json = format!(
        r#"{{"releases": [{{"ocid": "ocds-x-1", "buyer": {{"name": "{buyer}"}}, "tender": {tender}}}]}}"#
    );
    let mut parsed = parse(json.as_bytes()).unwrap();
    assert!(parsed.notes.is_empty());
    parsed.releases.remove(0)
}

fn noted(imported: &Imported, text: &str) -> bool {
    imported.notes.iter().any(|note| note.contains(text))
}

#[test]
fn html_entities_are_decoded_and_noted() {
    let one = bought_by(
        "Leeds &amp; District Council",
        r#"{"title": "Repairs &amp; Maintenance &#8211; Children&#8217;s Homes", "description": "Fish &amp; chips &lt;3"}"#,
    );
    let fields = one.outcome.clone().unwrap();
    assert_eq!(fields.title, "Repairs & Maintenance – Children’s Homes");
    assert_eq!(fields.buyer, "Leeds & District Council");
    assert_eq!(fields.description, "Fish & chips <3");
    for field in ["title", "buyer", "description"] {
        assert!(
            noted(&one, &format!("{field}: HTML character references decoded")),
            "{:?}",
            one.notes
        );
    }
}

#[test]
fn collapsed_spaces_and_defaulted_statuses_are_noted_and_pence_kept() {
    let one = imported(
        r#"{"title": "Roof\n  repairs", "value": {"amount": 51365.26, "currency": "GBP"}}"#,
    );
    let fields = one.outcome.clone().unwrap();
    assert_eq!(fields.title, "Roof repairs");
    // Pence are kept.
    assert_eq!(
        fields.value,
        Some(ContractValue {
            amount: Some(5_136_526),
            min: None,
            currency: "GBP".into()
        })
    );
    assert_eq!(fields.status, ContractStatus::Open);
    assert!(
        noted(&one, "title: line breaks and runs of spaces"),
        "{:?}",
        one.notes
    );
    assert!(
        !noted(&one, "rounded"),
        "pence need no rounding: {:?}",
        one.notes
    );
    assert!(
        noted(&one, "status: not given, taken as open"),
        "{:?}",
        one.notes
    );

    // A clean release is imported without a single note.
    let clean = imported(
        r#"{"title": "Roof repairs", "status": "active", "value": {"amount": 50000, "currency": "GBP"}}"#,
    );
    assert!(clean.notes.is_empty(), "{:?}", clean.notes);
}

#[test]
fn values_keep_two_decimals_and_say_when_they_had_more() {
    let precise = imported(
        r#"{"title": "Pens", "status": "active", "value": {"amount": 12.345, "currency": "GBP"}}"#,
    );
    let value = precise.outcome.clone().unwrap().value.unwrap();
    assert_eq!(value.amount, Some(1_235));
    assert!(
        noted(&precise, "value: 12.345 rounded to 12.35"),
        "{:?}",
        precise.notes
    );
    let tiny = imported(
        r#"{"title": "Pens", "status": "active", "value": {"amount": 0.001, "currency": "GBP"}}"#,
    );
    assert_eq!(tiny.outcome.clone().unwrap().value, None);
    assert!(
        noted(&tiny, "the amount 0.001 is under a hundredth"),
        "{:?}",
        tiny.notes
    );
    let pence = imported(
        r#"{"title": "Pens", "status": "active", "value": {"amount": 0.1, "currency": "GBP"}}"#,
    );
    assert_eq!(
        pence.outcome.clone().unwrap().value.unwrap().amount,
        Some(10)
    );
    let zero = imported(
        r#"{"title": "Pens", "status": "active", "value": {"amount": 0, "currency": "GBP"}}"#,
    );
    assert_eq!(zero.outcome.clone().unwrap().value, None);
    assert!(
        noted(&zero, "the amount is 0, which publishers write for unknown"),
        "{:?}",
        zero.notes
    );
}

#[test]
fn a_minimum_value_is_kept_alone_or_as_the_bottom_of_a_range() {
    // Contracts Finder's usual: value 0 (unknown), the real figure in minValue.
    let from = imported(
        r#"{"title": "Framework", "status": "active", "value": {"amount": 0, "currency": "GBP"}, "minValue": {"amount": 300000, "currency": "GBP"}}"#,
    );
    let value = from.outcome.clone().unwrap().value.unwrap();
    assert_eq!((value.amount, value.min), (None, Some(30_000_000)));
    let range = imported(
        r#"{"title": "Framework", "status": "active", "value": {"amount": 50000, "currency": "GBP"}, "minValue": {"amount": 10000, "currency": "GBP"}}"#,
    );
    let value = range.outcome.clone().unwrap().value.unwrap();
    assert_eq!(
        (value.amount, value.min),
        (Some(5_000_000), Some(1_000_000))
    );
    let upside_down = imported(
        r#"{"title": "Framework", "status": "active", "value": {"amount": 10000, "currency": "GBP"}, "minValue": {"amount": 50000, "currency": "GBP"}}"#,
    );
    assert_eq!(
        upside_down.outcome.clone().unwrap().value.unwrap().min,
        None
    );
    assert!(noted(
        &upside_down,
        "minValue: left out, more than the value"
    ));
    let mixed = imported(
        r#"{"title": "Framework", "status": "active", "value": {"amount": 10000, "currency": "GBP"}, "minValue": {"amount": 5000, "currency": "EUR"}}"#,
    );
    assert_eq!(mixed.outcome.clone().unwrap().value.unwrap().min, None);
    assert!(noted(
        &mixed,
        "minValue: left out, in EUR while the value is in GBP"
    ));
}
