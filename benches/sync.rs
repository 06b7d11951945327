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

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    CountingProxy, InProcess, Mode, Rng, Summary, cleanup_on_signal, corpus, init_dir, list,
    median, runtime, start_in_process, temp_root, verify_all,
};
use coopnet_node::clock;
use coopnet_node::config::STORE_FILE;
use coopnet_node::net::NetStats;
use coopnet_node::store::Store;
use coopnet_protocol::VerifiedRecord;

/// Records per store call, as the node's callers send them.
const CHUNK: usize = 1_000;

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

async fn fill_store(path: &Path, records: &[VerifiedRecord]) {
    let store = Store::open(path).await.expect("open store");
    for chunk in records.chunks(CHUNK) {
        store.ingest(chunk.to_vec()).await.expect("ingest");
    }
    store.close().await.expect("close store");
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

#[derive(Debug)]
struct Cold {
    secs: f64,
    /// Records held at 1 s, 2 s, … after the start.
    timeline: Vec<usize>,
    held: u64,
    wire_down: u64,
    wire_up: u64,
    connections: u64,
    joiner: NetStats,
    source: NetStats,
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

/// Creates a joiner's data directory whose identity makes it the side
/// that initiates with `source` (the lower peer id) or not.
fn init_joiner_initiating(dir: &Path, source: &InProcess, initiates: bool) {
    loop {
        init_dir(dir, "Peer Co-op");
        let key = coopnet_node::identity::load(dir).expect("load identity");
        let peer = coopnet_node::identity::peer_id_of(&key.public()).expect("peer id");
        let theirs = coopnet_node::identity::peer_id_of(&source.node.key()).expect("peer id");
        if (peer < theirs) == initiates {
            return;
        }
        std::fs::remove_dir_all(dir).expect("remove the directory");
    }
}

async fn start_joiner(source: &InProcess, dir: &Path, proxy: &CountingProxy) -> InProcess {
    let bootstrap = format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", proxy.port, source.peer_id);
    start_in_process(dir, vec![bootstrap], None, None).await
}

async fn cold_run(source: &InProcess, root: &Path, r: usize, n: usize, timeout: Duration) -> Cold {
    let dir = root.join(format!("cold-{r}"));
    init_dir(&dir, "Cold Joiner Co-op");
    let proxy = CountingProxy::start(source.port).await;
    let before = stats(source).await;
    let t0 = Instant::now();
    let joiner = start_joiner(source, &dir, &proxy).await;
    let mut timeline = Vec::new();
    loop {
        let held = stats(&joiner).await.index_len;
        if held >= n || t0.elapsed() > timeout {
            break;
        }
        if t0.elapsed() >= Duration::from_secs(timeline.len() as u64 + 1) {
            timeline.push(held);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let secs = t0.elapsed().as_secs_f64();
    let (wire_up, wire_down) = proxy.bytes();
    let result = Cold {
        secs,
        timeline,
        held: joiner.node.store().counts().await.expect("counts").records,
        wire_down,
        wire_up,
        connections: proxy
            .relayed
            .connections
            .load(std::sync::atomic::Ordering::Relaxed),
        joiner: stats(&joiner).await,
        source: delta(&stats(source).await, &before),
    };
    joiner.node.shutdown().await;
    drop(proxy);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn report_cold(summary: &mut Summary, runs: &[Cold], n: usize, raw_total: u64) {
    let secs: Vec<f64> = runs.iter().map(|c| c.secs).collect();
    let wire: Vec<f64> = runs
        .iter()
        .map(|c| c.wire_down as f64 / raw_total as f64)
        .collect();
    let frames: Vec<f64> = runs
        .iter()
        .map(|c| {
            // What the joiner received on the sync protocol: replies to its
            // own session and record pages, plus the source's session
            // requests it answered.
            (c.joiner.reconcile_bytes_received
                + c.joiner.fetch_bytes_received
                + c.joiner.push_bytes_received
                + c.source.reconcile_bytes_sent) as f64
                / raw_total as f64
        })
        .collect();
    let complete = runs.iter().all(|c| c.held == n as u64);
    let (t, ratio) = (median(&secs), median(&wire));
    summary.line("");
    summary.line(format!(
        "COLD SYNC of {n} records into an empty joiner ({} runs, fresh joiner each)",
        runs.len()
    ));
    summary.line(format!(
        "  time to hold all: median {t:.2} s  runs {}  target <= 20 s: {}{}",
        list(&secs, 2),
        verdict(t <= 20.0),
        if complete {
            String::new()
        } else {
            format!(
                "  (INCOMPLETE: held {:?})",
                runs.iter().map(|c| c.held).collect::<Vec<_>>()
            )
        }
    ));
    summary.line(format!(
        "  wire bytes received / raw signed bytes: median {ratio:.3}  runs {}  target <= 1.2: {}",
        list(&wire, 3),
        verdict(ratio <= 1.2)
    ));
    summary.line(format!(
        "  sync-protocol frames received / raw: median {:.3}  runs {} (the rest of the \
         wire figure is Noise/Yamux framing, stream negotiation and the other protocols)",
        median(&frames),
        list(&frames, 3)
    ));
    for (i, c) in runs.iter().enumerate() {
        summary.line(format!(
            "  run {i}: {:.2} s, {} connection(s); wire down {} B, up {} B; joiner session: \
             {} rounds, reconcile sent {} B / received {} B, fetch requests {} B, record pages \
             {} B ({} records), {} sessions, {} refusals; source session: {} rounds, sent {} B, \
             received {} B",
            c.secs,
            c.connections,
            c.wire_down,
            c.wire_up,
            c.joiner.reconcile_rounds,
            c.joiner.reconcile_bytes_sent,
            c.joiner.reconcile_bytes_received,
            c.joiner.fetch_bytes_sent,
            c.joiner.fetch_bytes_received,
            c.joiner.records_fetched,
            c.joiner.syncs_completed,
            c.joiner.sync_refusals,
            c.source.reconcile_rounds,
            c.source.reconcile_bytes_sent,
            c.source.reconcile_bytes_received,
        ));
        let thousands: Vec<String> = c
            .timeline
            .iter()
            .map(|h| format!("{:.1}", *h as f64 / 1000.0))
            .collect();
        summary.line(format!(
            "    held (thousands) at 1 s, 2 s, ...: [{}]",
            thousands.join(" ")
        ));
    }
}

#[derive(Debug)]
struct Incremental {
    secs: f64,
    missing_bytes: u64,
    joiner: NetStats,
    source: NetStats,
    wire_down: u64,
    wire_up: u64,
    complete: bool,
}

impl Incremental {
    /// Reconcile messages of both sessions, both ways.
    fn reconcile(&self) -> u64 {
        self.joiner.reconcile_bytes_sent
            + self.joiner.reconcile_bytes_received
            + self.source.reconcile_bytes_sent
            + self.source.reconcile_bytes_received
    }

    /// Record pages the joiner received: fetched by its own session, or
    /// pushed by the source's.
    fn pages_received(&self) -> u64 {
        self.joiner.fetch_bytes_received + self.joiner.push_bytes_received
    }
}

async fn incremental_run(
    source: &InProcess,
    root: &Path,
    template: &Path,
    missing: &[VerifiedRecord],
    d: usize,
    r: usize,
    n: usize,
) -> Incremental {
    let dir = root.join(format!("inc-{d}-{r}-{}", missing.len()));
    // Even runs: the joiner initiates (and fetches what it lacks); odd runs:
    // the source does (and pushes it).
    init_joiner_initiating(&dir, source, r.is_multiple_of(2));
    std::fs::copy(template, dir.join(STORE_FILE)).expect("copy the template store");
    // The template lacks every record of `missing`; give back all but d.
    fill_store(&dir.join(STORE_FILE), &missing[d..]).await;
    let missing_bytes: u64 = missing[..d]
        .iter()
        .map(|v| v.record().bytes().len() as u64)
        .sum();

    let proxy = CountingProxy::start(source.port).await;
    let before = stats(source).await;
    let t0 = Instant::now();
    let joiner = start_joiner(source, &dir, &proxy).await;
    let timeout = Duration::from_secs(60);
    let complete = loop {
        let j = stats(&joiner).await;
        let s = delta(&stats(source).await, &before);
        // One side reconciles at connect: the one with the lower peer id
        // (the source's is fixed, the joiner's new each run). Whichever
        // started a session (it has sent a message) must finish it, and
        // the joiner must hold everything (fetched or pushed to it).
        let source_done = s.reconcile_bytes_sent == 0 || s.syncs_completed >= 1;
        let joiner_done = j.reconcile_bytes_sent == 0 || j.syncs_completed >= 1;
        let one_done = j.syncs_completed + s.syncs_completed >= 1;
        if j.index_len >= n && one_done && joiner_done && source_done {
            break true;
        }
        if t0.elapsed() > timeout {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let secs = t0.elapsed().as_secs_f64();
    let (wire_up, wire_down) = proxy.bytes();
    let result = Incremental {
        secs,
        missing_bytes,
        joiner: stats(&joiner).await,
        source: delta(&stats(source).await, &before),
        wire_down,
        wire_up,
        complete,
    };
    joiner.node.shutdown().await;
    drop(proxy);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn verdict(ok: bool) -> &'static str {
    if ok { "MET" } else { "MISSED" }
}

fn report_incremental(
    summary: &mut Summary,
    d: usize,
    name: &str,
    runs: &[Incremental],
    mode: Mode,
) {
    let complete = runs.iter().all(|r| r.complete);
    let incomplete = if complete {
        ""
    } else {
        "  (SOME RUNS DID NOT COMPLETE within 60 s)"
    };
    summary.line("");
    if d == 0 {
        summary.line(format!(
            "INCREMENTAL d = 0 (identical sets; {} runs; the sessions started at connect; 0 rounds = none started){incomplete}",
            runs.len()
        ));
        let mut ok = complete;
        for (i, r) in runs.iter().enumerate() {
            let j = r.joiner.reconcile_bytes_sent + r.joiner.reconcile_bytes_received;
            let s = r.source.reconcile_bytes_sent + r.source.reconcile_bytes_received;
            // Exactly one session for the pair, of one round trip.
            let sessions = r.joiner.syncs_completed + r.source.syncs_completed;
            let rounds = r.joiner.reconcile_rounds + r.source.reconcile_rounds;
            let sessions_ok = sessions == 1 && rounds == 1 && j + s <= 1024;
            ok &= sessions_ok;
            summary.line(format!(
                "  run {i}: joiner's session {} round(s), {j} B (sent {} + received {}); \
                 source's session {} round(s), {s} B; wire total {} B (the whole connection: \
                 handshake, identify, kad, gossipsub, ping); {:.3} s",
                r.joiner.reconcile_rounds,
                r.joiner.reconcile_bytes_sent,
                r.joiner.reconcile_bytes_received,
                r.source.reconcile_rounds,
                r.wire_down + r.wire_up,
                r.secs,
            ));
        }
        let bytes: Vec<f64> = runs.iter().map(|r| r.reconcile() as f64).collect();
        summary.line(format!(
            "  median reconcile bytes per session {:.0} B; target one round trip and <= 1 KiB \
             per session: {}",
            median(&bytes),
            verdict(ok)
        ));
        return;
    }
    // Everything the sync protocol carried for this difference: reconcile
    // messages both ways, fetch requests, and the record pages received.
    let ratios: Vec<f64> = runs
        .iter()
        .map(|r| {
            (r.reconcile() + r.pages_received() + r.joiner.fetch_bytes_sent) as f64
                / r.missing_bytes as f64
        })
        .collect();
    let without_requests: Vec<f64> = runs
        .iter()
        .map(|r| (r.reconcile() + r.pages_received()) as f64 / r.missing_bytes as f64)
        .collect();
    let wire: Vec<f64> = runs
        .iter()
        .map(|r| (r.wire_down + r.wire_up) as f64 / r.missing_bytes as f64)
        .collect();
    let secs: Vec<f64> = runs.iter().map(|r| r.secs).collect();
    let ratio = median(&ratios);
    let missing_bytes = runs.first().map_or(0, |r| r.missing_bytes);
    summary.line(format!(
        "INCREMENTAL d = {d}, {name} (joiner lacks {d} of the records, {missing_bytes} B; \
         {} runs){incomplete}",
        runs.len()
    ));
    summary.line(format!(
        "  (reconcile both ways + fetch requests + record pages) / missing bytes: median \
         {ratio:.3}  runs {}  target <= 1.1: {}",
        list(&ratios, 3),
        verdict(ratio <= 1.1 && complete)
    ));
    summary.line(format!(
        "  ... without fetch requests: median {:.3}; whole connection on the wire (incl. \
         its set-up, see d = 0): median {:.3}; time to hold all: median {:.3} s",
        median(&without_requests),
        median(&wire),
        median(&secs)
    ));
    for (i, r) in runs.iter().enumerate() {
        summary.line(format!(
            "  run {i}: {:.3} s; joiner session {} rounds (sent {} B, received {} B); source \
             session {} rounds (sent {} B, received {} B); fetch requests {} B, fetched pages \
             {} B ({} records), pushed pages {} B ({} records); wire down {} B, up {} B; \
             sketch fallbacks {}",
            r.secs,
            r.joiner.reconcile_rounds,
            r.joiner.reconcile_bytes_sent,
            r.joiner.reconcile_bytes_received,
            r.source.reconcile_rounds,
            r.source.reconcile_bytes_sent,
            r.source.reconcile_bytes_received,
            r.joiner.fetch_bytes_sent,
            r.joiner.fetch_bytes_received,
            r.joiner.records_fetched,
            r.joiner.push_bytes_received,
            r.joiner.records_received_by_push,
            r.wire_down,
            r.wire_up,
            r.joiner.sketch_fallbacks + r.source.sketch_fallbacks,
        ));
    }
    if mode == Mode::Test {
        assert!(complete, "incremental sync of d = {d} did not complete");
    }
}
