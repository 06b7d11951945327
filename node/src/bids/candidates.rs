//! Gathering the consortium builder's candidates from the replica: member
//! co-ops whose skills match a required skill (through the taxonomy, like
//! partner search) and whose capacity windows fall in the period, priced
//! at the top of their band in the bid's currency.

use std::collections::{HashMap, HashSet};

use coopnet_bids::report::CandidateInfo;
use coopnet_bids::solver::{Candidate, Window};
use coopnet_protocol::taxonomy::Taxonomy;
use coopnet_protocol::{Day, PublicKey};
use rusqlite::Connection;

use super::capacity::{self, SkillBits};
use crate::store::StoreError;
use crate::store::bids as sql;

/// What the builder asks of the replica.
#[derive(Debug, Clone)]
pub(crate) struct Ask {
    /// The contract's required skills, as it names them.
    pub skills: Vec<String>,
    /// The period whose capacity counts.
    pub period: (Day, Day),
    /// The bid's currency.
    pub currency: String,
    /// Our co-op.
    pub us: PublicKey,
    /// Co-ops never to suggest (revoked members).
    pub hidden: HashSet<PublicKey>,
    /// Our bids naming each co-op (hex key) lately.
    pub invited: HashMap<String, u32>,
}

/// The candidates, who they are, and what the replica says around them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Found {
    /// For the solver.
    pub candidates: Vec<Candidate>,
    /// Who each is.
    pub infos: Vec<CandidateInfo>,
    /// Co-ops having each required skill (before the period and currency).
    pub holders: Vec<usize>,
    /// Co-ops with a needed skill whose rates in the period are all in
    /// other currencies.
    pub other_currency: usize,
    /// Our co-op's index, if it is a candidate.
    pub us: Option<usize>,
}

/// Reads the candidates for `ask` (on a reader thread).
pub(crate) fn gather(conn: &Connection, ask: &Ask) -> Result<Found, StoreError> {
    let taxonomy = Taxonomy::esco();
    let keys: Vec<Option<String>> = ask.skills.iter().map(|s| taxonomy.key(s)).collect();
    let mut terms: Vec<String> = keys.iter().flatten().cloned().collect();
    terms.sort();
    terms.dedup();
    // Who has which needed skill.
    let mut having: HashMap<PublicKey, (String, u64)> = HashMap::new();
    for holder in sql::term_holders(conn, &terms)? {
        if ask.hidden.contains(&holder.author) {
            continue;
        }
        let bits = keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.as_deref() == Some(holder.term.as_str()))
            .fold(0_u64, |b, (s, _)| b | 1 << s);
        let entry = having.entry(holder.author).or_insert((holder.name, 0));
        entry.1 |= bits;
    }
    let mut found = Found {
        holders: (0..keys.len())
            .map(|s| having.values().filter(|(_, b)| b & (1 << s) != 0).count())
            .collect(),
        ..Found::default()
    };
    let mut authors: Vec<PublicKey> = having.keys().copied().collect();
    authors.sort();
    let mut bits = SkillBits::new(keys);
    for (author, bytes) in sql::capacity_records(conn, &authors)? {
        let (name, skills) = having[&author].clone();
        let capacity = capacity::decode(bytes)?;
        let (windows, other) = capacity::in_period(&capacity, ask.period, &ask.currency);
        let counted: Vec<Window> = windows
            .iter()
            .map(|w| Window {
                days: w.days,
                skills: match w.window.skills.is_empty() {
                    true => skills,
                    false => w.window.skills.iter().fold(0, |b, n| b | bits.of(n)) & skills,
                },
            })
            .filter(|w| w.days > 0 && w.skills != 0)
            .collect();
        if counted.is_empty() {
            found.other_currency += usize::from(other && windows.is_empty());
            if author != ask.us {
                continue;
            }
        }
        let rate = windows.iter().map(|w| w.window.rate.max).max().unwrap_or(0);
        push(
            &mut found,
            ask,
            author,
            name,
            skills,
            counted,
            rate,
            capacity::band(&windows),
        );
    }
    if found.us.is_none()
        && let Some((name, skills)) = having.get(&ask.us).cloned()
    {
        push(&mut found, ask, ask.us, name, skills, Vec::new(), 0, None);
    }
    Ok(found)
}

#[allow(clippy::too_many_arguments)]
fn push(
    found: &mut Found,
    ask: &Ask,
    coop: PublicKey,
    name: String,
    skills: u64,
    windows: Vec<Window>,
    rate: u32,
    band: Option<(u32, u32)>,
) {
    let us = coop == ask.us;
    if us {
        found.us = Some(found.candidates.len());
    }
    found.candidates.push(Candidate {
        skills,
        windows,
        rate,
        invited: ask.invited.get(&coop.to_string()).copied().unwrap_or(0),
    });
    found.infos.push(CandidateInfo {
        coop,
        name,
        us,
        band,
    });
}
