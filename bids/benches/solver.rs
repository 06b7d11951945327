//! The consortium solver alone (issue 17): the quality of the pooled
//! search against the exact optimum, and the time of each.
//!
//! Cases: `common::planted` (in `tests/common`): a contract needing 8
//! skills, 60 candidate co-ops (1–4 of the skills each, 1–3 windows of
//! 5–60 days, £350–£900 a day) among them a planted team of 2–4 that
//! covers everything; a value in three cases of five; K = 4. For each
//! case, `suggest` (exact up to 20 useful candidates, else pooled) and
//! `suggest_exactly` (every team of the 60). A case is *near* when the
//! pooled search's first team has as few co-ops as the optimum's and costs
//! at most 5 % more. Targets: near on ≥ 95 % of cases; a full cover found
//! whenever one exists within K (always here: the planted team).
//!
//! Run: `cargo bench -p coopnet-bids --bench solver` (200 cases; under
//! `cargo test --benches`, 5 cases).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use coopnet_bids::solver::{Method, suggest, suggest_exactly};

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * (values.len() - 1) as f64).round() as usize;
    values[rank]
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let cases: usize = if bench { 200 } else { 5 };
    let (mut near, mut found, mut pooled_cases) = (0, 0, 0);
    let (mut fast, mut slow) = (Vec::new(), Vec::new());
    let mut worst: f64 = 1.0;
    for seed in 0..cases {
        let problem = common::planted(seed as u64, 60, 8, 4);
        let start = Instant::now();
        let pooled = suggest(&problem).expect("a valid problem");
        fast.push(start.elapsed().as_secs_f64() * 1e3);
        let start = Instant::now();
        let exact = suggest_exactly(&problem).expect("a valid problem");
        slow.push(start.elapsed().as_secs_f64() * 1e3);
        pooled_cases += usize::from(matches!(pooled.method, Method::Pooled { .. }));
        let best = exact
            .suggestions
            .first()
            .expect("the planted team at least");
        assert!(best.full, "seed {seed}: the planted team covers everything");
        let Some(first) = pooled.suggestions.first().filter(|s| s.full) else {
            println!("seed {seed}: the pooled search missed every full cover");
            continue;
        };
        found += 1;
        let ratio = first.allocation.cost as f64 / best.allocation.cost as f64;
        if first.members.len() == best.members.len() {
            worst = worst.max(ratio);
            if ratio <= 1.05 {
                near += 1;
            }
        }
    }
    // Large federations: the pooled search's time alone (the exact one
    // would take hours), and whether it finds the planted cover.
    let mut large = Vec::new();
    let mut large_found = 0;
    let large_cases: usize = if bench { 50 } else { 2 };
    for seed in 0..large_cases {
        let problem = common::planted(1_000 + seed as u64, 1_200, 8, 4);
        let start = Instant::now();
        let pooled = suggest(&problem).expect("a valid problem");
        large.push(start.elapsed().as_secs_f64() * 1e3);
        large_found += usize::from(pooled.suggestions.first().is_some_and(|s| s.full));
    }
    let pct = |n: usize| 100.0 * n as f64 / cases as f64;
    println!(
        "==== coopnet-bids solver ({}) ====",
        if bench {
            "release bench run"
        } else {
            "test mode: 5 cases"
        }
    );
    println!(
        "{cases} cases: 8 skills, 60 candidates, K = 4, a planted full cover; {pooled_cases} searched through the pool"
    );
    println!(
        "full cover found: {found}/{cases} ({:.1} %; target 100 %: {})",
        pct(found),
        if found == cases { "MET" } else { "MISSED" }
    );
    println!(
        "same team size and cost within 5 % of the optimum: {near}/{cases} ({:.1} %; target >= 95 %: {}); worst cost ratio at the optimum's size {worst:.3}",
        pct(near),
        if near * 100 >= cases * 95 {
            "MET"
        } else {
            "MISSED"
        }
    );
    println!(
        "time per case: pooled p50 {:.2} ms p99 {:.2} ms; exact over all 60 p50 {:.1} ms p99 {:.1} ms",
        percentile(&mut fast, 50.0),
        percentile(&mut fast, 99.0),
        percentile(&mut slow, 50.0),
        percentile(&mut slow, 99.0)
    );
    println!(
        "{large_cases} cases of 1,200 candidates (8 skills, K = 4, planted): full cover found {large_found}/{large_cases}; pooled p50 {:.1} ms p99 {:.1} ms",
        percentile(&mut large, 50.0),
        percentile(&mut large, 99.0)
    );
}
