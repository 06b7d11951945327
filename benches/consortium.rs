//! The consortium builder through the API (issue 17): latency of
//! `GET /api/v1/contracts/{id}/suggestions` for contracts needing 8 skills
//! over a replica of 2,000 co-ops. Target: p99 ≤ 100 ms.
//!
//! Set-up (not timed): `common::build_replica` signs a profile, skills
//! (4–12 of 48 names, Zipf-weighted) and capacity (1–4 windows over the
//! next 5 months, £250–£650 a day) for each of 2,000 co-ops and ingests
//! them into a node's store; the node starts in-process (no peers) with
//! its web server, an admin and an API token, and publishes three
//! contracts of its own ([`contracts`]): 8 skills each, common and rarer
//! ones mixed; a period and a value, a later period and a smaller value,
//! and no period nor value (the next three months, no budget). The needs
//! are the node's own estimates (value over skills at the median day
//! rate; 10 days a skill without a value).
//!
//! Timed: after a warm-up, five rounds of 120 requests (the three
//! contracts in turn) over one keep-alive HTTP/1.1 connection, sequential,
//! from sending the request to the body's last byte; each answer must be
//! 200 with at least one team. Per round p50 and p99; medians over rounds.
//!
//! Then, not timed, each contract's answer is compared with the exact
//! search for full covers over all its candidates (`full_covers_exactly`,
//! given 300 s): does a team covering everything exist, and the best.
//!
//! Run: `cargo bench --bench consortium`. Under `cargo test --benches` it
//! runs one round of 6 requests over 100 co-ops and writes no summary.

mod common;

use common::{
    Client, Mode, Summary, WebNode, build_replica, cleanup_on_signal, list, median, percentile,
    runtime, temp_root,
};
use std::time::{Duration, Instant};

use coopnet_bids::contract::{ContractRef, SuggestOptions};
use coopnet_bids::solver::{Problem, full_covers_exactly, suggest};
use coopnet_node::clock;
use coopnet_protocol::kinds::{Contract, ContractFields, ContractStatus, ContractValue, Period};
use coopnet_protocol::{Body, Day, Kind};

