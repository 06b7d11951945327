//! Propagation to a node behind NAT (issue 20), on the namespace internet
//! of `coopnet_tests::natlab`, every node a `coopnet run` process: a node
//! behind one NAT publishes 200 records at 20 a second; the latency of
//! each to the node behind the other NAT and to a node on a public
//! address, in the same run, from each node's `received_at` (one machine,
//! one clock) minus `issued_at`. Twice: behind symmetric NATs (the two
//! stay connected through the relay) and behind port-preserving ones
//! (their relayed connection has become direct by hole punching).
//! Target: p99 behind NAT / p99 public ≤ 2.
//!
//! Needs root, iproute2 and nftables; says SKIPPED otherwise.
//! Run: `cargo bench --bench nat`.

mod common;

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Mode, Summary, percentile, runtime};
use coopnet_node::control::{Request, call};
use coopnet_protocol::samples;
use coopnet_tests::natlab::{Host, NatLab, PUBLIC, PUBLIC2, Run, init_node, links, net_counter};
use coopnet_tests::{DEADLINE, wait_for};
use serde_json::Value;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_coopnet"))
}

fn run(bootstrap: Option<&str>, external: Option<Ipv4Addr>) -> Run<'_> {
    Run {
        bootstrap,
        external,
        sync_interval_secs: 30,
    }
}

async fn publish(dir: &Path, key: String, n: usize) -> bool {
    let request = Request::Publish {
        kind: "contract".into(),
        key,
        body: serde_json::to_value(samples::contract(n)).expect("JSON"),
        expires_at: None,
    };
    call(dir, &request).await.is_ok()
}

