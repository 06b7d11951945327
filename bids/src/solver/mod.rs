//! The consortium solver: which teams of at most K co-ops could cover a
//! contract, best first.
//!
//! # The problem
//!
//! A contract needs `needs[s]` person-days of each required skill `s`. Each
//! [`Candidate`] co-op offers capacity [`Window`]s, each a number of days
//! inside the contract period that may serve some of the skills; a window's
//! days are counted once across all skills (a min-cost flow decides which
//! skill each day serves: [`flow`]). Every day of a co-op is priced at its
//! [`Candidate::rate`] (the node passes the *top* of the co-op's published
//! day-rate band, so an estimate is what the team could cost at most).
//!
//! A **full cover** is a team whose windows meet every need. A suggestion
//! is a full cover of at most [`Problem::max_team`] co-ops (with the lead
//! in it when [`Problem::lead`] is set) whose cost fits the contract value
//! ([`Problem::budget`]), or, when no team is one, a partial cover.
//!
//! # Ranking
//!
//! Full covers first, then fewer co-ops, then (when spreading the work)
//! fewer recent invitations of the team, then lower cost, then more spare
//! days, then the candidates' order, so the order is total. Partial covers:
//! more skills fully met, then more needed days met, then as for full
//! covers.
//!
//! A candidate with no day for any needed skill is never in a team (the
//! lead is in every team anyway). Suggestions are **distinct teams**: a team that contains a better
//! suggestion (or, for partial covers, is contained in one) is a variant of
//! it and is left out.
//!
//! # Exact and pooled
//!
//! With at most [`EXACT_LIMIT`] candidates every team is considered (branch
//! and bound: a branch stops when the skills or the days its remaining
//! places could add cannot meet a need), so the first suggestion is
//! optimal by the ranking. With more, the search runs exactly over a
//! **pool** of at most [`POOL`] candidates (`pool.rs`: the members of the
//! teams a coverage beam over every candidate finds, then for each skill
//! the candidates with the most days and the cheapest, then the broadest),
//! and partial covers come from a beam search over the pool. The stated
//! bound: the answer is optimal among teams drawn from the pool, and a
//! full cover is found whenever the coverage beam finds one
//! ([`Method::Pooled`] says which way it went). The release benchmark
//! `cargo bench -p coopnet-bids --bench solver` measures how far from the
//! true optimum that is.

pub mod flow;
mod pool;
mod search;

pub use flow::{Allocation, Share, allocate};

/// Most candidates searched exhaustively.
pub const EXACT_LIMIT: usize = 20;
/// Most candidates in the pool searched when there are more.
pub const POOL: usize = 28;
/// Most required skills a problem may have (one bit each).
pub const MAX_SKILLS: usize = 64;
/// The largest team size a problem may ask for.
pub const MAX_TEAM: usize = 6;
/// The most suggestions a problem may ask for.
pub const MAX_SUGGESTIONS: usize = 20;

/// Capacity a co-op published, as it falls in the contract period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// Person-days inside the period.
    pub days: u32,
    /// Which required skills it may serve (bit `s` for `needs[s]`): those
    /// it lists, or all the co-op has when it lists none.
    pub skills: u64,
}

/// A co-op that could take part (the caller keeps who it is, by index).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidate {
    /// Which required skills it has (bit `s` for `needs[s]`).
    pub skills: u64,
    /// Its windows in the period.
    pub windows: Vec<Window>,
    /// The day rate its days are priced at, in whole currency units.
    pub rate: u32,
    /// Bids of ours naming it in the last 90 days.
    pub invited: u32,
}

/// What is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Person-days needed per required skill.
    pub needs: Vec<u32>,
    /// The co-ops that could take part.
    pub candidates: Vec<Candidate>,
    /// A candidate every team must include (our co-op, "with us").
    pub lead: Option<usize>,
    /// At most this many co-ops per team (lead included).
    pub max_team: usize,
    /// At most this many suggestions.
    pub limit: usize,
    /// The contract's value in hundredths of its currency, if it has one.
    pub budget: Option<u64>,
    /// Prefer co-ops invited less often lately.
    pub spread: bool,
}

/// One suggested team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// Candidate indices, in the problem's order.
    pub members: Vec<usize>,
    /// Whether every need is met.
    pub full: bool,
    /// The cheapest allocation of the members' days.
    pub allocation: Allocation,
    /// Recent invitations of the members, summed.
    pub invited: u32,
}

