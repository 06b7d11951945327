//! Anti-entropy sync between two in-process nodes on loopback TCP
//! (issue 3): a cold join of 100,000 records, and incremental
//! reconciliation of peers that differ by d ∈ {0, 100, 1000} records.
//!
//! Set-up (not timed): 2,000 co-ops × 50 records (profile, skills,
//! capacity, node status, contracts and bid notices; issue times spread
//! over 30 days) are signed and verified on both cores; the source node's
//! store gets all of them, and a template store gets all but 1,000 chosen
//! at random (seeded). The source runs for the whole bench with a one-hour
//! sync interval, so it starts sessions only when a peer connects; each
//! joiner is a fresh node (new identity, config defaults: heartbeat 1 s,
//! sync every 30 s) that dials the source through a [`CountingProxy`].
//!
//! Figures:
//! - **cold**: time from the joiner's `Node::start` to its sync index
//!   holding all 100,000 (target ≤ 20 s); bytes the joiner received on the
//!   wire (all TCP payload of the connection: Noise, Yamux, every protocol)
//!   ÷ the raw signed bytes of the records (target ≤ 1.2), and the
//!   sync-protocol share of it from `NetStats`.
//! - **incremental, d = 0**: one side of the pair (the lower peer id: the
//!   joiner in even runs, whose identity is drawn until it is, and the
//!   source in odd runs) starts a session when they connect; there must be exactly one, of one round trip and ≤ 1 KiB of
//!   reconcile messages (sent + received, framed as on the stream).
//! - **incremental, d > 0**: the joiner lacks d records: (reconcile bytes
//!   of the session at connect, both ways + fetch requests + record pages
//!   the joiner received, fetched or pushed) ÷ the d records' bytes
//!   (target ≤ 1.1); also without fetch requests, and on the wire.
//!
//! Three runs of each (fresh joiner, same source), medians reported.
//! Run: `cargo bench --bench sync`. Under `cargo test --benches` it runs
//! once with 200 records and writes no summary file.

#[path = "sync/cold.rs"]
mod cold;
mod common;
#[path = "sync/incremental.rs"]
mod incremental;

use std::path::Path;
use std::time::{Duration, Instant};

use cold::{cold_run, report_cold};
use common::{
    CountingProxy, InProcess, Mode, Rng, Summary, cleanup_on_signal, corpus, fill_store, init_dir,
    runtime, start_in_process, temp_root, verify_all,
};
use coopnet_node::clock;
use coopnet_node::config::STORE_FILE;
use coopnet_node::net::NetStats;
use coopnet_protocol::VerifiedRecord;
use incremental::{incremental_run, report_incremental};

struct Sizes {
    authors: u32,
    per_author: usize,
    runs: usize,
    diffs: Vec<usize>,
    cold_timeout: Duration,
}

fn main() {
    let mode = Mode::detect();
    let sizes = mode.pick(
        Sizes {
            authors: 2_000,
            per_author: 50,
            runs: 3,
            diffs: vec![100, 1_000],
            cold_timeout: Duration::from_secs(180),
        },
        Sizes {
            authors: 10,
            per_author: 20,
            runs: 1,
            diffs: vec![5, 20],
            cold_timeout: Duration::from_secs(60),
        },
    );
    let now = clock::now();
    let started = Instant::now();
    let records = corpus(sizes.authors, sizes.per_author, now);
    let verified = verify_all(&records, now);
    eprintln!(
        "signed and verified {} records in {:.1?}",
        records.len(),
        started.elapsed()
    );
    let mut summary = Summary::new("sync", mode);
    let rt = runtime();
    cleanup_on_signal(&rt);
    rt.block_on(run(mode, &sizes, &records, verified, &mut summary));
    summary.finish();
}

/// The newest `max_d` records, newest first (what a peer that was offline
/// for a while lacks; the first d of them are what a joiner lacking d lacks).
fn newest_indexes(verified: &[VerifiedRecord], max_d: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..verified.len()).collect();
    order.sort_by_key(|&i| {
        let r = verified[i].record();
        std::cmp::Reverse((r.header().issued_at, r.id()))
    });
    order.truncate(max_d);
    order
}

/// The missing set: `max_d` distinct indexes, seeded, in a random order
/// (the first d of them are what a joiner lacking d records lacks).
fn missing_indexes(n: usize, max_d: usize) -> Vec<usize> {
    let mut rng = Rng::new(0x5eed);
    let mut chosen = std::collections::HashSet::new();
    let mut order = Vec::new();
    while order.len() < max_d.min(n) {
        let i = rng.below(n);
        if chosen.insert(i) {
            order.push(i);
        }
    }
    order
}

