//! Free person-days per week (no I/O): each capacity window's days spread
//! evenly over its calendar days, summed per week (Monday to Sunday).

use crate::store::network::WindowRow;

/// One week's free person-days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Week {
    /// Its Monday, days since 1970-01-01.
    pub monday: i64,
    /// Free person-days in it (fractional: windows are spread evenly).
    pub days: f64,
}

/// The Monday on or before `day` (1970-01-01 was a Thursday).
pub fn monday_of(day: i64) -> i64 {
    day - (day + 3).rem_euclid(7)
}

/// `weeks` weeks from the one holding `today`, each with the person-days
/// of `windows` that fall in it (from `today` on).
pub fn weekly(windows: &[WindowRow], today: i64, weeks: usize) -> Vec<Week> {
    let first = monday_of(today);
    let mut out: Vec<Week> = (0..weeks)
        .map(|i| Week {
            monday: first + 7 * i as i64,
            days: 0.0,
        })
        .collect();
    let end = first + 7 * weeks as i64; // exclusive
    for w in windows {
        let span = (w.to - w.from + 1).max(1);
        let per_day = w.days as f64 / span as f64;
        for (i, week) in out.iter_mut().enumerate() {
            let start = (first + 7 * i as i64).max(today).max(w.from);
            let stop = (first + 7 * i as i64 + 6).min(w.to).min(end - 1);
            if stop >= start {
                week.days += per_day * (stop - start + 1) as f64;
            }
        }
    }
    out
}

/// Free person-days of `windows` from `from` to `to` (inclusive).
pub fn days_between(windows: &[WindowRow], from: i64, to: i64) -> f64 {
    windows
        .iter()
        .map(|w| {
            let span = (w.to - w.from + 1).max(1);
            let overlap = (w.to.min(to) - w.from.max(from) + 1).max(0);
            w.days as f64 * overlap as f64 / span as f64
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(from: i64, to: i64, days: u64) -> WindowRow {
        WindowRow {
            coop: 1,
            from,
            to,
            days,
        }
    }

    #[test]
    fn mondays_are_found() {
        // 2026-12-07 is a Monday: day 20,794.
        assert_eq!(monday_of(20_794), 20_794);
        assert_eq!(monday_of(20_800), 20_794);
        assert_eq!(monday_of(20_801), 20_801);
    }

    #[test]
    fn a_window_is_spread_evenly_over_the_weeks_it_covers() {
        // 14 days from a Monday, 28 person-days: 14 in each week.
        let weeks = weekly(&[window(20_794, 20_807, 28)], 20_794, 3);
        let days: Vec<f64> = weeks.iter().map(|w| w.days).collect();
        assert_eq!(days, [14.0, 14.0, 0.0]);
        // Seen from the Wednesday, only what is left of the first week counts.
        let weeks = weekly(&[window(20_794, 20_807, 28)], 20_796, 2);
        assert_eq!(weeks[0].days, 10.0);
        assert_eq!(weeks[0].monday, 20_794);
        assert_eq!(
            days_between(&[window(20_794, 20_807, 28)], 20_800, 20_900),
            16.0
        );
    }
}
