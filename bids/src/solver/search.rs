//! How teams are searched: exactly over few candidates, over a pool of
//! the most useful ones otherwise (see the parent module's docs).

use std::cmp::Ordering;

use super::flow::allocate;
use super::{Method, Outcome, Problem, Suggestion, fits, rank};

/// Partial covers kept per step of the beam search.
const BEAM: usize = 8;

pub(super) struct Search<'a> {
    pub(super) problem: &'a Problem,
    /// Days each candidate's windows offer per skill (a window serving two
    /// skills counts for both: an upper bound).
    pub(super) days_for: Vec<Vec<u64>>,
    /// Every skill's bit.
    all: u64,
    evaluated: usize,
}

/// The best full covers over every candidate, exactly (no partial
/// covers): what a benchmark needs to know whether any team of at most K
/// covers everything, and the best one.
pub(super) fn full_only(problem: &Problem) -> Vec<Suggestion> {
    let mut search = Search::new(problem);
    let useful = search.useful();
    search.full_covers(&useful).0
}

impl<'a> Search<'a> {
    fn new(problem: &'a Problem) -> Self {
        let skills = problem.needs.len();
        let days_for: Vec<Vec<u64>> = problem
            .candidates
            .iter()
            .map(|c| {
                (0..skills)
                    .map(|s| {
                        c.windows
                            .iter()
                            .filter(|w| w.skills & (1 << s) != 0)
                            .map(|w| u64::from(w.days))
                            .sum()
                    })
                    .collect()
            })
            .collect();
        let all = if skills == 64 {
            u64::MAX
        } else {
            (1_u64 << skills) - 1
        };
        Search {
            problem,
            days_for,
            all,
            evaluated: 0,
        }
    }

    /// Candidates with a day for some needed skill, and the lead.
    fn useful(&self) -> Vec<usize> {
        (0..self.problem.candidates.len())
            .filter(|&c| self.problem.lead == Some(c) || self.days_for[c].iter().any(|&d| d > 0))
            .collect()
    }
}

pub(super) fn run(problem: &Problem, exact_limit: usize) -> Outcome {
    let skills = problem.needs.len();
    let mut search = Search::new(problem);
    let useful = search.useful();
    let (pool, method) = if useful.len() <= exact_limit {
        (useful, Method::Exact)
    } else {
        let pool = super::pool::choose(&search, &useful);
        let size = pool.len();
        (pool, Method::Pooled { pool: size })
    };
    if skills == 0 {
        return Outcome {
            suggestions: Vec::new(),
            over_value: None,
            method,
            teams_evaluated: 0,
        };
    }
    let (full, over_value) = search.full_covers(&pool);
    let suggestions = if !full.is_empty() {
        full
    } else if method == Method::Exact {
        search.partials_exhaustive(&pool)
    } else {
        search.partials_beam(&pool)
    };
    Outcome {
        suggestions,
        over_value,
        method,
        teams_evaluated: search.evaluated,
    }
}

