//! A release to [`ContractFields`], following the mapping in the module
//! documentation of [`super`]; and the ISO 8601 dates OCDS writes.

use std::collections::HashSet;

use coopnet_protocol::kinds::{
    Contract, ContractFields, ContractStatus, ContractValue, Period, fields,
};
use coopnet_protocol::taxonomy::Taxonomy;
use coopnet_protocol::{Day, Timestamp};

use super::release::{Address, Organisation, Release, Tender, Unit};
use super::{Imported, Skipped};

const MAX_SKILLS: usize = 10;
/// The most a value may be, in hundredths (SPEC §3.3).
const MAX_HUNDREDTHS: f64 = 1e17;
/// The description's byte budget, so that with every other field at its
/// limit the signed record stays under the protocol's 64 KiB.
const MAX_DESCRIPTION_BYTES: usize = 48 * 1024;

/// Converts one unit of the input.
pub(super) fn convert(unit: Unit) -> Imported {
    let (ocid, json) = match unit {
        Unit::Release { ocid, json } => (ocid, json),
        Unit::Superseded { ocid } => {
            let reason = "superseded: merged into the latest release with the same ocid";
            return skipped(Some(ocid), reason);
        }
        Unit::NotObject => return skipped(None, "not a release: the entry is not a JSON object"),
    };
    let Ok(release) = serde_json::from_value::<Release>(json) else {
        return skipped(ocid, "not a release: the entry is not a JSON object");
    };
    let mut notes = Vec::new();
    let outcome = fields_of(&release, ocid.as_deref(), &mut notes).and_then(|fields| {
        Contract::parse(fields)
            .map(Contract::into_fields)
            .map_err(|error| Skipped::new(format!("not a valid contract: {error}")))
    });
    Imported {
        ocid,
        outcome,
        notes,
    }
}

fn skipped(ocid: Option<String>, reason: &str) -> Imported {
    Imported {
        ocid,
        outcome: Err(Skipped::new(reason)),
        notes: Vec::new(),
    }
}

fn fields_of(
    release: &Release,
    ocid: Option<&str>,
    notes: &mut Vec<String>,
) -> Result<ContractFields, Skipped> {
    let tender = release.tender.as_ref().ok_or_else(|| {
        Skipped::new(
            "no tender section: this release is about another stage (planning, award or contract)",
        )
    })?;
    let description = tender.description.as_deref().unwrap_or_default();
    let title = match non_empty(tender.title.as_deref()) {
        Some(title) => fit_name("title", title, 300, notes),
        None => {
            let first = description.lines().find_map(|line| non_empty(Some(line)));
            let first = first.ok_or_else(|| {
                Skipped::new("no title: the tender has neither a title nor a description")
            })?;
            notes.push("title: taken from the first line of the description".to_owned());
            fit_name("title", first, 300, notes)
        }
    };
    let buyer = buyer_name(release, tender).ok_or_else(|| {
        Skipped::new("no buyer: neither buyer, parties nor tender.procuringEntity names one")
    })?;
    Ok(ContractFields {
        title,
        buyer: fit_name("buyer", buyer, 200, notes),
        description: description_of(tender, notes),
        required_skills: skills(tender),
        value: value(tender, notes),
        deadline: deadline(tender, notes),
        period: period(tender, notes),
        location: location(release, tender, notes),
        source_url: source_url(release, tender),
        ocid: ocid.and_then(|ocid| {
            let ok = fields::line("ocid", ocid, 1, 200).is_ok();
            if !ok {
                notes.push("ocid: left out, longer than 200 characters".to_owned());
            }
            ok.then(|| ocid.to_owned())
        }),
        status: status(release, tender, notes),
    })
}

/// The text, unless it is only spaces and control characters.
fn non_empty(text: Option<&str>) -> Option<&str> {
    text.filter(|text| text.chars().any(|c| !c.is_whitespace() && !c.is_control()))
}

fn buyer_name<'a>(release: &'a Release, tender: &'a Tender) -> Option<&'a str> {
    let with_role = |role: &str| {
        release
            .parties
            .iter()
            .filter(|party| party.roles.iter().any(|r| r.eq_ignore_ascii_case(role)))
            .find_map(|party| non_empty(party.name.as_deref()))
    };
    let named = |org: Option<&'a Organisation>| non_empty(org.and_then(|o| o.name.as_deref()));
    named(release.buyer.as_ref())
        .or_else(|| with_role("buyer"))
        .or_else(|| with_role("procuringEntity"))
        .or_else(|| named(tender.procuring_entity.as_ref()))
}