/// A contract of the mix: its key, skills, period (weeks from today) and
/// value in pounds.
struct Spec {
    key: &'static str,
    skills: [&'static str; 8],
    weeks: Option<(i32, i32)>,
    value: Option<u64>,
}

fn contracts() -> [Spec; 3] {
    [
        Spec {
            key: "portal",
            skills: [
                "JavaScript",
                "user research",
                "accessibility",
                "PHP",
                "Drupal",
                "project management",
                "PostgreSQL",
                "Docker",
            ],
            weeks: Some((2, 14)),
            value: Some(150_000),
        },
        Spec {
            key: "data",
            skills: [
                "Python",
                "data visualisation",
                "machine learning",
                "SQL",
                "geographic information systems",
                "api design",
                "Kubernetes",
                "Go",
            ],
            weeks: Some((6, 20)),
            value: Some(80_000),
        },
        Spec {
            key: "crm",
            skills: [
                "CiviCRM",
                "WordPress",
                "CSS",
                "usability testing",
                "web analytics",
                "cyber security",
                "Linux",
                "TypeScript",
            ],
            weeks: None,
            value: None,
        },
    ]
}

fn fields(spec: &Spec, today: Day) -> ContractFields {
    let day = |weeks: i32| Day::from_days(today.days() + 7 * weeks).expect("a day");
    ContractFields {
        title: format!("Benchmark contract {}", spec.key),
        buyer: "A public body".into(),
        description: String::new(),
        required_skills: spec.skills.iter().map(|s| (*s).to_owned()).collect(),
        value: spec.value.map(|pounds| ContractValue {
            amount: Some(pounds * 100),
            min: None,
            currency: "GBP".into(),
        }),
        deadline: None,
        period: spec.weeks.map(|(from, to)| Period {
            start: day(from),
            end: day(to),
        }),
        location: String::new(),
        source_url: None,
        ocid: None,
        status: ContractStatus::Open,
    }
}

/// What one answer said, for the summary.
#[derive(Debug, Default, Clone)]
struct Answer {
    candidates: u64,
    pool: Option<u64>,
    teams: usize,
    full: bool,
    first: String,
}

fn read(path: &str, body: &[u8]) -> Answer {
    let json: serde_json::Value = serde_json::from_slice(body).expect("a JSON answer");
    let teams = json["teams"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: no teams: {json}"));
    assert!(!teams.is_empty(), "{path}: no team at all: {json}");
    let first = &teams[0];
    Answer {
        candidates: json["candidates"].as_u64().unwrap_or(0),
        pool: json["pool"].as_u64(),
        teams: teams.len(),
        full: first["full"] == true,
        first: format!(
            "{} co-ops, £{}, {} spare days",
            first["members"].as_array().map_or(0, Vec::len),
            first["cost"],
            first["spare_days"]
        ),
    }
}

/// `n` requests (the contracts in turn): the times of those answered 200
/// with at least one team, and how many were not (never timed).
async fn round(client: &mut Client, paths: &[String], n: usize) -> (Vec<f64>, usize) {
    let mut times = Vec::with_capacity(n);
    let mut failed = 0;
    for i in 0..n {
        let path = &paths[i % paths.len()];
        let (status, body, secs) = client.get(path).await;
        let teams = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|j| j["teams"].as_array().map(Vec::len))
            .unwrap_or(0);
        if status == 200 && teams > 0 {
            times.push(secs);
        } else {
            failed += 1;
            eprintln!("{path}: {status} {}", String::from_utf8_lossy(&body));
        }
    }
    (times, failed)
}

/// The API's solver (pooled) against the exact search for full covers
/// (`full_covers_exactly`) on the same problem, in words; the exact search
/// gets `limit_s` seconds.
fn against_exact(key: &str, problem: Problem, limit_s: u64) -> String {
    let pooled = suggest(&problem).expect("a valid problem");
    let describe = |s: Option<&coopnet_bids::solver::Suggestion>| match s {
        Some(s) => format!(
            "{} {} co-ops £{}",
            if s.full { "full" } else { "partial" },
            s.members.len(),
            s.allocation.cost
        ),
        None => "nothing".to_owned(),
    };
    let ours = describe(pooled.suggestions.first());
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let started = Instant::now();
    std::thread::spawn(move || {
        let _ = tx.send(full_covers_exactly(&problem));
    });
    match rx.recv_timeout(Duration::from_secs(limit_s)) {
        Ok(Ok(exact)) => format!(
            "{key}: ours {ours}; best full cover over every candidate: {} ({:.1} s)",
            describe(exact.first()),
            started.elapsed().as_secs_f64(),
        ),
        Ok(Err(e)) => format!("{key}: exact refused: {e}"),
        Err(_) => format!("{key}: ours {ours}; exact did not finish in {limit_s} s"),
    }
}

fn main() {
    let mode = Mode::detect();
    let (coops, requests, rounds) = mode.pick((2_000, 120, 5), (100, 6, 1));
    let rt = runtime();
    cleanup_on_signal(&rt);
    let root = temp_root();
    let dir = root.path().join("node");
    let stats = rt.block_on(build_replica(&dir, coops, clock::now()));
    eprintln!("{}", stats.describe());
    let node = rt.block_on(WebNode::start(&dir, false));
    let own = node.node.node.key();
    let specs = contracts();
    for spec in &specs {
        let contract = Contract::parse(fields(spec, stats.today)).expect("a valid contract");
        rt.block_on(node.node.node.publish(
            Kind::Contract.code(),
            spec.key,
            Some(Body::Contract(contract)),
            None,
        ))
        .expect("publish");
    }
    let paths: Vec<String> = specs
        .iter()
        .map(|s| format!("/api/v1/contracts/{own}-{}/suggestions", s.key))
        .collect();
    let mut client = rt.block_on(Client::connect(node.web.addr, &node.token));
    let answers: Vec<Answer> = paths
        .iter()
        .map(|p| {
            let (status, body, _) = rt.block_on(client.get(p));
            assert_eq!(status, 200, "{p}: {}", String::from_utf8_lossy(&body));
            read(p, &body)
        })
        .collect();
    let (_, warm_failed) = rt.block_on(round(&mut client, &paths, 2 * paths.len()));
    assert_eq!(warm_failed, 0, "the warm-up requests were not all answered");
    let mut times = Vec::new();
    let mut failed = 0;
    for r in 0..rounds {
        let (answered, missed) = rt.block_on(round(&mut client, &paths, requests));
        failed += missed;
        times.push(answered);
        eprintln!(
            "round {r}: p50 {:.1} ms p99 {:.1} ms",
            1e3 * percentile(&times[r], 50.0),
            1e3 * percentile(&times[r], 99.0)
        );
    }
    drop(client);
    // Baseline, same run: the solver alone on each contract's problem as
    // the node frames it (no HTTP, no reading the replica), 20 times each.
    let mut solver = Vec::new();
    for spec in &specs {
        let contract = ContractRef {
            author: own,
            key: spec.key.to_owned(),
            fields: fields(spec, stats.today),
        };
        let framed = rt
            .block_on(
                node.node
                    .node
                    .consortium_problem(&contract, SuggestOptions::default()),
            )
            .expect("the problem");
        for _ in 0..mode.pick(20, 2) {
            let start = Instant::now();
            suggest(&framed.problem).expect("a valid problem");
            solver.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    let checks: Vec<String> = specs
        .iter()
        .map(|spec| {
            let contract = ContractRef {
                author: own,
                key: spec.key.to_owned(),
                fields: fields(spec, stats.today),
            };
            let options = SuggestOptions::default();
            let framed = rt
                .block_on(node.node.node.consortium_problem(&contract, options))
                .expect("the problem");
            against_exact(spec.key, framed.problem, mode.pick(300, 5))
        })
        .collect();
    rt.block_on(node.stop());

    let mut summary = Summary::new("consortium", mode);
    summary.line(stats.describe());
    summary.line(
        "server: in-process coopnet_node::Node (no peers) + coopnet::web::serve on 127.0.0.1; \
         client: hyper HTTP/1.1, one keep-alive connection, sequential, same process (2 cores)",
    );
    for (spec, answer) in specs.iter().zip(&answers) {
        summary.line(format!(
            "  {:<7} period {:<12} value {:<10} {} candidates, {}, {} teams, first {} ({})",
            spec.key,
            spec.weeks
                .map_or("none".to_owned(), |(a, b)| format!("weeks {a}-{b}")),
            spec.value.map_or("none".to_owned(), |v| format!("£{v}")),
            answer.candidates,
            answer
                .pool
                .map_or("exact".to_owned(), |p| format!("pool of {p}")),
            answer.teams,
            if answer.full { "covers all" } else { "partial" },
            answer.first
        ));
    }
    summary.line(
        "each contract's answer against the exact search for full covers over all its candidates (not timed \
         above; given up after the time limit):",
    );
    for check in checks {
        summary.line(format!("  {check}"));
    }
    let p50: Vec<f64> = times.iter().map(|t| 1e3 * percentile(t, 50.0)).collect();
    let p99: Vec<f64> = times.iter().map(|t| 1e3 * percentile(t, 99.0)).collect();
    let total = times.len() * requests;
    summary.line(format!(
        "{} rounds of {requests} requests: answered with teams {}/{total}; p50 per round {} ms, \
         p99 per round {} ms",
        times.len(),
        total - failed,
        list(&p50, 1),
        list(&p99, 1)
    ));
    let baseline = percentile(&solver, 50.0);
    summary.line(format!(
        "baseline, same run: the solver alone on the same three problems, p50 {baseline:.1} ms; \
         API p50 / solver p50 {:.2} (the rest is reading the replica and HTTP)",
        median(&p50) / baseline
    ));
    let ok = median(&p99) <= 100.0 && failed == 0;
    summary.line(format!(
        "median: p50 {:.1} ms, p99 {:.1} ms (target p99 <= 100 ms: {})",
        median(&p50),
        median(&p99),
        if ok { "MET" } else { "MISSED" }
    ));
    summary.finish();
}
