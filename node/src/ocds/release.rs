//! The loose serde model of the OCDS fields the importer reads, and the
//! finding (and merging) of releases in a package.
//!
//! Every field is optional and read leniently: a missing field, a `null`
//! and a value of the wrong type all count as absent; in a list, entries of
//! the wrong shape are dropped; text may arrive as a number and numbers as
//! text. Fields not named here (extensions, misspellings such as the Mexico
//! data's `submissionmethoddetails`) are ignored.

use std::collections::HashMap;

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};
use serde_json::{Map, Value};

use super::convert::parse_instant;

/// A release: one stage of a contracting process.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Release {
    #[serde(default, deserialize_with = "text")]
    pub uri: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub buyer: Option<Organisation>,
    #[serde(default, deserialize_with = "list")]
    pub parties: Vec<Organisation>,
    #[serde(default, deserialize_with = "lenient")]
    pub tender: Option<Tender>,
    #[serde(default, deserialize_with = "list")]
    pub awards: Vec<Award>,
}

/// An organisation: a party, or a reference to one (`buyer`,
/// `procuringEntity`), which in OCDS 1.0 data carries the address too.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Organisation {
    #[serde(default, deserialize_with = "text")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub roles: Vec<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub address: Option<Address>,
}

/// A postal address.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Address {
    #[serde(default, deserialize_with = "text")]
    pub locality: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub region: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub country_name: Option<String>,
}

/// A place described in words (the location extension's `Location`).
#[derive(Debug, Default, Deserialize)]
pub(super) struct Location {
    #[serde(default, deserialize_with = "text")]
    pub description: Option<String>,
}

/// The tender section.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Tender {
    #[serde(default, deserialize_with = "text")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub value: Option<Amount>,
    #[serde(default, deserialize_with = "lenient")]
    pub min_value: Option<Amount>,
    #[serde(default, deserialize_with = "lenient")]
    pub tender_period: Option<Period>,
    #[serde(default, deserialize_with = "lenient")]
    pub contract_period: Option<Period>,
    #[serde(default, deserialize_with = "lenient")]
    pub procuring_entity: Option<Organisation>,
    #[serde(default, deserialize_with = "list")]
    pub documents: Vec<Document>,
    #[serde(default, deserialize_with = "list")]
    pub items: Vec<Item>,
    #[serde(default, deserialize_with = "list")]
    pub additional_classifications: Vec<Classification>,
    #[serde(default, deserialize_with = "list")]
    pub delivery_addresses: Vec<Address>,
    #[serde(default, deserialize_with = "list")]
    pub delivery_locations: Vec<Location>,
}

/// A line of what is being bought.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Item {
    #[serde(default, deserialize_with = "text")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub classification: Option<Classification>,
    #[serde(default, deserialize_with = "list")]
    pub additional_classifications: Vec<Classification>,
    #[serde(default, deserialize_with = "lenient")]
    pub delivery_address: Option<Address>,
    #[serde(default, deserialize_with = "list")]
    pub delivery_addresses: Vec<Address>,
    #[serde(default, deserialize_with = "lenient")]
    pub delivery_location: Option<Location>,
    #[serde(default, deserialize_with = "list")]
    pub delivery_locations: Vec<Location>,
}

/// A code from a classification scheme (CPV, UNSPSC...) with its label.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Classification {
    #[serde(default, deserialize_with = "text")]
    pub description: Option<String>,
}

/// A sum of money.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Amount {
    #[serde(default, deserialize_with = "number")]
    pub amount: Option<f64>,
    #[serde(default, deserialize_with = "text")]
    pub currency: Option<String>,
}

/// A span of time, as ISO 8601 text.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Period {
    #[serde(default, deserialize_with = "text")]
    pub start_date: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub end_date: Option<String>,
}

/// A published document.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Document {
    #[serde(default, deserialize_with = "text")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub document_type: Option<String>,
}

/// An award (only its status is read).
#[derive(Debug, Default, Deserialize)]
pub(super) struct Award {
    #[serde(default, deserialize_with = "text")]
    pub status: Option<String>,
}

/// `T` if the value has its shape, else `None`.
fn lenient<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    Ok(serde_json::from_value(Value::deserialize(d)?).ok())
}

/// The entries of an array that have `T`'s shape; nothing if not an array.
fn list<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(entries) => entries
            .into_iter()
            .filter_map(|entry| serde_json::from_value(entry).ok())
            .collect(),
        _ => Vec::new(),
    })
}

/// A string, or a number written out.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(text) => Some(text),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    })
}

/// A number, or text that reads as one.
fn number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    })
}

/// What the converter gets for each release (or record) of the input.
#[derive(Debug)]
pub(super) enum Unit {
    /// A release to convert, possibly merged from several.
    Release {
        /// The ocid, from the release or else its record.
        ocid: Option<String>,
        /// The release, as JSON.
        json: Value,
    },
    /// A release merged into a later release of the same ocid.
    Superseded { ocid: String },
    /// An entry of `releases` or `records` that is not a JSON object.
    NotObject,
}

