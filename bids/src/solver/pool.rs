//! Which candidates the pooled search considers when there are too many
//! to try every team: at most [`POOL`] of them, chosen so that teams
//! covering everything are among them whenever a simple search can find
//! one, and so that the cheapest co-ops for each skill are too.
//!
//! 1. The lead.
//! 2. The members of the teams a **coverage beam** finds: starting from
//!    the lead (or no one), grow the [`WIDTH`] best teams by one candidate
//!    at a time, over *every* candidate, scoring a team by the needed days
//!    its members' windows could give (each skill capped at its need; a
//!    window serving two skills counted for both, so this is a bound the
//!    exact allocation then checks), ties to the least it could cost (each
//!    need at the cheapest rate of a member with days for it); the best
//!    4 × [`WIDTH`] of those are then allocated for real (the flow), and
//!    the [`WIDTH`] covering the most needed days — fitting the value
//!    first, then cheapest — are kept. A team that covers every need is a
//!    found cover; up to [`ENOUGH`] are kept at each size, up to K.
//! 3. By turns for each skill, the candidate with the most days for it and
//!    the cheapest that could do a K-th of it.
//! 4. The broadest (most of every need they could meet on their own).

use std::cmp::Reverse;

use super::flow::allocate;
use super::search::Search;
use super::{POOL, fits};

/// A grown team: needed days it covers (most first), whether it is over
/// the value, its cost, its members, and the state it grew from.
type Growth = (Reverse<u64>, bool, u64, Vec<usize>, usize);

/// Teams kept per step of the coverage beam.
pub const WIDTH: usize = 32;
/// How many likely full covers the beam collects before it stops.
const ENOUGH: usize = 8;

/// The pool for `useful` candidates (see the module docs), sorted.
pub(super) fn choose(search: &Search<'_>, useful: &[usize]) -> Vec<usize> {
    let problem = search.problem;
    let mut pool: Vec<usize> = problem.lead.into_iter().collect();
    for team in beam(search, useful) {
        for c in team {
            if pool.len() < POOL * 2 / 3 {
                push_new(&mut pool, c);
            }
        }
    }
    for c in per_skill(search, useful) {
        if pool.len() < POOL {
            push_new(&mut pool, c);
        }
    }
    let needs = &problem.needs;
    let breadth = |c: usize| -> u64 {
        // Parts per million of each need it could meet, summed.
        needs
            .iter()
            .enumerate()
            .map(|(s, &need)| {
                search.days_for[c][s].min(need.into()) * 1_000_000 / u64::from(need.max(1))
            })
            .sum()
    };
    let mut rest: Vec<usize> = useful.to_vec();
    rest.sort_by_key(|&c| (Reverse(breadth(c)), problem.candidates[c].rate, c));
    for c in rest {
        if pool.len() >= POOL {
            break;
        }
        push_new(&mut pool, c);
    }
    pool.sort_unstable();
    pool
}

