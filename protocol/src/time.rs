//! Time as records carry it: instants in Unix milliseconds and calendar days.
//!
//! Nothing here reads a clock: callers pass `now`, so validation is a pure
//! function and tests never flake.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant, in milliseconds since the Unix epoch (UTC).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// The instant `millis` milliseconds after this one (saturating).
    pub fn plus_millis(self, millis: u64) -> Self {
        Self(self.0.saturating_add(millis))
    }

    /// The calendar day (UTC) this instant falls on.
    pub fn day(self) -> Day {
        let days = self.0 / 86_400_000;
        Day(i32::try_from(days).unwrap_or(i32::MAX))
    }
}

/// Why a calendar day did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a date is written YYYY-MM-DD, between 1970-01-01 and 9999-12-31; got {0:?}")]
pub struct DayError(String);

/// A calendar day, stored as the number of days since 1970-01-01.
///
/// Its text form is ISO 8601 `YYYY-MM-DD`; serde writes that text in
/// human-readable formats and the day number in binary ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i32);

/// The last day a [`Day`] may be: 9999-12-31.
const MAX_DAY: i32 = 2_932_896;

impl Day {
    /// The day `days` after 1970-01-01, if within 1970-01-01..=9999-12-31.
    pub fn from_days(days: i32) -> Option<Self> {
        (0..=MAX_DAY).contains(&days).then_some(Self(days))
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i32 {
        self.0
    }

    /// The day from its year, month (1-12) and day of month, if it exists.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Self> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Self::from_days(days_from_civil(year, month, day))
    }

    /// Year, month (1-12) and day of month.
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    /// Number of days from `self` to `later`, counting both ends.
    pub fn span_inclusive(self, later: Day) -> i64 {
        i64::from(later.0) - i64::from(self.0) + 1
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// The two conversions below are the well-known proleptic Gregorian
// algorithms (eras of 400 years), written out from their description.
fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i32::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl FromStr for Day {
    type Err = DayError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || DayError(text.chars().take(40).collect());
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shape_ok {
            return Err(bad());
        }
        let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().map_err(|_| bad());
        let year = i32::try_from(number(0..4)?).map_err(|_| bad())?;
        Day::from_ymd(year, number(5..7)?, number(8..10)?).ok_or_else(bad)
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            self.0.serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        if deserializer.is_human_readable() {
            let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
            text.parse().map_err(D::Error::custom)
        } else {
            let days = i32::deserialize(deserializer)?;
            Day::from_days(days).ok_or_else(|| D::Error::custom("day number out of range"))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn epoch_is_day_zero() {
        assert_eq!("1970-01-01".parse::<Day>().unwrap().days(), 0);
    }

    #[test]
    fn every_day_round_trips_through_text() {
        for days in (0..=MAX_DAY).step_by(997).chain([MAX_DAY]) {
            let day = Day::from_days(days).unwrap();
            assert_eq!(day.to_string().parse::<Day>().unwrap(), day);
        }
    }

    #[test]
    fn leap_days_exist_only_in_leap_years() {
        assert!("2024-02-29".parse::<Day>().is_ok());
        assert!("2000-02-29".parse::<Day>().is_ok());
        assert!("2026-02-29".parse::<Day>().is_err());
        assert!("1900-02-29".parse::<Day>().is_err());
    }

    #[test]
    fn malformed_dates_are_refused() {
        for text in [
            "2026-1-01",
            "2026-13-01",
            "2026-00-10",
            "20260101",
            "+026-01-01",
            "",
        ] {
            assert!(text.parse::<Day>().is_err(), "{text}");
        }
    }

    #[test]
    fn a_known_date_has_its_known_day_number() {
        assert_eq!("2026-11-23".parse::<Day>().unwrap().days(), 20_780);
        assert_eq!(Timestamp(1_795_392_000_000).day().to_string(), "2026-11-23");
    }
}
