//! The cold join: an empty joiner syncing all of the source's records.

use std::path::Path;
use std::time::{Duration, Instant};

use coopnet_node::net::NetStats;

use super::common::{CountingProxy, InProcess, Summary, init_dir, list, median};
use super::{delta, start_joiner, stats, verdict};

#[derive(Debug)]
pub struct Cold {
    secs: f64,
    /// Records held at 1 s, 2 s, … after the start.
    timeline: Vec<usize>,
    pub held: u64,
    wire_down: u64,
    wire_up: u64,
    connections: u64,
    joiner: NetStats,
    source: NetStats,
}

pub async fn cold_run(
    source: &InProcess,
    root: &Path,
    r: usize,
    n: usize,
    timeout: Duration,
) -> Cold {
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

pub fn report_cold(summary: &mut Summary, runs: &[Cold], n: usize, raw_total: u64) {
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
