//! Every change the importer makes is reported (issue 16): entities
//! decoded, spaces collapsed, values rounded, statuses defaulted; and
//! the values that are not whole units are said to be.

use coopnet_protocol::kinds::{ContractStatus, Money};

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
fn collapsed_spaces_rounded_values_and_defaulted_statuses_are_noted() {
    let one = imported(
        r#"{"title": "Roof\n  repairs", "value": {"amount": 51365.26, "currency": "GBP"}}"#,
    );
    let fields = one.outcome.clone().unwrap();
    assert_eq!(fields.title, "Roof repairs");
    assert_eq!(
        fields.value,
        Some(Money {
            amount: 51_365,
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
        noted(&one, "value: 51365.26 rounded to 51365"),
        "{:?}",
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
fn a_value_under_one_unit_is_not_called_zero() {
    let tiny = imported(
        r#"{"title": "Pens", "status": "active", "value": {"amount": 0.1, "currency": "GBP"}}"#,
    );
    assert_eq!(tiny.outcome.clone().unwrap().value, None);
    assert!(
        noted(&tiny, "the amount 0.1 is under one whole unit"),
        "{:?}",
        tiny.notes
    );
    let zero = imported(
        r#"{"title": "Pens", "status": "active", "value": {"amount": 0, "currency": "GBP"}}"#,
    );
    assert!(
        noted(&zero, "the amount is 0, which publishers write for unknown"),
        "{:?}",
        zero.notes
    );
}