impl Search<'_> {
    fn evaluate(&mut self, team: Vec<usize>) -> Suggestion {
        self.evaluated += 1;
        let problem = self.problem;
        let allocation = allocate(&problem.needs, &team, &problem.candidates);
        Suggestion {
            full: allocation.is_full(&problem.needs),
            invited: team.iter().map(|&m| problem.candidates[m].invited).sum(),
            members: team,
            allocation,
        }
    }

    fn order(&self, a: &Suggestion, b: &Suggestion) -> Ordering {
        rank(self.problem, a, b)
    }

    /// Full covers that fit the value, best first, distinct; and the
    /// cheapest one over the value.
    fn full_covers(&mut self, pool: &[usize]) -> (Vec<Suggestion>, Option<Suggestion>) {
        let problem = self.problem;
        let lead = problem.lead;
        let mut others: Vec<usize> = pool.iter().copied().filter(|&c| Some(c) != lead).collect();
        // Broad candidates first, so branches fail early.
        others.sort_by_key(|&c| {
            (
                std::cmp::Reverse(problem.candidates[c].skills.count_ones()),
                c,
            )
        });
        let bounds = Bounds::new(self, &others);
        let mut chosen: Vec<Suggestion> = Vec::new();
        let mut over: Option<Suggestion> = None;
        for size in 1..=problem.max_team {
            let places = size - usize::from(lead.is_some());
            if places > others.len() {
                break;
            }
            let mut team: Vec<usize> = lead.into_iter().collect();
            let mut found = Vec::new();
            // The keys (invitations when spreading, cost) of the best
            // `wanted` found so far at this size, sorted: a team whose
            // lowest possible key is beyond the last cannot be among them.
            let wanted = problem.limit - chosen.len();
            let mut best: Vec<(u32, u64)> = Vec::new();
            let start = Partial::of(self, &team);
            self.walk(
                &others,
                &bounds,
                0,
                places,
                &start,
                &mut team,
                &mut |search, team| {
                    if chosen.iter().any(|c| contains(team, &c.members)) {
                        return;
                    }
                    if best.len() == wanted
                        && best
                            .last()
                            .is_some_and(|last| search.lowest_key(team) > *last)
                    {
                        return;
                    }
                    let suggestion = search.evaluate(sorted(team));
                    if !suggestion.full {
                        return;
                    }
                    if fits(problem.budget, suggestion.allocation.cost) {
                        let key = search.key(&suggestion);
                        let at = best.partition_point(|k| *k <= key);
                        best.insert(at, key);
                        best.truncate(wanted);
                        found.push(suggestion);
                    } else if over
                        .as_ref()
                        .is_none_or(|o| search.order(&suggestion, o) == Ordering::Less)
                    {
                        over = Some(suggestion);
                    }
                },
            );
            found.sort_by(|a, b| self.order(a, b));
            chosen.extend(found);
            if chosen.len() >= problem.limit {
                break;
            }
        }
        chosen.truncate(problem.limit);
        if !chosen.is_empty() {
            over = None;
        }
        (chosen, over)
    }

    /// The part of a full cover's rank that [`Search::lowest_key`] bounds:
    /// invitations (when spreading the work), then cost.
    fn key(&self, s: &Suggestion) -> (u32, u64) {
        let invited = if self.problem.spread { s.invited } else { 0 };
        (invited, s.allocation.cost)
    }

    /// The lowest [`Search::key`] any allocation of `team` could have:
    /// its invitations, and each need at the cheapest rate of a member
    /// with days for that skill.
    fn lowest_key(&self, team: &[usize]) -> (u32, u64) {
        let problem = self.problem;
        let invited = match problem.spread {
            true => team.iter().map(|&m| problem.candidates[m].invited).sum(),
            false => 0,
        };
        let cost = problem
            .needs
            .iter()
            .enumerate()
            .map(|(s, &need)| {
                let cheapest = team
                    .iter()
                    .filter(|&&m| self.days_for[m][s] > 0)
                    .map(|&m| problem.candidates[m].rate)
                    .min()
                    .unwrap_or(0);
                u64::from(need) * u64::from(cheapest)
            })
            .sum();
        (invited, cost)
    }

    /// Visits every team of `places` more candidates from `others[from..]`
    /// whose skills and days could still meet every need.
    #[allow(clippy::too_many_arguments)]
    fn walk(
        &mut self,
        others: &[usize],
        bounds: &Bounds,
        from: usize,
        places: usize,
        partial: &Partial,
        team: &mut Vec<usize>,
        visit: &mut dyn FnMut(&mut Self, &[usize]),
    ) {
        if places == 0 {
            if partial.skills == self.all && partial.meets(&self.problem.needs, 0, None) {
                visit(self, team);
            }
            return;
        }
        for i in from..others.len() {
            if others.len() - i < places {
                return;
            }
            // What this branch could still reach with the rest.
            if partial.skills | bounds.skills[i] != self.all
                || !partial.meets(&self.problem.needs, places as u64, Some(&bounds.most[i]))
            {
                continue;
            }
            let c = others[i];
            let next = partial.with(&self.days_for[c], self.problem.candidates[c].skills);
            team.push(c);
            self.walk(others, bounds, i + 1, places - 1, &next, team, visit);
            team.pop();
        }
    }

    /// Every team of at most K, best partial covers first, distinct.
    fn partials_exhaustive(&mut self, pool: &[usize]) -> Vec<Suggestion> {
        let problem = self.problem;
        let others: Vec<usize> = pool
            .iter()
            .copied()
            .filter(|&c| Some(c) != problem.lead)
            .collect();
        let mut all = Vec::new();
        let mut team: Vec<usize> = problem.lead.into_iter().collect();
        self.every_team(&others, 0, &mut team, &mut all);
        self.distinct(all)
    }

    fn every_team(
        &mut self,
        others: &[usize],
        from: usize,
        team: &mut Vec<usize>,
        all: &mut Vec<Suggestion>,
    ) {
        if !team.is_empty() {
            all.push(self.evaluate(sorted(team)));
        }
        if team.len() == self.problem.max_team {
            return;
        }
        for i in from..others.len() {
            team.push(others[i]);
            self.every_team(others, i + 1, team, all);
            team.pop();
        }
    }

    /// Partial covers by beam search: grow the best [`BEAM`] teams by one
    /// candidate at a time.
    fn partials_beam(&mut self, pool: &[usize]) -> Vec<Suggestion> {
        let problem = self.problem;
        let mut beam: Vec<Vec<usize>> = vec![problem.lead.into_iter().collect()];
        let mut all: Vec<Suggestion> = Vec::new();
        if let Some(lead) = problem.lead {
            all.push(self.evaluate(vec![lead]));
        }
        let mut seen = std::collections::HashSet::new();
        while beam.first().is_some_and(|t| t.len() < problem.max_team) {
            let mut grown = Vec::new();
            for team in &beam {
                for &c in pool {
                    if team.contains(&c) {
                        continue;
                    }
                    let mut next = team.clone();
                    next.push(c);
                    let next = sorted(&next);
                    if seen.insert(next.clone()) {
                        grown.push(self.evaluate(next));
                    }
                }
            }
            if grown.is_empty() {
                break;
            }
            grown.sort_by(|a, b| self.order(a, b));
            beam = grown.iter().take(BEAM).map(|s| s.members.clone()).collect();
            all.extend(grown);
        }
        self.distinct(all)
    }

    /// The partial covers of `all`, best first, leaving out teams that
    /// contain or are contained in a better one.
    fn distinct(&self, mut all: Vec<Suggestion>) -> Vec<Suggestion> {
        // Full covers here are over the value: `over_value` tells of them.
        all.retain(|s| !s.full);
        all.sort_by(|a, b| self.order(a, b));
        let mut chosen: Vec<Suggestion> = Vec::new();
        for suggestion in all {
            if chosen.len() == self.problem.limit {
                break;
            }
            let variant = chosen.iter().any(|c| {
                contains(&suggestion.members, &c.members)
                    || contains(&c.members, &suggestion.members)
            });
            if !variant {
                chosen.push(suggestion);
            }
        }
        chosen
    }
}