fn description_of(tender: &Tender, notes: &mut Vec<String>) -> String {
    let text = match non_empty(tender.description.as_deref()) {
        Some(text) => {
            let decoded = super::entities::decode(text);
            if decoded != text {
                notes.push(
                    "description: HTML character references decoded (&amp; became &)".to_owned(),
                );
            }
            decoded.into_owned()
        }
        None => tender
            .items
            .iter()
            .filter_map(|item| non_empty(item.description.as_deref()))
            .map(collapse)
            .collect::<Vec<_>>()
            .join("\n"),
    };
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text: String = text
        .chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let mut text = fit("description", text.trim().to_owned(), 20_000, notes);
    if text.len() > MAX_DESCRIPTION_BYTES {
        let mut cut = MAX_DESCRIPTION_BYTES - '…'.len_utf8();
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
        notes.push(format!(
            "description: cut to {MAX_DESCRIPTION_BYTES} bytes to fit a record"
        ));
    }
    text
}

fn skills(tender: &Tender) -> Vec<String> {
    let taxonomy = Taxonomy::esco();
    let labels = tender
        .items
        .iter()
        .flat_map(|item| {
            item.classification
                .iter()
                .chain(&item.additional_classifications)
        })
        .chain(&tender.additional_classifications)
        .filter_map(|class| class.description.as_deref());
    let mut seen = HashSet::new();
    let mut skills = Vec::new();
    for label in labels {
        let Some(skill) = taxonomy.resolve(&super::entities::decode(label)) else {
            continue;
        };
        let name = fit("", collapse(&skill.name), 100, &mut Vec::new());
        if !name.is_empty() && seen.insert(name.to_lowercase()) {
            skills.push(name);
            if skills.len() == MAX_SKILLS {
                break;
            }
        }
    }
    skills
}

fn value(tender: &Tender, notes: &mut Vec<String>) -> Option<ContractValue> {
    let amount = hundredths("value", tender.value.as_ref(), notes);
    let mut min = hundredths("minValue", tender.min_value.as_ref(), notes);
    let currency = match (&amount, &min) {
        (Some((_, currency)), _) | (None, Some((_, currency))) => currency.clone(),
        (None, None) => return None,
    };
    if let Some((_, other)) = &min
        && *other != currency
    {
        notes.push(format!(
            "minValue: left out, in {other} while the value is in {currency}"
        ));
        min = None;
    }
    let amount = amount.map(|(hundredths, _)| hundredths);
    let mut min = min.map(|(hundredths, _)| hundredths);
    if let (Some(low), Some(high)) = (min, amount)
        && low > high
    {
        notes.push("minValue: left out, more than the value".to_owned());
        min = None;
    }
    Some(ContractValue {
        amount,
        min,
        currency,
    })
}

/// An OCDS amount as hundredths of its currency (pence, cents), and its
/// currency; `None` (noted) when unusable. An amount of 0 is taken as
/// unknown (publishers write 0 for that), and one with more than two
/// decimals is rounded to the nearest hundredth (noted).
fn hundredths(
    field: &str,
    value: Option<&super::release::Amount>,
    notes: &mut Vec<String>,
) -> Option<(u64, String)> {
    let value = value?;
    if value.amount.is_none() && value.currency.is_none() {
        return None;
    }
    let mut left_out = |why: String| {
        notes.push(format!("{field}: left out, {why}"));
        None
    };
    let Some(amount) = value.amount else {
        return left_out("no usable amount".into());
    };
    if amount == 0.0 {
        return left_out("the amount is 0, which publishers write for unknown".into());
    }
    let scaled = (amount * 100.0).round();
    if !(0.0..=MAX_HUNDREDTHS).contains(&scaled) {
        return left_out("the amount is negative or too large".into());
    }
    if scaled == 0.0 {
        return left_out(format!("the amount {amount} is under a hundredth"));
    }
    let currency = value.currency.as_deref().unwrap_or_default().trim();
    let currency = currency.to_ascii_uppercase();
    if fields::currency("currency", &currency).is_err() {
        return left_out("no three-letter currency code".into());
    }
    if (scaled / 100.0 - amount).abs() > 1e-9 * amount.abs().max(1.0) {
        notes.push(format!(
            "{field}: {amount} rounded to {:.2} (values keep two decimals)",
            scaled / 100.0
        ));
    }
    // The range check above makes this cast exact.
    Some((scaled as u64, currency))
}

