//! Warnings and needs in words, with names and money as people write
//! them.

use coopnet_bids::need::Basis;
use coopnet_bids::totals::Warning;

use super::ops::BidView;
use crate::pages::show;

/// A warning as a sentence that says what to look at.
pub fn warning(warning: &Warning, view: &BidView) -> String {
    let currency = &view.bid.currency;
    let role = |i: &usize| {
        view.bid
            .plan
            .roles
            .get(*i)
            .map_or_else(|| "A co-op".to_owned(), |r| view.name(&r.coop))
    };
    match warning {
        Warning::RateOutsideBand {
            role: i,
            rate,
            min,
            max,
        } => format!(
            "{}'s day rate of {} is outside the band it published ({}).",
            role(i),
            show::amount((*rate).into(), currency),
            show::rate(min, max, currency)
        ),
        Warning::NoRate { role: i } => format!(
            "{} published no day rate in {currency} for the contract period.",
            role(i)
        ),
        Warning::OverCapacity {
            role: i,
            asked,
            published,
        } => format!(
            "{} is asked for {} days but published {} free days in the contract period.",
            role(i),
            show::grouped(*asked),
            show::grouped((*published).into())
        ),
        Warning::NotMember { role: i } => format!(
            "{} is not a member of the federation now: give its part to another co-op.",
            role(i)
        ),
        Warning::Short {
            skill,
            need,
            planned,
        } => format!(
            "{skill}: {} of the {} days it needs are planned.",
            show::grouped(*planned),
            show::grouped((*need).into())
        ),
        Warning::OverValue { by } => format!(
            "The plan costs {} more than the contract's value.",
            show::hundredths(*by, currency)
        ),
    }
}

/// Where a need's days come from, in words.
pub fn basis(basis: &Basis) -> &'static str {
    match basis {
        Basis::Set => "set by us",
        Basis::Estimate => "estimate",
        Basis::Guess => "a guess: nothing to estimate from",
    }
}

/// A whole number however many references deep a template holds it.
pub trait Whole {
    /// The number.
    fn whole(&self) -> u64;
}

impl Whole for u64 {
    fn whole(&self) -> u64 {
        *self
    }
}

impl Whole for u32 {
    fn whole(&self) -> u64 {
        (*self).into()
    }
}

impl<T: Whole + ?Sized> Whole for &T {
    fn whole(&self) -> u64 {
        (**self).whole()
    }
}

/// Whole units of `currency`: `£21,000` (for templates).
pub fn money(amount: impl Whole, currency: &str) -> String {
    show::amount(amount.whole(), currency)
}

/// Hundredths of `currency`: `£60,000` (for templates).
pub fn pence(amount: impl Whole, currency: &str) -> String {
    show::hundredths(amount.whole(), currency)
}

/// A count with thousands separated: `1,250` (for templates).
pub fn count(n: impl Whole) -> String {
    show::grouped(n.whole())
}

/// A margin in hundredths: `£12,000 under the value` or `£3,500 over it`.
pub fn margin(margin: &i64, currency: &str) -> String {
    let margin = *margin;
    let amount = show::hundredths(margin.unsigned_abs(), currency);
    if margin >= 0 {
        format!("{amount} under the value")
    } else {
        format!("{amount} over the value")
    }
}

/// Hex in groups of four, as people compare keys and hashes:
/// `3f2a 91c0 …`.
pub fn grouped_hex(hex: &str) -> String {
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