impl Suggestion {
    /// Days in the members' windows left over once the needs are met.
    pub fn spare_days(&self) -> u64 {
        let used: u64 = self.allocation.covered.iter().map(|&d| u64::from(d)).sum();
        self.allocation.supply.saturating_sub(used)
    }

    /// Days of `skill` given to `member`, summed over its windows.
    pub fn days(&self, member: usize, skill: usize) -> u32 {
        self.allocation
            .shares
            .iter()
            .filter(|s| s.member == member && s.skill == skill)
            .map(|s| s.days)
            .sum()
    }
}

/// How the answer was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Every team of the candidates was considered.
    Exact,
    /// Teams were drawn from a pool of this many of the candidates.
    Pooled {
        /// Candidates in the pool.
        pool: usize,
    },
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Best first; full covers when any fits, else the best partial ones.
    pub suggestions: Vec<Suggestion>,
    /// When no full cover fits the value, the cheapest that covers
    /// everything at a higher cost, if one was found.
    pub over_value: Option<Suggestion>,
    /// How the teams were searched.
    pub method: Method,
    /// Teams whose allocation was computed.
    pub teams_evaluated: usize,
}

/// Why a problem cannot be solved as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProblemError {
    /// More skills than the solver handles.
    #[error("a contract may need at most {MAX_SKILLS} skills for suggestions")]
    TooManySkills,
    /// A team size of 0 or over [`MAX_TEAM`].
    #[error("a team has 1 to {MAX_TEAM} co-ops")]
    TeamSize,
    /// A limit of 0 or over [`MAX_SUGGESTIONS`].
    #[error("ask for 1 to {MAX_SUGGESTIONS} suggestions")]
    Limit,
    /// The lead is not one of the candidates.
    #[error("the lead is not among the candidates")]
    Lead,
}

/// The best teams for `problem` (see the module docs).
pub fn suggest(problem: &Problem) -> Result<Outcome, ProblemError> {
    check(problem)?;
    Ok(search::run(problem, EXACT_LIMIT))
}

fn check(problem: &Problem) -> Result<(), ProblemError> {
    if problem.needs.len() > MAX_SKILLS {
        return Err(ProblemError::TooManySkills);
    }
    if !(1..=MAX_TEAM).contains(&problem.max_team) {
        return Err(ProblemError::TeamSize);
    }
    if !(1..=MAX_SUGGESTIONS).contains(&problem.limit) {
        return Err(ProblemError::Limit);
    }
    if problem.lead.is_some_and(|l| l >= problem.candidates.len()) {
        return Err(ProblemError::Lead);
    }
    Ok(())
}

/// Like [`suggest`], but always exact, however many candidates: for tests
/// and benchmarks that need the true optimum (it may take very long).
pub fn suggest_exactly(problem: &Problem) -> Result<Outcome, ProblemError> {
    check(problem)?;
    Ok(search::run(problem, usize::MAX))
}

/// The best full covers fitting the value, exactly over every candidate,
/// without looking for partial covers when there is none: whether any team
/// of at most K covers everything (for benchmarks; it may take long).
pub fn full_covers_exactly(problem: &Problem) -> Result<Vec<Suggestion>, ProblemError> {
    check(problem)?;
    Ok(search::full_only(problem))
}

/// The order of suggestions: `Less` when `a` ranks before `b`.
pub fn rank(problem: &Problem, a: &Suggestion, b: &Suggestion) -> std::cmp::Ordering {
    use std::cmp::Reverse;
    let met = |s: &Suggestion| {
        s.allocation
            .covered
            .iter()
            .zip(&problem.needs)
            .filter(|(got, need)| got >= need)
            .count()
    };
    let days = |s: &Suggestion| {
        s.allocation
            .covered
            .iter()
            .map(|&d| u64::from(d))
            .sum::<u64>()
    };
    let invited = |s: &Suggestion| if problem.spread { s.invited } else { 0 };
    let key = |s: &Suggestion| {
        (
            Reverse(s.full),
            Reverse(met(s)),
            Reverse(days(s)),
            s.members.len(),
            invited(s),
            s.allocation.cost,
            Reverse(s.spare_days()),
        )
    };
    key(a).cmp(&key(b)).then_with(|| a.members.cmp(&b.members))
}

/// Whether the suggestion's cost fits `budget` (hundredths).
pub fn fits(budget: Option<u64>, cost: u64) -> bool {
    budget.is_none_or(|b| cost.saturating_mul(100) <= b)
}