fn deadline(tender: &Tender, notes: &mut Vec<String>) -> Option<Timestamp> {
    let text = non_empty(tender.tender_period.as_ref()?.end_date.as_deref())?;
    let instant = parse_instant(text).map(Timestamp);
    if instant.is_none() {
        notes.push(format!(
            "deadline: left out, tenderPeriod.endDate {:?} is not an ISO 8601 date",
            collapse(text)
        ));
    }
    instant
}

fn period(tender: &Tender, notes: &mut Vec<String>) -> Option<Period> {
    let period = tender.contract_period.as_ref()?;
    let start = non_empty(period.start_date.as_deref());
    let end = non_empty(period.end_date.as_deref());
    if start.is_none() && end.is_none() {
        return None;
    }
    let (start, end) = match (start.and_then(parse_day), end.and_then(parse_day)) {
        (Some(start), Some(end)) if start <= end => (start, end),
        (Some(_), Some(_)) => {
            notes.push("period: left out, contractPeriod ends before it starts".to_owned());
            return None;
        }
        _ => {
            let why = "contractPeriod needs both a startDate and an endDate";
            notes.push(format!("period: left out, {why}"));
            return None;
        }
    };
    Some(Period { start, end })
}

fn location(release: &Release, tender: &Tender, notes: &mut Vec<String>) -> String {
    let places = tender.delivery_addresses.iter().map(address).chain(
        tender
            .delivery_locations
            .iter()
            .map(|l| described(&l.description)),
    );
    let items = tender.items.iter().flat_map(|item| {
        let addresses = item.delivery_address.iter().chain(&item.delivery_addresses);
        let locations = item
            .delivery_location
            .iter()
            .chain(&item.delivery_locations);
        addresses
            .map(address)
            .chain(locations.map(|l| described(&l.description)))
    });
    let with_role = |role: &'static str| {
        release
            .parties
            .iter()
            .filter(move |p| p.roles.iter().any(|r| r.eq_ignore_ascii_case(role)))
    };
    let buyer_id = release.buyer.as_ref().and_then(|b| b.id.as_deref());
    let organisations = release
        .buyer
        .iter()
        .chain(
            release
                .parties
                .iter()
                .filter(|p| buyer_id.is_some() && p.id.as_deref() == buyer_id),
        )
        .chain(with_role("buyer"))
        .chain(&tender.procuring_entity)
        .chain(with_role("procuringEntity"))
        .filter_map(|org| org.address.as_ref())
        .map(address);
    let place = places
        .chain(items)
        .chain(organisations)
        .find(|p| !p.is_empty());
    fit_line("location", &place.unwrap_or_default(), 200, notes)
}

/// "Locality, Region, Country", leaving out blanks and repeats.
fn address(address: &Address) -> String {
    let mut parts: Vec<String> = Vec::new();
    for part in [&address.locality, &address.region, &address.country_name] {
        let part = collapse(part.as_deref().unwrap_or_default());
        if !part.is_empty()
            && !parts
                .iter()
                .any(|p| p.to_lowercase() == part.to_lowercase())
        {
            parts.push(part);
        }
    }
    parts.join(", ")
}

fn described(description: &Option<String>) -> String {
    collapse(description.as_deref().unwrap_or_default())
}

fn source_url(release: &Release, tender: &Tender) -> Option<String> {
    let is_notice =
        |d: &&super::release::Document| d.document_type.as_deref() == Some("tenderNotice");
    let notices = tender.documents.iter().filter(is_notice);
    let others = tender.documents.iter().filter(|d| !is_notice(d));
    notices
        .chain(others)
        .filter_map(|d| d.url.as_deref())
        .chain(release.uri.as_deref())
        .map(str::trim)
        .find(|url| fields::url("source_url", url).is_ok())
        .map(str::to_owned)
}

fn status(release: &Release, tender: &Tender, notes: &mut Vec<String>) -> ContractStatus {
    let status = tender.status.as_deref().unwrap_or_default().trim();
    if status.is_empty() && release.awards.is_empty() {
        notes.push("status: not given, taken as open".to_owned());
    }
    let is = |names: &[&str]| names.iter().any(|n| status.eq_ignore_ascii_case(n));
    let live_award = release.awards.iter().any(|award| {
        let status = award.status.as_deref().unwrap_or_default().trim();
        !["cancelled", "unsuccessful"]
            .iter()
            .any(|n| status.eq_ignore_ascii_case(n))
    });
    if is(&["cancelled", "unsuccessful", "withdrawn"]) {
        ContractStatus::Closed
    } else if is(&["complete", "awarded"]) || live_award {
        ContractStatus::Awarded
    } else {
        ContractStatus::Open
    }
}