/// (received_at − issued_at) in ms of the records keyed `prefix…` at `dir`.
async fn latencies(dir: &Path, prefix: &str) -> Vec<f64> {
    let request = Request::List {
        kind: Some("contract".into()),
        author: None,
        limit: Some(10_000),
        offset: None,
    };
    let reply = call(dir, &request).await.unwrap_or(Value::Null);
    let out: Vec<f64> = reply["records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["key"].as_str().is_some_and(|k| k.starts_with(prefix)))
        .map(|r| {
            (r["received_at"].as_u64().unwrap_or(0) as f64)
                - (r["issued_at"].as_u64().unwrap_or(0) as f64)
        })
        .collect();
    out
}

/// What one lab measured.
struct Measured {
    /// Latencies at A (behind NAT) and at C (public), of those delivered.
    nat: Vec<f64>,
    public: Vec<f64>,
    /// How B and A were connected.
    how: String,
}

/// One lab; `None` if B could not be connected to A.
async fn run_lab(symmetric: bool, records: usize) -> Option<Measured> {
    let lab = NatLab::new(symmetric);
    let root = tempfile::tempdir().expect("a temporary directory");
    let dirs: Vec<PathBuf> = ["p", "c", "a", "b"]
        .iter()
        .map(|n| root.path().join(n))
        .collect();
    let peer_p = init_node(bin(), &dirs[0], "Public");
    init_node(bin(), &dirs[1], "Public 2");
    let peer_a = init_node(bin(), &dirs[2], "Home A");
    init_node(bin(), &dirs[3], "Home B");
    let boot = format!("/ip4/{PUBLIC}/udp/4001/quic-v1/p2p/{peer_p}");
    let _p = lab.run(Host::Public, bin(), &dirs[0], run(None, Some(PUBLIC)));
    wait_for("the public node", DEADLINE, || async {
        call(&dirs[0], &Request::Status).await.is_ok()
    })
    .await;
    let _c = lab.run(
        Host::Public2,
        bin(),
        &dirs[1],
        run(Some(&boot), Some(PUBLIC2)),
    );
    let _a = lab.run(Host::A, bin(), &dirs[2], run(Some(&boot), None));
    let _b = lab.run(Host::B, bin(), &dirs[3], run(Some(&boot), None));
    for dir in &dirs[2..] {
        wait_for("a relay reservation", DEADLINE, || async {
            net_counter(dir, "relay_reservations").await >= 1
        })
        .await;
    }
    let circuit = format!("{boot}/p2p-circuit/p2p/{peer_a}");
    call(&dirs[3], &Request::Connect { addr: circuit })
        .await
        .ok()?;
    let direct = |l: &Vec<String>| l.iter().any(|a| !a.contains("p2p-circuit"));
    wait_for("B and A connected as the NATs allow", DEADLINE, || async {
        let l = links(&dirs[3], &peer_a).await;
        !l.is_empty() && (symmetric || direct(&l))
    })
    .await;
    let how = links(&dirs[3], &peer_a).await.join(" + ");
    // Warm-up, not timed: a record from B reaches A and C, so the gossip
    // meshes have formed before the timed records go.
    publish(&dirs[3], "warm-up".into(), 0).await.then_some(())?;
    wait_for("the warm-up record at A and C", DEADLINE, || async {
        latencies(&dirs[2], "warm-up").await.len() == 1
            && latencies(&dirs[1], "warm-up").await.len() == 1
    })
    .await;
    let mut published = 0;
    for n in 0..records {
        published += usize::from(publish(&dirs[3], format!("bench-{n}"), n).await);
        tokio::time::sleep(Duration::from_millis(50)).await; // the pace: 20 a second
    }
    // Delivered or not, each node gets until the deadline.
    let all_in = || async {
        latencies(&dirs[2], "bench-").await.len() == published
            && latencies(&dirs[1], "bench-").await.len() == published
    };
    let until = tokio::time::Instant::now() + DEADLINE;
    while !all_in().await && tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Some(Measured {
        nat: latencies(&dirs[2], "bench-").await,
        public: latencies(&dirs[1], "bench-").await,
        how,
    })
}

fn main() {
    let mode = Mode::detect();
    let mut summary = Summary::new("nat", mode);
    if let Some(why) = coopnet_tests::netns::unavailable() {
        summary.line(format!("SKIPPED: {why}"));
        summary.finish();
        return;
    }
    let (records, runs) = mode.pick((200, 3), (20, 1));
    let rt = runtime();
    summary.line(format!(
        "namespace internet (coopnet_tests::natlab): public relay P, public node C, A and B each behind \
         its own masquerading router; B publishes {records} records at 20/s; latency = received_at − \
         issued_at at A (behind NAT) and at C (public), same run"
    ));
    for symmetric in [true, false] {
        let label = if symmetric {
            "symmetric NATs (relayed)"
        } else {
            "port-preserving NATs (hole punched, direct)"
        };
        let mut ratios = Vec::new();
        let mut missing = 0;
        for run in 0..runs {
            let Some(m) = rt.block_on(run_lab(symmetric, records)) else {
                summary.line(format!(
                    "  {label} run {run}: B could not be connected to A"
                ));
                missing += records;
                continue;
            };
            missing += (records - m.nat.len()) + (records - m.public.len());
            let (n50, n99) = (percentile(&m.nat, 50.0), percentile(&m.nat, 99.0));
            let (p50, p99) = (percentile(&m.public, 50.0), percentile(&m.public, 99.0));
            let ratio = n99 / p99.max(1.0);
            ratios.push(ratio);
            summary.line(format!(
                "  {label} run {run}: behind NAT delivered {}/{records}, p50 {n50:.0} ms p99 {n99:.0} ms; \
                 public (the baseline) delivered {}/{records}, p50 {p50:.0} ms p99 {p99:.0} ms; \
                 ratio of p99 {ratio:.2}; B–A over {}",
                m.nat.len(),
                m.public.len(),
                m.how
            ));
        }
        let median = common::median(&ratios);
        summary.line(format!(
            "{}: {missing} records not delivered; median ratio {median:.2} (target <= 2 with everything delivered: {})",
            if symmetric { "relayed" } else { "direct" },
            if median <= 2.0 && missing == 0 { "MET" } else { "MISSED" }
        ));
    }
    summary.finish();
}
