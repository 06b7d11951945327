//! The consortium solver against brute force on many small generated
//! federations (issue 17): the suggestions are exactly the best distinct
//! teams by the ranking, each valid on its own terms.

use coopnet_bids::solver::{
    Allocation, Candidate, Method, Outcome, Problem, Suggestion, Window, allocate, fits, rank,
    suggest,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A federation of up to 12 candidates needing up to 6 skills.
fn federation(rng: &mut StdRng) -> Problem {
    let skills = rng.gen_range(1..=6);
    let needs: Vec<u32> = (0..skills).map(|_| rng.gen_range(1..=40)).collect();
    let n = rng.gen_range(1..=12);
    let candidates = (0..n)
        .map(|_| {
            let has: u64 = rng.gen_range(1..(1_u64 << skills));
            let windows = (0..rng.gen_range(1..=3))
                .map(|_| {
                    // A window lists some of the co-op's skills, or none.
                    let listed = if rng.gen_bool(0.5) {
                        has
                    } else {
                        has & rng.r#gen::<u64>()
                    };
                    Window {
                        days: rng.gen_range(0..=45),
                        skills: listed,
                    }
                })
                .collect();
            Candidate {
                skills: has,
                windows,
                rate: rng.gen_range(3..=9) * 100,
                invited: rng.gen_range(0..4),
            }
        })
        .collect();
    let total: u64 = needs.iter().map(|&d| u64::from(d)).sum();
    Problem {
        lead: rng.gen_bool(0.4).then(|| rng.gen_range(0..n)),
        max_team: rng.gen_range(1..=4),
        limit: rng.gen_range(1..=5),
        budget: rng
            .gen_bool(0.6)
            .then(|| total * rng.gen_range(4..=9) * 100 * 100),
        spread: rng.gen_bool(0.3),
        needs,
        candidates,
    }
}

fn every_team(problem: &Problem) -> Vec<Suggestion> {
    let n = problem.candidates.len();
    let mut out = Vec::new();
    for mask in 1_u32..(1 << n) {
        let team: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
        if team.len() > problem.max_team || problem.lead.is_some_and(|l| !team.contains(&l)) {
            continue;
        }
        // A co-op with no day for any needed skill adds nothing (the lead
        // is in every team anyway).
        let idle = |&m: &usize| {
            problem.lead != Some(m)
                && problem.candidates[m]
                    .windows
                    .iter()
                    .all(|w| w.days == 0 || w.skills == 0)
        };
        if team.iter().any(idle) {
            continue;
        }
        let allocation = allocate(&problem.needs, &team, &problem.candidates);
        out.push(Suggestion {
            full: allocation.is_full(&problem.needs),
            invited: team.iter().map(|&m| problem.candidates[m].invited).sum(),
            members: team,
            allocation,
        });
    }
    out
}

fn contains(big: &[usize], small: &[usize]) -> bool {
    small.iter().all(|m| big.contains(m))
}

/// What the solver should answer, from every team.
fn expected(problem: &Problem) -> (Vec<Vec<usize>>, Option<Vec<usize>>) {
    let mut teams = every_team(problem);
    teams.sort_by(|a, b| rank(problem, a, b));
    let fitting: Vec<&Suggestion> = teams
        .iter()
        .filter(|s| s.full && fits(problem.budget, s.allocation.cost))
        .collect();
    let mut chosen: Vec<Vec<usize>> = Vec::new();
    if !fitting.is_empty() {
        for s in fitting {
            if chosen.len() < problem.limit && !chosen.iter().any(|c| contains(&s.members, c)) {
                chosen.push(s.members.clone());
            }
        }
        return (chosen, None);
    }
    for s in teams.iter().filter(|s| !s.full) {
        let variant = chosen
            .iter()
            .any(|c| contains(&s.members, c) || contains(c, &s.members));
        if chosen.len() < problem.limit && !variant {
            chosen.push(s.members.clone());
        }
    }
    let over = teams.iter().find(|s| s.full).map(|s| s.members.clone());
    (chosen, over)
}

/// Checks an allocation on its own terms: days from windows that may serve
/// the skill, no window over its days, the sums and the cost as stated.
fn check_allocation(problem: &Problem, members: &[usize], a: &Allocation) {
    let mut used = std::collections::HashMap::new();
    let mut covered = vec![0_u32; problem.needs.len()];
    let mut cost = 0_u64;
    for share in &a.shares {
        assert!(
            members.contains(&share.member),
            "a share from outside the team"
        );
        let candidate = &problem.candidates[share.member];
        let window = candidate.windows[share.window];
        assert!(
            window.skills & (1 << share.skill) != 0,
            "a window serving a skill it does not list"
        );
        *used.entry((share.member, share.window)).or_insert(0) += share.days;
        covered[share.skill] += share.days;
        cost += u64::from(share.days) * u64::from(candidate.rate);
    }
    for ((m, w), days) in used {
        assert!(
            days <= problem.candidates[m].windows[w].days,
            "a window used twice over"
        );
    }
    for (got, need) in covered.iter().zip(&problem.needs) {
        assert!(got <= need, "more days than needed");
    }
    assert_eq!(covered, a.covered);
    assert_eq!(cost, a.cost);
}

fn check(problem: &Problem, outcome: &Outcome, seed: u64) {
    let (want, over) = expected(problem);
    let got: Vec<Vec<usize>> = outcome
        .suggestions
        .iter()
        .map(|s| s.members.clone())
        .collect();
    assert_eq!(got, want, "seed {seed}: {problem:?}");
    assert_eq!(
        outcome.over_value.as_ref().map(|s| s.members.clone()),
        over,
        "seed {seed}"
    );
    for s in &outcome.suggestions {
        check_allocation(problem, &s.members, &s.allocation);
        assert!(s.members.len() <= problem.max_team);
        if let Some(lead) = problem.lead {
            assert!(s.members.contains(&lead), "seed {seed}: the lead left out");
        }
        if s.full {
            assert!(s.allocation.is_full(&problem.needs));
            assert!(
                fits(problem.budget, s.allocation.cost),
                "seed {seed}: over the value"
            );
        }
    }
    for (i, a) in got.iter().enumerate() {
        for b in &got[..i] {
            assert_ne!(a, b, "seed {seed}: the same team twice");
        }
    }
}

#[test]
fn suggestions_are_the_best_distinct_teams_on_small_federations() {
    let mut full = 0;
    for seed in 0..1_500 {
        let mut rng = StdRng::seed_from_u64(seed);
        let problem = federation(&mut rng);
        let outcome = suggest(&problem).expect("a valid problem");
        assert_eq!(outcome.method, Method::Exact);
        check(&problem, &outcome, seed);
        full += usize::from(outcome.suggestions.first().is_some_and(|s| s.full));
    }
    // The generator makes both kinds of answer often.
    assert!(
        (300..1_200).contains(&full),
        "{full} of 1,500 had a full cover"
    );
}

#[test]
fn bad_problems_are_refused() {
    let problem = Problem {
        needs: vec![1],
        candidates: vec![],
        lead: Some(0),
        max_team: 4,
        limit: 5,
        budget: None,
        spread: false,
    };
    assert!(suggest(&problem).is_err());
    assert!(
        suggest(&Problem {
            lead: None,
            max_team: 0,
            ..problem.clone()
        })
        .is_err()
    );
    assert!(
        suggest(&Problem {
            lead: None,
            limit: 0,
            ..problem
        })
        .is_err()
    );
}
