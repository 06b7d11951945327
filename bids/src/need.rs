//! How many person-days a contract's skills need, when the bid manager
//! has not said: the contract's value spread evenly over its skills at the
//! federation's median day rate. The node takes that median over the tops
//! of the published bands, the end the builder prices days at, so a team
//! at typical rates doing the estimated days costs about the value.

/// Days per skill when nothing better is known (no value or no rates).
pub const FALLBACK_DAYS: u32 = 10;
/// The most person-days one skill may be said to need.
pub const MAX_DAYS: u32 = 100_000;

/// Where a skill's need comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// A bid manager of ours said so.
    Set,
    /// The value over the skills at the federation's median day rate.
    Estimate,
    /// [`FALLBACK_DAYS`]: the contract has no value or no one published a
    /// rate in its currency.
    Guess,
}

/// The default days per skill for a contract worth `value` hundredths
/// (its estimate, or its minimum when that is all it says) needing
/// `skills` skills, when the median day rate in its currency is
/// `median_rate` whole units: `value / 100 / skills / median_rate`, rounded
/// down, at least 1 and at most [`MAX_DAYS`].
pub fn default_days(value: Option<u64>, skills: usize, median_rate: Option<u32>) -> (u32, Basis) {
    match (value, median_rate) {
        (Some(value), Some(rate)) if rate > 0 && skills > 0 => {
            let days = value / 100 / skills as u64 / u64::from(rate);
            let days = u32::try_from(days).unwrap_or(MAX_DAYS).clamp(1, MAX_DAYS);
            (days, Basis::Estimate)
        }
        _ => (FALLBACK_DAYS, Basis::Guess),
    }
}

/// The median of `rates` (the lower middle one of an even count).
pub fn median(mut rates: Vec<u32>) -> Option<u32> {
    if rates.is_empty() {
        return None;
    }
    rates.sort_unstable();
    Some(rates[(rates.len() - 1) / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_is_spread_over_the_skills_at_the_median_rate() {
        // £120,000 over 4 skills at £500 a day: 60 days each.
        assert_eq!(
            default_days(Some(12_000_000), 4, Some(500)),
            (60, Basis::Estimate)
        );
        assert_eq!(default_days(Some(100), 4, Some(500)), (1, Basis::Estimate));
        assert_eq!(
            default_days(None, 4, Some(500)),
            (FALLBACK_DAYS, Basis::Guess)
        );
        assert_eq!(
            default_days(Some(100), 4, None),
            (FALLBACK_DAYS, Basis::Guess)
        );
        assert_eq!(
            default_days(Some(u64::MAX), 1, Some(1)),
            (MAX_DAYS, Basis::Estimate)
        );
    }

    #[test]
    fn the_median_is_the_middle_rate() {
        assert_eq!(median(vec![900, 300, 500]), Some(500));
        assert_eq!(median(vec![900, 300, 500, 400]), Some(400));
        assert_eq!(median(vec![]), None);
    }
}