/// Runs of whitespace and control characters as one space, trimmed.
fn collapse(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// One line of at most `max` characters, its HTML character references
/// decoded (noted), and line breaks and runs of spaces as single spaces
/// (noted when the text had any inside it).
fn fit_line(field: &str, text: &str, max: usize, notes: &mut Vec<String>) -> String {
    let decoded = super::entities::decode(text);
    if decoded != text {
        notes.push(format!(
            "{field}: HTML character references decoded (&amp; became &)"
        ));
    }
    let line = collapse(&decoded);
    if !field.is_empty() && line != decoded.trim() {
        notes.push(format!(
            "{field}: line breaks and runs of spaces made single spaces"
        ));
    }
    fit(field, line, max, notes)
}

/// A name (SPEC §3.2) of at most `max` characters: one line, without the
/// invisible formatting characters names may not hold (removed, and
/// noted).
fn fit_name(field: &str, text: &str, max: usize, notes: &mut Vec<String>) -> String {
    let hidden = text.chars().filter(|c| fields::is_format(*c)).count();
    if hidden == 0 {
        return fit_line(field, text, max, notes);
    }
    notes.push(format!(
        "{field}: removed {hidden} invisible formatting character{}",
        if hidden == 1 { "" } else { "s" }
    ));
    let visible: String = text.chars().filter(|c| !fields::is_format(*c)).collect();
    fit_line(field, &visible, max, notes)
}

/// `text` cut to at most `max` characters (ending with "…" if cut).
fn fit(field: &str, text: String, max: usize, notes: &mut Vec<String>) -> String {
    let Some((cut, _)) = text.char_indices().nth(max.saturating_sub(1)) else {
        return text;
    };
    if text[cut..].chars().nth(1).is_none() {
        return text; // exactly `max` characters
    }
    notes.push(format!("{field}: cut to {max} characters"));
    let mut short = text[..cut].trim_end().to_owned();
    short.push('…');
    short
}

/// The calendar day an ISO 8601 date or date-time starts with (the local
/// date, whatever the offset).
fn parse_day(text: &str) -> Option<Day> {
    text.trim().get(..10)?.parse().ok()
}

/// Milliseconds since the Unix epoch of an ISO 8601 date-time
/// (`YYYY-MM-DDTHH:MM[:SS[.fff]]` then `Z`, `±HH:MM`, `±HHMM`, `±HH` or
/// nothing for UTC) or bare date (00:00 UTC). `None` if malformed or
/// before 1970.
pub(super) fn parse_instant(text: &str) -> Option<u64> {
    const MINUTE: i64 = 60_000;
    let text = text.trim();
    let day = parse_day(text)?;
    let mut millis = i64::from(day.days()) * 1440 * MINUTE;
    let rest = &text[10..];
    if !rest.is_empty() {
        let rest = rest.strip_prefix(['T', 't', ' '])?;
        let split = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
        let (time, zone) = rest.split_at(split);
        let (hms, fraction) = time.split_once(['.', ',']).unwrap_or((time, ""));
        let mut parts = hms.split(':');
        let hour = number(parts.next(), 0..=23)?;
        let minute = number(parts.next(), 0..=59)?;
        let second = match parts.next() {
            Some(second) => number(Some(second), 0..=60)?.min(59),
            None if fraction.is_empty() => 0,
            None => return None,
        };
        if parts.next().is_some() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let fraction = format!("{fraction:0<3}");
        let fraction_ms = fraction.get(..3).and_then(|ms| ms.parse::<i64>().ok())?;
        millis += (hour * 60 + minute) * MINUTE + second * 1000 + fraction_ms;
        millis -= zone_offset(zone)? * MINUTE;
    }
    u64::try_from(millis).ok()
}

/// The offset east of UTC in minutes.
fn zone_offset(zone: &str) -> Option<i64> {
    if zone.is_empty() || zone.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let digits = zone.get(1..)?.replace(':', "");
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes) = match digits.len() {
        2 => (digits.as_str(), "00"),
        4 => digits.split_at(2),
        _ => return None,
    };
    let hours = number(Some(hours), 0..=23)?;
    let minutes = number(Some(minutes), 0..=59)?;
    Some(sign * (hours * 60 + minutes))
}

/// Two ASCII digits within `range`.
fn number(text: Option<&str>, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
    let text = text?;
    if text.len() != 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|n| range.contains(n))
}
