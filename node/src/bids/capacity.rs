//! What a co-op's capacity record says about a contract period: each
//! window's person-days inside the period (prorated like partner search:
//! `person_days × overlap ÷ window length`, rounded down) and its rates in
//! the bid's currency.

use std::collections::HashMap;

use coopnet_protocol::kinds::{Capacity, CapacityWindow};
use coopnet_protocol::taxonomy::Taxonomy;
use coopnet_protocol::{Body, Day, Kind, SignedRecord};

use crate::store::StoreError;

/// A window as it falls in the period.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InPeriod<'a> {
    /// Person-days inside the period.
    pub days: u32,
    /// The window.
    pub window: &'a CapacityWindow,
}

/// Decodes a stored capacity record (verified when it arrived).
pub(crate) fn decode(bytes: Vec<u8>) -> Result<Capacity, StoreError> {
    let record = SignedRecord::decode(bytes)
        .map_err(|e| StoreError::Corrupt(format!("a stored record does not decode: {e}")))?;
    match record
        .body_bytes()
        .map(|b| Body::decode(Kind::Capacity.code(), b))
    {
        Some(Ok(Body::Capacity(capacity))) => Ok(capacity),
        _ => Err(StoreError::Corrupt(
            "a stored capacity record does not decode".into(),
        )),
    }
}

/// The windows overlapping `period` with rates in `currency`, and whether
/// any overlapping window had another currency.
pub(crate) fn in_period<'a>(
    capacity: &'a Capacity,
    period: (Day, Day),
    currency: &str,
) -> (Vec<InPeriod<'a>>, bool) {
    let (first, last) = (period.0.days(), period.1.days());
    let mut out = Vec::new();
    let mut other = false;
    for window in &capacity.windows {
        let (from, to) = (window.from.days(), window.to.days());
        if to < first || from > last {
            continue;
        }
        if window.rate.currency != currency {
            other = true;
            continue;
        }
        let overlap = i64::from(to.min(last) - from.max(first) + 1);
        let length = i64::from(to - from + 1);
        let days = i64::from(window.person_days) * overlap / length;
        out.push(InPeriod {
            days: u32::try_from(days).unwrap_or(0),
            window,
        });
    }
    (out, other)
}

/// The band over some windows: lowest minimum, highest maximum.
pub(crate) fn band(windows: &[InPeriod<'_>]) -> Option<(u32, u32)> {
    let min = windows.iter().map(|w| w.window.rate.min).min()?;
    let max = windows.iter().map(|w| w.window.rate.max).max()?;
    Some((min, max))
}

/// Which needed skills a name serves: bit `s` when the name is found by
/// `keys[s]` (its own key, its concept's or a broader one's). Remembers
/// names already worked out.
#[derive(Debug, Default)]
pub(crate) struct SkillBits {
    keys: Vec<Option<String>>,
    known: HashMap<String, u64>,
}

impl SkillBits {
    pub fn new(keys: Vec<Option<String>>) -> Self {
        SkillBits {
            keys,
            known: HashMap::new(),
        }
    }

    pub fn of(&mut self, name: &str) -> u64 {
        if let Some(&bits) = self.known.get(name) {
            return bits;
        }
        let taxonomy = Taxonomy::esco();
        let terms = taxonomy
            .resolve(name)
            .map(|r| taxonomy.terms(&r))
            .unwrap_or_default();
        let bits = self
            .keys
            .iter()
            .enumerate()
            .filter(|(_, key)| key.as_ref().is_some_and(|k| terms.contains(k)))
            .fold(0_u64, |bits, (s, _)| bits | 1 << s);
        self.known.insert(name.to_owned(), bits);
        bits
    }
}
