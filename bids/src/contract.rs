//! The contract a bid is for, as the bid workspace reads it, and how
//! suggestions are asked for.

use coopnet_protocol::Day;
use coopnet_protocol::PublicKey;
use coopnet_protocol::kinds::ContractFields;

/// The currency of a contract without a value.
pub const DEFAULT_CURRENCY: &str = "GBP";
/// How far back "invited lately" looks.
pub const INVITED_WINDOW_DAYS: u64 = 90;
/// The period assumed for a contract that gives none, from today.
pub const ASSUMED_PERIOD_DAYS: i32 = 91;

/// A contract the caller has read (its author, key and fields).
#[derive(Debug, Clone)]
pub struct ContractRef {
    /// Who published it.
    pub author: PublicKey,
    /// Its record key.
    pub key: String,
    /// What it says.
    pub fields: ContractFields,
}

impl ContractRef {
    /// The bid's currency: the value's, else [`DEFAULT_CURRENCY`].
    pub fn currency(&self) -> String {
        self.fields
            .value
            .as_ref()
            .map_or(DEFAULT_CURRENCY.to_owned(), |v| v.currency.clone())
    }

    /// The most the contract is worth, hundredths: what a team must fit.
    pub fn budget(&self) -> Option<u64> {
        self.fields.value.as_ref().and_then(|v| v.amount)
    }

    /// The period, or the next three months from `today`, and whether it
    /// was assumed.
    pub fn period(&self, today: Day) -> ((Day, Day), bool) {
        match &self.fields.period {
            Some(p) => ((p.start, p.end), false),
            None => {
                let end = Day::from_days(today.days() + ASSUMED_PERIOD_DAYS).unwrap_or(today);
                ((today, end), true)
            }
        }
    }
}

/// How suggestions are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuggestOptions {
    /// At most this many co-ops per team (1–6; default 4).
    pub max_team: usize,
    /// At most this many teams (1–20; default 5).
    pub limit: usize,
    /// Whether our co-op must be in every team; `None`: when it has a
    /// needed skill.
    pub with_us: Option<bool>,
    /// Prefer co-ops we invited less often in the last 90 days.
    pub spread: bool,
}

impl Default for SuggestOptions {
    fn default() -> Self {
        SuggestOptions {
            max_team: 4,
            limit: 5,
            with_us: None,
            spread: false,
        }
    }
}