/// Likely full covers, best first: the coverage beam of the module docs.
/// Each step scores every (team, candidate) pair without allocating and
/// keeps the [`WIDTH`] best distinct teams.
fn beam(search: &Search<'_>, useful: &[usize]) -> Vec<Vec<usize>> {
    let problem = search.problem;
    let needs = &problem.needs;
    let total: u64 = needs.iter().map(|&n| u64::from(n)).sum();
    let rate = |c: usize| u64::from(problem.candidates[c].rate);
    // The least a team could cost: each need at the cheapest rate of a
    // member with days for it.
    let cheapest = |team: &[usize], extra: usize| -> u64 {
        needs
            .iter()
            .enumerate()
            .map(|(s, &need)| {
                let best = team
                    .iter()
                    .chain(std::iter::once(&extra))
                    .filter(|&&m| search.days_for[m][s] > 0)
                    .map(|&m| rate(m))
                    .min()
                    .unwrap_or(0);
                u64::from(need) * best
            })
            .sum()
    };
    let start: Vec<usize> = problem.lead.into_iter().collect();
    let mut days = vec![0_u64; needs.len()];
    for &c in &start {
        add(&mut days, &search.days_for[c]);
    }
    let mut states = vec![(start, days)];
    let mut found: Vec<Vec<usize>> = Vec::new();
    while states
        .first()
        .is_some_and(|(t, _)| t.len() < problem.max_team)
    {
        // The needed days each growth could cover; then, for the best few
        // hundred only, the least it could cost; best first.
        let mut covering: Vec<(Reverse<u64>, usize, usize)> = Vec::new();
        for (i, (team, days)) in states.iter().enumerate() {
            for &c in useful {
                if team.contains(&c) {
                    continue;
                }
                let more = &search.days_for[c];
                let covered: u64 = days
                    .iter()
                    .zip(more)
                    .zip(needs)
                    .map(|((d, m), &n)| (d + m).min(n.into()))
                    .sum();
                covering.push((Reverse(covered), i, c));
            }
        }
        let keep = (8 * WIDTH).min(covering.len());
        if keep < covering.len() {
            covering.select_nth_unstable(keep);
            // Ties with the last one kept are kept too: the cost decides.
            let edge = covering[keep].0;
            let (head, tail) = covering.split_at_mut(keep);
            let mut ties: Vec<_> = tail.iter().copied().filter(|x| x.0 == edge).collect();
            let mut head = head.to_vec();
            head.append(&mut ties);
            covering = head;
        }
        let mut scored: Vec<(Reverse<u64>, u64, usize, usize)> = covering
            .into_iter()
            .map(|(covered, i, c)| (covered, cheapest(&states[i].0, c), i, c))
            .collect();
        scored.sort_unstable();
        // The most promising growths, distinct, with their real allocation:
        // the days they cover and what that costs.
        let mut grown: Vec<Growth> = Vec::new();
        for (_, _, i, c) in scored {
            if grown.len() == 4 * WIDTH {
                break;
            }
            let mut team = states[i].0.clone();
            team.push(c);
            team.sort_unstable();
            if grown.iter().any(|g| g.3 == team) {
                continue;
            }
            let allocation = allocate(needs, &team, &problem.candidates);
            let covered: u64 = allocation.covered.iter().map(|&d| u64::from(d)).sum();
            let over = !fits(problem.budget, allocation.cost);
            grown.push((Reverse(covered), over, allocation.cost, team, i));
        }
        grown.sort_unstable();
        let mut next: Vec<(Vec<usize>, Vec<u64>)> = Vec::new();
        let mut here = 0;
        for (Reverse(covered), _, _, team, i) in grown.into_iter().take(WIDTH) {
            if covered >= total && here < ENOUGH {
                found.push(team.clone());
                here += 1;
            }
            let mut more = states[i].1.clone();
            let added = team.iter().find(|c| !states[i].0.contains(c)).copied();
            if let Some(c) = added {
                add(&mut more, &search.days_for[c]);
            }
            next.push((team, more));
        }
        if next.is_empty() {
            break;
        }
        states = next;
    }
    if found.is_empty() {
        // Nothing covers everything: the closest teams still point at
        // useful candidates.
        found = states.into_iter().map(|(team, _)| team).take(4).collect();
    }
    found
}

/// By turns for each skill: the most days for it, the cheapest that could
/// do a K-th of it.
fn per_skill(search: &Search<'_>, useful: &[usize]) -> Vec<usize> {
    let problem = search.problem;
    let mut by_days = Vec::new();
    let mut by_price = Vec::new();
    for (s, &need) in problem.needs.iter().enumerate() {
        let mut having: Vec<usize> = useful
            .iter()
            .copied()
            .filter(|&c| search.days_for[c][s] > 0)
            .collect();
        let rate = |c: usize| problem.candidates[c].rate;
        having.sort_by_key(|&c| (Reverse(search.days_for[c][s]), rate(c), c));
        by_days.push(having.clone());
        let enough = u64::from(need).div_ceil(problem.max_team as u64);
        having.retain(|&c| search.days_for[c][s] >= enough);
        having.sort_by_key(|&c| (rate(c), Reverse(search.days_for[c][s]), c));
        by_price.push(having);
    }
    let mut out = Vec::new();
    for turn in 0..2 {
        for lists in [&by_days, &by_price] {
            for list in lists.iter() {
                if let Some(&c) = list.get(turn) {
                    push_new(&mut out, c);
                }
            }
        }
    }
    out
}

fn add(days: &mut [u64], more: &[u64]) {
    for (d, m) in days.iter_mut().zip(more) {
        *d += m;
    }
}

fn push_new(pool: &mut Vec<usize>, c: usize) {
    if !pool.contains(&c) {
        pool.push(c);
    }
}
