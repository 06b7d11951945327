//! What the consortium builder tells a bid manager: the needs it worked
//! from, and each suggested team explained — who covers which skill with
//! how many days, at what rate, the cost and the margin against the value,
//! and what is missing.

use coopnet_protocol::{Day, PublicKey};
use serde::Serialize;

use crate::need::Basis;
use crate::plan::{Role, SkillDays};
use crate::solver::{Method, Outcome, Problem, Suggestion};

/// A required skill and the days it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeedLine {
    /// As the contract names it.
    pub skill: String,
    /// Person-days needed.
    pub days: u32,
    /// Set by us, estimated, or a guess.
    pub basis: Basis,
    /// How many candidate co-ops have the skill.
    pub holders: usize,
}

/// Who a candidate is, beside what the solver knows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateInfo {
    /// Its key.
    pub coop: PublicKey,
    /// Its name ("" if it has no profile).
    pub name: String,
    /// Whether it is our co-op.
    pub us: bool,
    /// Its day-rate band in the bid's currency, over its windows in the
    /// period.
    pub band: Option<(u32, u32)>,
}

/// One co-op in a suggested team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    /// Its key.
    pub coop: PublicKey,
    /// Its name.
    pub name: String,
    /// Whether it is our co-op.
    pub us: bool,
    /// The day rate its days are priced at (the top of its band).
    pub rate: u32,
    /// Its band, if it published one in the currency.
    pub band: Option<(u32, u32)>,
    /// Our bids naming it in the last 90 days.
    pub invited: u32,
    /// The skills it covers and the days of each.
    pub skills: Vec<SkillDays>,
}

impl Member {
    /// Its days in the team.
    pub fn days(&self) -> u64 {
        self.skills.iter().map(|s| u64::from(s.days)).sum()
    }
}

/// A required skill short of its need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    /// As the contract names it.
    pub skill: String,
    /// Days still needed.
    pub days: u32,
}

/// A suggested team, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Team {
    /// Its co-ops, ours first.
    pub members: Vec<Member>,
    /// Whether it covers every need.
    pub full: bool,
    /// Its estimated cost, whole units.
    pub cost: u64,
    /// The value less the cost, hundredths, when there is a value.
    pub margin: Option<i64>,
    /// Days its members published in the period beyond what it needs.
    pub spare_days: u64,
    /// Our bids naming its members in the last 90 days, summed.
    pub invited: u32,
    /// What it leaves short.
    pub missing: Vec<Missing>,
}

impl Team {
    /// The team as a bid's roles: each member's skills and days, at its
    /// rate.
    pub fn roles(&self) -> Vec<Role> {
        self.members
            .iter()
            .filter(|m| !m.skills.is_empty() || m.us)
            .map(|m| Role {
                coop: m.coop,
                skills: m.skills.clone(),
                rate: m.rate,
            })
            .collect()
    }
}

/// The consortium builder's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consortium {
    /// The needs it worked from.
    pub needs: Vec<NeedLine>,
    /// The currency of rates and costs (the contract value's).
    pub currency: String,
    /// The contract's value (its most), hundredths.
    pub budget: Option<u64>,
    /// The days whose capacity counted.
    pub period: (Day, Day),
    /// Whether `period` is the next three months because the contract
    /// gives none.
    pub period_assumed: bool,
    /// Whether our co-op was required in every team.
    pub with_us: bool,
    /// Whether co-ops invited less often were preferred.
    pub spread: bool,
    /// The most co-ops per team.
    pub max_team: usize,
    /// `None` when every team was considered; else the pool's size.
    pub pool: Option<usize>,
    /// Co-ops that could take part.
    pub candidates: usize,
    /// Co-ops with a needed skill left out because they publish rates only
    /// in other currencies.
    pub other_currency: usize,
    /// Best first: full covers when any fits the value, else partial ones.
    pub teams: Vec<Team>,
    /// When no full cover fits the value, the best one over it.
    pub over_value: Option<Team>,
}

impl Consortium {
    /// Whether the first team covers everything.
    pub fn covered(&self) -> bool {
        self.teams.first().is_some_and(|t| t.full)
    }
}

/// Explains one suggestion; `needs` names the problem's needs in order.
pub fn explain(
    problem: &Problem,
    suggestion: &Suggestion,
    infos: &[CandidateInfo],
    needs: &[String],
) -> Team {
    let mut members: Vec<Member> = suggestion
        .members
        .iter()
        .map(|&m| {
            let candidate = &problem.candidates[m];
            let info = &infos[m];
            let skills = (0..needs.len())
                .filter_map(|s| {
                    let days = suggestion.days(m, s);
                    (days > 0).then(|| SkillDays {
                        skill: needs[s].clone(),
                        days,
                    })
                })
                .collect();
            Member {
                coop: info.coop,
                name: info.name.clone(),
                us: info.us,
                rate: candidate.rate,
                band: info.band,
                invited: candidate.invited,
                skills,
            }
        })
        .collect();
    members.sort_by_key(|m| !m.us);
    let missing = needs
        .iter()
        .zip(&problem.needs)
        .zip(&suggestion.allocation.covered)
        .filter(|((_, need), got)| got < need)
        .map(|((skill, need), got)| Missing {
            skill: skill.clone(),
            days: need - got,
        })
        .collect();
    let cost = suggestion.allocation.cost;
    Team {
        members,
        full: suggestion.full,
        cost,
        margin: problem.budget.map(|b| {
            i64::try_from(b).unwrap_or(i64::MAX) - i64::try_from(cost * 100).unwrap_or(i64::MAX)
        }),
        spare_days: suggestion.spare_days(),
        invited: suggestion.invited,
        missing,
    }
}

/// Explains every suggestion of `outcome`.
pub fn explain_all(
    problem: &Problem,
    outcome: &Outcome,
    infos: &[CandidateInfo],
    needs: &[String],
) -> (Vec<Team>, Option<Team>, Option<usize>) {
    let teams = outcome
        .suggestions
        .iter()
        .map(|s| explain(problem, s, infos, needs))
        .collect();
    let over = outcome
        .over_value
        .as_ref()
        .map(|s| explain(problem, s, infos, needs));
    let pool = match outcome.method {
        Method::Exact => None,
        Method::Pooled { pool } => Some(pool),
    };
    (teams, over, pool)
}
