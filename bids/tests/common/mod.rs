//! Generated consortium problems with a planted full cover, shared by the
//! quality test and the solver benchmark.

use coopnet_bids::solver::{Candidate, Problem, Window};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// A contract needing `skills` skills and `n` candidates with a realistic
/// spread (1–4 of the needed skills each, 1–3 windows of 5–60 days, day
/// rates £350–£900), among them a planted team of 2–`max_team` co-ops that
/// covers everything; in three cases of five a value at most 10 % above
/// the planted team's cost.
pub fn planted(seed: u64, n: usize, skills: usize, max_team: usize) -> Problem {
    let mut rng = StdRng::seed_from_u64(seed);
    let needs: Vec<u32> = (0..skills).map(|_| rng.gen_range(20..=80)).collect();
    let mut candidates: Vec<Candidate> = (0..n)
        .map(|_| {
            let mut has = 0_u64;
            for _ in 0..rng.gen_range(1..=4) {
                has |= 1 << rng.gen_range(0..skills);
            }
            let windows = (0..rng.gen_range(1..=3))
                .map(|_| Window {
                    days: rng.gen_range(5..=60),
                    skills: if rng.gen_bool(0.5) {
                        has
                    } else {
                        has & rng.r#gen::<u64>()
                    },
                })
                .collect();
            Candidate {
                skills: has,
                windows,
                rate: rng.gen_range(35..=90) * 10,
                invited: rng.gen_range(0..5),
            }
        })
        .collect();
    // The planted team: the skills dealt out over its members, each with
    // the days its skills need.
    let size = rng.gen_range(2..=max_team.max(2));
    let mut order: Vec<usize> = (0..skills).collect();
    order.shuffle(&mut rng);
    let mut slots: Vec<usize> = (0..n).collect();
    slots.shuffle(&mut rng);
    for (k, &slot) in slots.iter().take(size).enumerate() {
        let mine: Vec<usize> = order.iter().copied().skip(k).step_by(size).collect();
        let mask = mine.iter().fold(0_u64, |m, &s| m | 1 << s);
        let days: u32 = mine.iter().map(|&s| needs[s]).sum();
        candidates[slot] = Candidate {
            skills: mask,
            windows: vec![Window {
                days: days + rng.gen_range(0..10),
                skills: mask,
            }],
            rate: rng.gen_range(40..=80) * 10,
            invited: rng.gen_range(0..5),
        };
    }
    // A value in three cases of five, tight: the planted team's cost plus
    // up to 10 %, so covers that cost more do not fit.
    let team: Vec<usize> = slots.iter().take(size).copied().collect();
    let cost = coopnet_bids::solver::allocate(&needs, &team, &candidates).cost;
    let budget = rng
        .gen_bool(0.6)
        .then(|| cost * 100 * rng.gen_range(100..=110) / 100);
    Problem {
        needs,
        candidates,
        lead: None,
        max_team,
        limit: 5,
        budget,
        spread: false,
    }
}
