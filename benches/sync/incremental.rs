//! Incremental sync: a joiner that lacks d of the source's records.

use std::path::Path;
use std::time::{Duration, Instant};

use coopnet_node::config::STORE_FILE;
use coopnet_node::net::NetStats;
use coopnet_protocol::VerifiedRecord;

use super::common::{CountingProxy, InProcess, Mode, Summary, fill_store, init_dir, list, median};
use super::{delta, start_joiner, stats, verdict};

#[derive(Debug)]
pub struct Incremental {
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

pub async fn incremental_run(
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

pub fn report_incremental(
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