async fn run(
    mode: Mode,
    sizes: &Sizes,
    records: &[Vec<u8>],
    verified: Vec<VerifiedRecord>,
    summary: &mut Summary,
) {
    let n = records.len();
    let raw_total: u64 = records.iter().map(|r| r.len() as u64).sum();
    let max_d = sizes.diffs.iter().copied().max().unwrap_or(0);
    let root = temp_root();
    let started = Instant::now();
    let source_dir = root.path().join("source");
    init_dir(&source_dir, "Source Co-op");
    fill_store(&source_dir.join(STORE_FILE), &verified).await;
    let mut variants = Vec::new();
    for (name, missing) in [
        ("random", missing_indexes(n, max_d)),
        ("newest", newest_indexes(&verified, max_d)),
    ] {
        let missing_set: std::collections::HashSet<usize> = missing.iter().copied().collect();
        let template = root.path().join(format!("template-{name}.db"));
        let present: Vec<VerifiedRecord> = verified
            .iter()
            .enumerate()
            .filter(|(i, _)| !missing_set.contains(i))
            .map(|(_, v)| v.clone())
            .collect();
        fill_store(&template, &present).await;
        let missing_records: Vec<VerifiedRecord> =
            missing.iter().map(|&i| verified[i].clone()).collect();
        variants.push((name, template, missing_records));
    }
    drop(verified);
    eprintln!("built the stores in {:.1?}", started.elapsed());

    // One hour: the source starts sessions only when a peer connects.
    let source = start_in_process(
        &source_dir,
        Vec::new(),
        None,
        Some(Duration::from_secs(3_600)),
    )
    .await;

    summary.line(format!(
        "corpus: {n} records ({} co-ops x {}: profile, skills, capacity, node status, \
         contracts, bid notices), {raw_total} raw signed bytes, mean {:.0} B/record",
        sizes.authors,
        sizes.per_author,
        raw_total as f64 / n as f64
    ));
    summary.line(
        "nodes: in-process coopnet_node::Node pairs on 127.0.0.1 TCP (Noise + Yamux), \
         one tokio runtime of 2 workers; joiner with config defaults (heartbeat 1 s, \
         sync 30 s), source with a 1 h sync interval; fresh joiner each run, same source",
    );
    summary.line(
        "wire bytes: TCP payload through a counting relay between joiner and source \
         (everything: multistream-select, Noise, Yamux, identify, kad, gossipsub, ping, sync)",
    );

    // Cold sync.
    let mut cold = Vec::new();
    for r in 0..sizes.runs {
        let result = cold_run(&source, root.path(), r, n, sizes.cold_timeout).await;
        eprintln!("cold run {r}: {result:?}");
        cold.push(result);
    }
    report_cold(summary, &cold, n, raw_total);
    if mode == Mode::Test {
        assert!(
            cold.iter().all(|c| c.held == n as u64),
            "cold sync did not complete"
        );
    }

    // Incremental: d = 0 once, then each d with the two kinds of gap.
    summary.line("");
    summary.line(
        "INCREMENTAL: the joiner starts from a copy of a template store (all records but \
         1,000), given back all but d of those: \"random\" = d records chosen at random \
         (scattered over the whole set: the worst case for range reconciliation), \
         \"newest\" = the d most recently issued (a peer that was offline for a while)",
    );
    let mut cases = vec![(0, 0)];
    for &d in &sizes.diffs {
        cases.extend([(d, 0), (d, 1)]);
    }
    for (d, v) in cases {
        let (name, template, missing_records) = &variants[v];
        let mut results = Vec::new();
        for r in 0..sizes.runs {
            let result =
                incremental_run(&source, root.path(), template, missing_records, d, r, n).await;
            eprintln!("incremental d={d} {name} run {r}: {result:?}");
            results.push(result);
        }
        report_incremental(summary, d, name, &results, mode);
    }

    source.node.shutdown().await;
}

/// `after − before` of the counters this bench reads.
fn delta(after: &NetStats, before: &NetStats) -> NetStats {
    NetStats {
        syncs_completed: after.syncs_completed - before.syncs_completed,
        records_fetched: after.records_fetched - before.records_fetched,
        sync_bytes_received: after.sync_bytes_received - before.sync_bytes_received,
        reconcile_rounds: after.reconcile_rounds - before.reconcile_rounds,
        reconcile_bytes_sent: after.reconcile_bytes_sent - before.reconcile_bytes_sent,
        reconcile_bytes_received: after.reconcile_bytes_received - before.reconcile_bytes_received,
        fetch_bytes_sent: after.fetch_bytes_sent - before.fetch_bytes_sent,
        fetch_bytes_received: after.fetch_bytes_received - before.fetch_bytes_received,
        push_bytes_sent: after.push_bytes_sent - before.push_bytes_sent,
        records_pushed: after.records_pushed - before.records_pushed,
        sync_refusals: after.sync_refusals - before.sync_refusals,
        sketch_fallbacks: after.sketch_fallbacks - before.sketch_fallbacks,
        ..after.clone()
    }
}

async fn stats(node: &InProcess) -> NetStats {
    node.node.net().stats().await.expect("net stats")
}

async fn start_joiner(source: &InProcess, dir: &Path, proxy: &CountingProxy) -> InProcess {
    let bootstrap = format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", proxy.port, source.peer_id);
    start_in_process(dir, vec![bootstrap], None, None).await
}

fn verdict(ok: bool) -> &'static str {
    if ok { "MET" } else { "MISSED" }
}
