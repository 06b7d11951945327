//! Healing a real partition (issue 15): six `coopnet run` processes, each
//! in its own network namespace, joined by veth links as a **line** or a
//! **ring** (`coopnet_tests::netns`); the links between two halves are cut
//! with nftables rules that drop every packet (TCP sees silence, as when a
//! router fails, not a stopped process); while cut, every node publishes a
//! record; then the links return.
//!
//! Measured, per split length (20 s, 60 s, 5 minutes) and topology, over
//! three splits each: for every record and every node on the other side,
//! the time from the links returning to that node holding that record
//! (polled every 20 ms through the control sockets). Delivery is reported
//! with the latency: a record that never arrives within 60 s is a
//! failure, and no percentile is quoted over incomplete delivery. Target:
//! p99 ≤ 5 s for every split length. The nodes run with the production
//! defaults (heartbeat 1 s, sync every 30 s).
//!
//! Run (as root, with iproute2 and nftables): `cargo bench --bench
//! partition` (about 40 minutes); `-- line` or `-- ring` runs one
//! topology, `-- quick` splits of 20 s only. Under `cargo test --benches`
//! it runs one 2 s split of a line of three, or says SKIPPED without
//! namespaces.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{Mode, Summary, list, median, percentile, runtime};
use coopnet_tests::lab_nodes::{LabNodes, start_on};
use coopnet_tests::netns::{Lab, unavailable};

/// How long a record may take after the heal before it counts as lost.
const GIVE_UP: Duration = Duration::from_secs(60);

struct Topology {
    name: &'static str,
    hosts: usize,
    links: Vec<(usize, usize)>,
    /// The links cut to split it in two.
    cut: Vec<usize>,
    /// The hosts on the first side.
    side: Vec<usize>,
}

fn line(n: usize) -> Topology {
    Topology {
        name: "line",
        hosts: n,
        links: (1..n).map(|i| (i - 1, i)).collect(),
        cut: vec![n / 2 - 1],
        side: (0..n / 2).collect(),
    }
}

fn ring(n: usize) -> Topology {
    let mut links: Vec<(usize, usize)> = (1..n).map(|i| (i - 1, i)).collect();
    links.push((0, n - 1));
    Topology {
        name: "ring",
        hosts: n,
        links,
        // The middle link of the line part and the closing link.
        cut: vec![n / 2 - 1, n - 1],
        side: (0..n / 2).collect(),
    }
}

fn main() {
    let mode = Mode::detect();
    let args: Vec<String> = std::env::args().collect();
    let has = |a: &str| args.iter().any(|x| x == a);
    let mut summary = Summary::new("partition", mode);
    if let Some(why) = unavailable() {
        summary.line(format!("SKIPPED: needs network namespaces: {why}"));
        summary.finish();
        return;
    }
    let (topologies, splits, runs) = match mode {
        Mode::Test => (vec![line(3)], vec![Duration::from_secs(2)], 1),
        Mode::Bench => {
            let topologies = match (has("line"), has("ring")) {
                (true, false) => vec![line(6)],
                (false, true) => vec![ring(6)],
                _ => vec![line(6), ring(6)],
            };
            let splits = match has("quick") {
                true => vec![Duration::from_secs(20)],
                false => [20, 60, 300].map(Duration::from_secs).to_vec(),
            };
            (topologies, splits, 3)
        }
    };
    let rt = runtime();
    for topology in &topologies {
        rt.block_on(measure(topology, &splits, runs, &mut summary));
    }
    summary.finish();
}

async fn measure(topology: &Topology, splits: &[Duration], runs: usize, summary: &mut Summary) {
    let lab = Lab::new(topology.hosts, &topology.links);
    let root = tempfile::tempdir().expect("temp dir");
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_coopnet"));
    let nodes = start_on(&lab, bin, root.path(), &[]).await;
    summary.line(format!(
        "{} of {} processes, cut between {:?} and the rest:",
        topology.name, topology.hosts, topology.side
    ));
    let mut serial = 0;
    for split in splits {
        let mut latencies = Vec::new();
        let (mut expected, mut delivered) = (0, 0);
        let mut noticed = Vec::new();
        for _ in 0..runs {
            serial += 1;
            let run = split_once(&lab, &nodes, topology, *split, serial).await;
            expected += run.expected;
            delivered += run.latencies.len();
            latencies.extend(run.latencies);
            noticed.push(run.noticed);
        }
        let ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        let figures = match delivered == expected {
            true => format!(
                "p50 {:.0} ms, p99 {:.0} ms, worst {:.0} ms",
                percentile(&ms, 50.0),
                percentile(&ms, 99.0),
                ms.iter().copied().fold(0.0, f64::max)
            ),
            false => "INCOMPLETE: no percentile over missing deliveries".to_owned(),
        };
        summary.line(format!(
            "  split of {:>3} s ×{runs}: delivered {delivered}/{expected} across the cut; {figures} (target p99 ≤ 5,000 ms); cut noticed after {} s",
            split.as_secs(),
            list(&noticed, 1)
        ));
        eprintln!("    median {:.0} ms", median(&ms));
    }
}

/// What one split measured.
struct Run {
    /// Deliveries across the cut that had to happen.
    expected: usize,
    /// How long each took after the heal.
    latencies: Vec<Duration>,
    /// Seconds until both ends of the first cut link saw it.
    noticed: f64,
}

async fn split_once(
    lab: &Lab,
    nodes: &LabNodes,
    topology: &Topology,
    split: Duration,
    serial: usize,
) -> Run {
    for &k in &topology.cut {
        lab.cut(k);
    }
    let cut_at = Instant::now();
    let keys: Vec<String> = (0..topology.hosts)
        .map(|i| format!("split-{serial}-{i}"))
        .collect();
    for (host, key) in keys.iter().enumerate() {
        nodes.publish(host, key).await;
    }
    let (a, b) = lab.links()[topology.cut[0]].ends;
    nodes
        .wait_apart(a, b, split.max(Duration::from_secs(30)))
        .await;
    nodes
        .wait_apart(b, a, split.max(Duration::from_secs(30)))
        .await;
    let noticed = cut_at.elapsed().as_secs_f64();
    // NOTE: the split's length is the experiment, not a wait for the
    // network.
    tokio::time::sleep(split.saturating_sub(cut_at.elapsed())).await;
    for &k in &topology.cut {
        lab.heal(k);
    }
    let healed = Instant::now();
    // Every (node, record) pair across the cut.
    let side: HashSet<usize> = topology.side.iter().copied().collect();
    let mut waiting: Vec<(usize, String)> = Vec::new();
    for node in 0..topology.hosts {
        for (author, key) in keys.iter().enumerate() {
            if side.contains(&node) != side.contains(&author) {
                waiting.push((node, key.clone()));
            }
        }
    }
    let expected = waiting.len();
    let mut latencies = Vec::new();
    while !waiting.is_empty() && healed.elapsed() < GIVE_UP {
        let mut held = Vec::new();
        for node in 0..topology.hosts {
            held.push(nodes.held_keys(node).await);
        }
        let at = healed.elapsed();
        waiting.retain(|(node, key)| {
            let arrived = held[*node].contains(key);
            if arrived {
                latencies.push(at);
            }
            !arrived
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if !waiting.is_empty() {
        eprintln!(
            "not delivered after {GIVE_UP:?}: {waiting:?}\n{}",
            nodes.describe(&keys).await
        );
    }
    // Let every node catch up before the next split.
    nodes.wait_all_hold(&keys, GIVE_UP * 2).await;
    Run {
        expected,
        latencies,
        noticed,
    }
}
