//! How values are shown to people, in UK forms: money as people write it
//! (£1,100,000; €250,000), dates as "3 December 2026", times of
//! publication rather than version numbers, and links only for the web
//! addresses and e-mails that are safe to follow. Templates call these as
//! `show::value(..)`; each returns plain text (escaped by askama).

use coopnet_protocol::kinds::{ContractValue, SkillEntry};
use coopnet_protocol::taxonomy::{Concept, Taxonomy, fold};
use coopnet_protocol::{Day, Timestamp};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A whole number with thousands separators: `1100000` → `1,100,000`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The symbol written before an amount, for the currencies people here
/// write that way.
fn symbol(currency: &str) -> Option<&'static str> {
    match currency {
        "GBP" => Some("£"),
        "EUR" => Some("€"),
        "USD" => Some("$"),
        _ => None,
    }
}

/// An amount in whole units of `currency`: `£1,100,000`, `CHF 2,500`.
pub fn amount(amount: u64, currency: &str) -> String {
    match symbol(currency) {
        Some(symbol) => format!("{symbol}{}", grouped(amount)),
        None => format!("{currency} {}", grouped(amount)),
    }
}

/// An amount in hundredths: `£51,365.26`, or `£1,100,000` when whole.
pub fn hundredths(hundredths: u64, currency: &str) -> String {
    let whole = amount(hundredths / 100, currency);
    match hundredths % 100 {
        0 => whole,
        pence => format!("{whole}.{pence:02}"),
    }
}

/// A contract's value as people write one: `£1,100,000`, a range
/// `£600,000–£1,100,000`, or a minimum `from £300,000`.
pub fn value(value: &ContractValue) -> String {
    let currency = &value.currency;
    match (value.min, value.amount) {
        (Some(min), Some(amount)) if min < amount => format!(
            "{}–{}",
            hundredths(min, currency),
            hundredths(amount, currency)
        ),
        (_, Some(amount)) => hundredths(amount, currency),
        (Some(min), None) => format!("from {}", hundredths(min, currency)),
        (None, None) => String::new(),
    }
}

/// A day rate band: `£350–£450 a day` (or one figure when equal).
pub fn rate(min: &u32, max: &u32, currency: &str) -> String {
    let (min, max) = (*min, *max);
    match min == max {
        true => format!("{} a day", amount(min.into(), currency)),
        false => format!(
            "{}–{} a day",
            amount(min.into(), currency),
            amount(max.into(), currency)
        ),
    }
}

/// The calendar date of a day number: `3 December 2026`.
pub fn day(day: &Day) -> String {
    let (year, month, date) = civil(i64::from(day.days()));
    format!("{date} {} {year}", MONTHS[(month - 1) as usize])
}

/// A moment, to the minute, UTC: `3 December 2026, 14:05 UTC`.
pub fn time(at: &Timestamp) -> String {
    let minutes = at.0 / 60_000;
    let days = (minutes / 1_440) as i64;
    let (hour, minute) = ((minutes % 1_440) / 60, minutes % 60);
    let (year, month, date) = civil(days);
    format!(
        "{date} {} {year}, {hour:02}:{minute:02} UTC",
        MONTHS[(month - 1) as usize]
    )
}

/// A deadline: its date alone when it is the end of a day (as a deadline
/// typed as a date is kept), else its date and time.
pub fn deadline(at: &Timestamp) -> String {
    let end_of_day = at.0 % 86_400_000 == 86_400_000 - 1;
    match end_of_day {
        true => {
            let (year, month, date) = civil((at.0 / 86_400_000) as i64);
            format!("{date} {} {year}", MONTHS[(month - 1) as usize])
        }
        false => time(at),
    }
}

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01, by the
/// civil-from-days algorithm (proleptic Gregorian).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let date = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, date)
}

/// A capacity window's way of working.
pub fn mode(mode: &coopnet_protocol::kinds::WorkMode) -> &'static str {
    use coopnet_protocol::kinds::WorkMode;
    match mode {
        WorkMode::Remote => "remote",
        WorkMode::OnSite => "on site",
        WorkMode::Hybrid => "hybrid",
    }
}

/// The address to link a co-op's website to: only `http` and `https`.
pub fn web_href(url: &str) -> Option<&str> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then_some(url)
}