/// The releases in a release package, record package or single release, or
/// `None` if the JSON is none of those or holds no releases or records.
pub(super) fn units(json: Value) -> Option<Vec<Unit>> {
    let Value::Object(mut top) = json else {
        return None;
    };
    let units = match (top.remove("records"), top.remove("releases")) {
        (Some(Value::Array(records)), _) => records.into_iter().map(record).collect(),
        (_, Some(Value::Array(releases))) => release_package(releases),
        _ if top.contains_key("ocid") || top.contains_key("tender") => {
            let ocid = ocid_of(&top);
            vec![Unit::Release {
                ocid,
                json: Value::Object(top),
            }]
        }
        _ => Vec::new(),
    };
    (!units.is_empty()).then_some(units)
}

/// A record: its compiled release, else its releases merged.
fn record(record: Value) -> Unit {
    let Value::Object(mut record) = record else {
        return Unit::NotObject;
    };
    let record_ocid = ocid_of(&record);
    let json = match (record.remove("compiledRelease"), record.remove("releases")) {
        (Some(compiled @ Value::Object(_)), _) => compiled,
        (_, Some(Value::Array(releases))) => {
            merge_by_date(releases.into_iter().filter(Value::is_object).collect())
        }
        _ => Value::Object(Map::new()),
    };
    let ocid = json.as_object().and_then(ocid_of).or(record_ocid);
    Unit::Release { ocid, json }
}

/// The releases of a release package, those sharing an ocid merged into
/// the latest of them.
fn release_package(releases: Vec<Value>) -> Vec<Unit> {
    let ocids: Vec<Option<String>> = releases
        .iter()
        .map(|release| release.as_object().and_then(ocid_of))
        .collect();
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (at, ocid) in ocids.iter().enumerate() {
        if let Some(ocid) = ocid {
            groups.entry(ocid.as_str()).or_default().push(at);
        }
    }
    let mut slots: Vec<Option<Value>> = releases.into_iter().map(Some).collect();
    let mut merged: HashMap<usize, Value> = HashMap::new();
    for mut group in groups.into_values().filter(|group| group.len() > 1) {
        group.sort_by_cached_key(|&at| (date_key(slots[at].as_ref()), at));
        let latest = group[group.len() - 1];
        let members = group.iter().filter_map(|&at| slots[at].take()).collect();
        merged.insert(latest, merge_in_order(members));
    }
    let mut units = Vec::with_capacity(slots.len());
    for (at, (slot, ocid)) in slots.into_iter().zip(ocids).enumerate() {
        units.push(match (slot, merged.remove(&at), ocid) {
            (_, Some(json), ocid) => Unit::Release { ocid, json },
            (Some(json @ Value::Object(_)), None, ocid) => Unit::Release { ocid, json },
            (None, None, Some(ocid)) => Unit::Superseded { ocid },
            _ => Unit::NotObject,
        });
    }
    units
}

/// The trimmed, non-empty `ocid` of an object.
fn ocid_of(object: &Map<String, Value>) -> Option<String> {
    let ocid = object.get("ocid")?.as_str()?.trim();
    (!ocid.is_empty()).then(|| ocid.to_owned())
}

/// Sorts releases by `date` (undated and unparsable first) and merges them.
fn merge_by_date(mut releases: Vec<Value>) -> Value {
    releases.sort_by_cached_key(|release| date_key(Some(release)));
    merge_in_order(releases)
}

fn date_key(release: Option<&Value>) -> (Option<u64>, String) {
    let date = release
        .and_then(|r| r.get("date"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    (parse_instant(date), date.to_owned())
}

/// The fields the converter reads; the rest is not worth merging.
const READ: [&str; 7] = [
    "ocid", "date", "uri", "buyer", "parties", "tender", "awards",
];

/// Merges releases, oldest first, into one.
fn merge_in_order(releases: Vec<Value>) -> Value {
    let mut compiled = Value::Object(Map::new());
    for mut release in releases {
        if let Value::Object(fields) = &mut release {
            fields.retain(|name, _| READ.contains(&name.as_str()));
        }
        merge(&mut compiled, release);
    }
    compiled
}

/// The OCDS merge, simplified: objects merge by field, `null` removes a
/// field, arrays of objects with ids merge by id, anything else is replaced.
fn merge(base: &mut Value, newer: Value) {
    match (base, newer) {
        (Value::Object(old), Value::Object(new)) => {
            for (name, value) in new {
                match old.get_mut(&name) {
                    _ if value.is_null() => {
                        old.remove(&name);
                    }
                    Some(slot) => merge(slot, value),
                    None => {
                        old.insert(name, value);
                    }
                }
            }
        }
        (Value::Array(old), Value::Array(new)) if has_ids(old) && has_ids(&new) => {
            let mut index: HashMap<String, usize> = old
                .iter()
                .enumerate()
                .map(|(at, v)| (id_of(v), at))
                .collect();
            for entry in new {
                match index.get(&id_of(&entry)) {
                    Some(&at) => merge(&mut old[at], entry),
                    None => {
                        index.insert(id_of(&entry), old.len());
                        old.push(entry);
                    }
                }
            }
        }
        (base, newer) => *base = newer,
    }
}

fn has_ids(entries: &[Value]) -> bool {
    entries.iter().all(|entry| {
        entry
            .get("id")
            .is_some_and(|id| id.is_string() || id.is_number())
    })
}

/// An id as text, so that `1` and `"1"` match.
fn id_of(entry: &Value) -> String {
    match entry.get("id") {
        Some(Value::String(id)) => id.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}