/// What the rest of `others` from position `i` on could add.
struct Bounds {
    /// Skills any of them has.
    skills: Vec<u64>,
    /// The most days any one of them offers per skill.
    most: Vec<Vec<u64>>,
}

impl Bounds {
    fn new(search: &Search<'_>, others: &[usize]) -> Self {
        let width = search.problem.needs.len();
        let mut skills = vec![0_u64; others.len() + 1];
        let mut most = vec![vec![0_u64; width]; others.len() + 1];
        for i in (0..others.len()).rev() {
            let c = others[i];
            skills[i] = skills[i + 1] | search.problem.candidates[c].skills;
            let later = most[i + 1].clone();
            for ((most, later), days) in most[i].iter_mut().zip(later).zip(&search.days_for[c]) {
                *most = later.max(*days);
            }
        }
        Bounds { skills, most }
    }
}

/// A team being built: its skills and days per skill so far.
struct Partial {
    skills: u64,
    days: Vec<u64>,
}

impl Partial {
    fn of(search: &Search<'_>, team: &[usize]) -> Self {
        let mut partial = Partial {
            skills: 0,
            days: vec![0; search.problem.needs.len()],
        };
        for &c in team {
            partial = partial.with(&search.days_for[c], search.problem.candidates[c].skills);
        }
        partial
    }

    fn with(&self, days: &[u64], skills: u64) -> Self {
        Partial {
            skills: self.skills | skills,
            days: self.days.iter().zip(days).map(|(a, b)| a + b).collect(),
        }
    }

    /// Whether the days so far, plus `places` more candidates offering at
    /// most `most` each, could meet every need.
    fn meets(&self, needs: &[u32], places: u64, most: Option<&Vec<u64>>) -> bool {
        needs.iter().enumerate().all(|(s, &need)| {
            let more = most.map_or(0, |m| m[s] * places);
            self.days[s] + more >= u64::from(need)
        })
    }
}

fn sorted(team: &[usize]) -> Vec<usize> {
    let mut team = team.to_vec();
    team.sort_unstable();
    team
}

/// Whether `team` holds every member of `part`.
fn contains(team: &[usize], part: &[usize]) -> bool {
    part.iter().all(|m| team.contains(m))
}