/// The `mailto:` address of an e-mail address, if it looks like one (no
/// characters that would add headers or recipients).
pub fn mail_href(email: &str) -> Option<String> {
    let plain = email.contains('@')
        && !email.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '?' | '&' | ',' | ';' | '%')
        });
    plain.then(|| format!("mailto:{email}"))
}

/// The ESCO concept a skill is linked to, to show beside its name; `None`
/// without one.
pub fn concept(entry: &SkillEntry) -> Option<&'static Concept> {
    Taxonomy::esco().entry_concept(entry)
}

/// Whether the concept's label says more than the skill's name (which
/// may be the label itself, or it without its qualifier).
pub fn says_more(concept: &Concept, name: &str) -> bool {
    let label = concept.label();
    let plain = label.split(" (").next().unwrap_or(label);
    let name = fold(name);
    name != fold(label) && name != fold(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_as_people_write_it() {
        let of = |min, amount, currency: &str| ContractValue {
            amount,
            min,
            currency: currency.into(),
        };
        assert_eq!(value(&of(None, Some(110_000_000), "GBP")), "£1,100,000");
        assert_eq!(value(&of(None, Some(25_000_000), "EUR")), "€250,000");
        assert_eq!(value(&of(None, Some(99_900), "USD")), "$999");
        assert_eq!(value(&of(None, Some(250_000), "CHF")), "CHF 2,500");
        assert_eq!(value(&of(None, Some(5_136_526), "GBP")), "£51,365.26");
        assert_eq!(value(&of(None, Some(5), "GBP")), "£0.05");
        assert_eq!(
            value(&of(Some(1_000_000), Some(5_000_000), "GBP")),
            "£10,000–£50,000"
        );
        assert_eq!(value(&of(Some(30_000_000), None, "GBP")), "from £300,000");
        assert_eq!(value(&of(Some(100), Some(100), "GBP")), "£1");
        assert_eq!(rate(&350, &450, "GBP"), "£350–£450 a day");
        assert_eq!(rate(&400, &400, "GBP"), "£400 a day");
    }

    #[test]
    fn dates_and_times_are_in_uk_form() {
        let d: Day = "2026-12-03".parse().expect("a day");
        assert_eq!(day(&d), "3 December 2026");
        let leap: Day = "2028-02-29".parse().expect("a day");
        assert_eq!(day(&leap), "29 February 2028");
        // 2026-12-03T14:05:30Z
        assert_eq!(
            time(&Timestamp(1_796_306_730_000)),
            "3 December 2026, 14:05 UTC"
        );
        assert_eq!(day(&"1970-01-01".parse().expect("a day")), "1 January 1970");
    }

    #[test]
    fn a_deadline_typed_as_a_date_shows_only_the_date() {
        let end_of_day = Timestamp(1_796_342_400_000 - 1); // 2026-12-03T23:59:59.999Z
        assert_eq!(deadline(&end_of_day), "3 December 2026");
        assert_eq!(
            deadline(&Timestamp(1_796_299_200_000)),
            "3 December 2026, 12:00 UTC"
        );
    }

    #[test]
    fn only_web_and_plain_mail_addresses_become_links() {
        assert_eq!(
            web_href("https://coop.example"),
            Some("https://coop.example")
        );
        assert_eq!(web_href("HTTP://coop.example"), Some("HTTP://coop.example"));
        assert_eq!(web_href("javascript:alert(1)"), None);
        assert_eq!(web_href("ftp://x"), None);
        assert_eq!(
            mail_href("hello@coop.example").as_deref(),
            Some("mailto:hello@coop.example")
        );
        assert_eq!(mail_href("a@b.example?bcc=c@d.example"), None);
        assert_eq!(mail_href("not an address"), None);
    }

    #[test]
    fn a_skill_shows_its_concept_when_the_label_says_more_than_the_name() {
        let entry = |name: &str| SkillEntry {
            name: name.to_owned(),
            concept: None,
            level: coopnet_protocol::kinds::SkillLevel::Working,
            headcount: 1,
        };
        let python = concept(&entry("python")).unwrap();
        assert_eq!(python.label(), "Python (computer programming)");
        assert!(!says_more(python, "python"));
        let lua = concept(&entry("Lua")).unwrap();
        assert!(says_more(lua, "Lua"), "{}", lua.label());
        assert!(concept(&entry("Basket weaving for ducks")).is_none());
    }
}
