//! A member flooding the federation (issue 15).
//!
//! A federation of five `coopnet run` processes on 127.0.0.1 (a founder
//! and four members it admits, all dialling the founder; production
//! timings), and in this process a hostile peer (`coopnet_tests::hostile`)
//! holding an admitted member's key, connected to all five. Each run:
//!
//! 1. **baseline**: member 1 publishes 100 contracts at 10/s through its
//!    control socket; a record's latency is the max over the other nodes
//!    of `received_at − issued_at`, and delivery is counted;
//! 2. **flood**: the hostile member gossips valid, signed contracts at
//!    10,000/s for 10 s (batches of 100 every 10 ms, all signed
//!    beforehand) while member 1 publishes 100 more the same way.
//!
//! The flooder is a member, so its first records are taken (an author's
//! burst, then its rate), the excess is ignored with flood points, and at
//! 50 points each node disconnects and blocks it: the rate it achieves is
//! what the nodes let it send before that (SPEC §8.6).
//!
//! Reported per run and as medians over 3 runs (a new flooder key each,
//! since the last one's score stays low for a while): the flood rate
//! achieved; records per second each node took from the flood (its
//! record count over the flood); each node's peak RSS (`VmHWM`); the
//! honest records' delivery and p99 with and without the flood, and
//! their ratio (target ≤ 3); and a node's refusal counters.
//!
//! Run: `cargo bench --bench flood`. Under `cargo test --benches` it
//! floods 200 records into three nodes, once, and writes no summary.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{
    Mode, Procs, Summary, cleanup_on_signal, list, median, parallel_map, percentile,
    proc_status_kb, runtime, temp_root, wait_control,
};
use coopnet_node::control::{Request, call};
use coopnet_node::identity;
use coopnet_protocol::kinds::Role;
use coopnet_protocol::{Body, Draft, PublicKey, SecretKey, samples};
use coopnet_tests::federation::{found, prepare_member};
use coopnet_tests::hostile::Hostile;

struct Sizes {
    nodes: usize,
    honest: usize,
    honest_per_s: u64,
    flood_per_s: usize,
    flood_secs: u64,
    runs: usize,
}

fn main() {
    let mode = Mode::detect();
    let sizes = mode.pick(
        Sizes {
            nodes: 5,
            honest: 100,
            honest_per_s: 10,
            flood_per_s: 10_000,
            flood_secs: 10,
            runs: 3,
        },
        Sizes {
            nodes: 3,
            honest: 5,
            honest_per_s: 10,
            flood_per_s: 200,
            flood_secs: 1,
            runs: 1,
        },
    );
    let rt = runtime();
    cleanup_on_signal(&rt);
    let root = temp_root();
    let flooders: Vec<SecretKey> = (0..sizes.runs)
        .map(|i| SecretKey::from_seed(&[200 + i as u8; 32]))
        .collect();
    let mut procs = Procs::default();
    let (dirs, pids) = rt.block_on(federation(&mut procs, root.path(), &sizes, &flooders));
    let topic = rt.block_on(topic_of(&dirs[0]));
    let mut runs = Vec::new();
    for (i, flooder) in flooders.iter().enumerate() {
        let run = rt.block_on(one_run(&sizes, &dirs, &pids, &topic, flooder, i));
        eprintln!(
            "run {i}: flood at {:.0}/s; baseline p99 {:.0} ms, during the flood p99 {:.0} ms",
            run.flood_rate,
            run.baseline.p99(),
            run.flooded.p99()
        );
        runs.push(run);
    }
    report(mode, &sizes, &runs);
}

/// A founder and `sizes.nodes - 1` members as processes, with the
/// flooders' keys admitted too; returns the data directories and pids.
async fn federation(
    procs: &mut Procs,
    root: &Path,
    sizes: &Sizes,
    flooders: &[SecretKey],
) -> (Vec<PathBuf>, Vec<u32>) {
    let founder_dir = root.join("founder");
    std::fs::create_dir_all(&founder_dir).expect("dir");
    let founder_key = identity::create(&founder_dir).expect("identity").public();
    let (_, file) = found(root, founder_key, None);
    let mut config = coopnet_node::config::Config::new("Founder Co-op");
    config.federation = Some(file.clone());
    config.save(&founder_dir).expect("config");
    let founder = procs.spawn(&founder_dir, &[]);
    wait_control(&founder_dir).await;
    let mut dirs = vec![founder_dir.clone()];
    let mut pids = vec![founder.pid];
    let mut keys: Vec<(PublicKey, String)> = flooders
        .iter()
        .enumerate()
        .map(|(i, k)| (k.public(), format!("Flooder {i}")))
        .collect();
    for i in 1..sizes.nodes {
        let dir = root.join(format!("member-{i}"));
        keys.push((
            prepare_member(&dir, &format!("Member {i}"), &file),
            format!("Member {i}"),
        ));
        dirs.push(dir);
    }
    for (key, name) in &keys {
        let admit = Request::Admit {
            member: *key,
            name: name.clone(),
            role: Role::Member,
            expires_at: None,
        };
        call(&founder_dir, &admit).await.expect("admit");
    }
    for dir in &dirs[1..] {
        let proc = procs.spawn(dir, &["--bootstrap".to_owned(), founder.addr.clone()]);
        pids.push(proc.pid);
        wait_control(dir).await;
    }
    let memberships = keys.len();
    for dir in &dirs {
        wait_until("every membership on every node", || async {
            count(dir, Some("membership")).await >= memberships
        })
        .await;
    }
    (dirs, pids)
}

async fn topic_of(dir: &Path) -> String {
    let status = call(dir, &Request::Status).await.expect("status");
    let id = status["federation"]["id"]
        .as_str()
        .expect("a federation id");
    format!("coopnet/{id}/records/1")
}

/// Records a node holds, of one kind or all (from its status).
async fn count(dir: &Path, kind: Option<&str>) -> usize {
    match kind {
        None => call(dir, &Request::Status)
            .await
            .map_or(0, |s| s["records"].as_u64().unwrap_or(0) as usize),
        Some(kind) => {
            let request = Request::List {
                kind: Some(kind.to_owned()),
                author: None,
                limit: Some(100_000),
                offset: None,
            };
            call(dir, &request)
                .await
                .map_or(0, |r| r["records"].as_array().map_or(0, Vec::len))
        }
    }
}

async fn wait_until<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(120);
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The honest records' figures of one phase.
struct Honest {
    latencies_ms: Vec<f64>,
    delivered: usize,
    expected: usize,
    /// Per node, its longest wait for a record (0 for the publisher).
    slowest_per_node: Vec<f64>,
}

impl Honest {
    fn complete(&self) -> bool {
        self.delivered == self.expected
    }

    /// p99, or infinity when a delivery is missing.
    fn p99(&self) -> f64 {
        match self.complete() {
            true => percentile(&self.latencies_ms, 99.0),
            false => f64::INFINITY,
        }
    }
}

struct Run {
    baseline: Honest,
    flooded: Honest,
    flood_rate: f64,
    taken_per_s: Vec<f64>,
    peak_rss_mib: Vec<f64>,
    /// Each node's refusal counters (cumulative over the runs).
    counters: Vec<String>,
    /// The lowest gossipsub score any node gave an honest peer while
    /// member 1 published during the flood.
    lowest_score: f64,
}

/// Polls every node's peers every 200 ms until `watching` turns false;
/// the lowest gossip score seen for an honest peer.
async fn lowest_honest_score(
    dirs: &[PathBuf],
    honest: &[String],
    mut watching: tokio::sync::watch::Receiver<bool>,
) -> f64 {
    let mut lowest = f64::INFINITY;
    while *watching.borrow() {
        for dir in dirs {
            let Ok(reply) = call(dir, &Request::Peers).await else {
                continue;
            };
            for peer in reply["peers"].as_array().into_iter().flatten() {
                let id = peer["peer_id"].as_str().unwrap_or_default();
                if let (true, Some(score)) = (
                    honest.iter().any(|h| h == id),
                    peer["gossip_score"].as_f64(),
                ) {
                    lowest = lowest.min(score);
                }
            }
        }
        let _ = tokio::time::timeout(Duration::from_millis(200), watching.changed()).await;
    }
    lowest
}

async fn one_run(
    sizes: &Sizes,
    dirs: &[PathBuf],
    pids: &[u32],
    topic: &str,
    flooder: &SecretKey,
    run: usize,
) -> Run {
    // The last run's flood settles first: every node holds what the others
    // took of it (sync spreads it), so the baseline is a quiet network.
    settle(dirs).await;
    let baseline = publish_honest(sizes, dirs, &format!("base-{run}")).await;
    let hostile = Hostile::start(flooder, topic);
    for dir in dirs {
        hostile.dial(&addr_of(dir).await).await;
    }
    let peers: Vec<_> = dirs.iter().map(|d| peer_of(d)).collect();
    wait_until("the flooder to see every node subscribed", || async {
        for peer in &peers {
            if !hostile.sees_subscribed(*peer).await {
                return false;
            }
        }
        true
    })
    .await;
    let total = sizes.flood_per_s * sizes.flood_secs as usize;
    let now = coopnet_node::clock::now();
    let indices: Vec<usize> = (0..total).collect();
    let flood = parallel_map(&indices, |&i| {
        let body = Body::Contract(samples::contract(i));
        Draft::new(body, format!("flood-{run}-{i}"), 1, now)
            .sign(flooder)
            .expect("sign")
            .into_bytes()
    });
    let before: Vec<usize> = futures_counts(dirs).await;
    let tag = format!("flood-{run}");
    let started = Instant::now();
    let honest_peers: Vec<String> = dirs.iter().map(|d| peer_of(d).to_string()).collect();
    let watching = tokio::sync::watch::channel(true);
    let (sent, flooded, lowest_score) = tokio::join!(
        flood_at(&hostile, flood, sizes.flood_per_s),
        async {
            let flooded = publish_honest(sizes, dirs, &tag).await;
            let _ = watching.0.send(false);
            flooded
        },
        lowest_honest_score(dirs, &honest_peers, watching.1.clone())
    );
    let flood_secs = started.elapsed().as_secs_f64();
    let after: Vec<usize> = futures_counts(dirs).await;
    let taken_per_s = before
        .iter()
        .zip(&after)
        .map(|(b, a)| a.saturating_sub(*b) as f64 / flood_secs)
        .collect();
    let peak_rss_mib = pids
        .iter()
        .map(|&p| proc_status_kb(p, "VmHWM") as f64 / 1024.0)
        .collect();
    let mut counters = Vec::new();
    for dir in dirs {
        let status = call(dir, &Request::Status).await.expect("status");
        let net = &status["net"];
        counters.push(format!(
            "over the peer's rate {}, over the author's rate {}, dropped for a full queue {}, \
             sends failed {}, own gossip deferred {}, fetched by sync {}, peers blocked {}",
            net["gossip_over_peer_rate"],
            net["gossip_over_author_rate"],
            net["gossip_dropped_overloaded"],
            net["gossip_sends_failed"],
            net["own_gossip_deferred"],
            net["records_fetched"],
            net["peers_blocked"],
        ));
    }
    hostile.stop();
    Run {
        baseline,
        flooded,
        lowest_score,
        flood_rate: sent as f64 / flood_secs,
        taken_per_s,
        peak_rss_mib,
        counters,
    }
}

/// Waits (up to 2 minutes) until every node holds as many records as the
/// others, the same count twice a second apart.
async fn settle(dirs: &[PathBuf]) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut last = Vec::new();
    while Instant::now() < deadline {
        let counts = futures_counts(dirs).await;
        let even = counts.iter().all(|c| *c == counts[0]);
        if even && counts == last {
            return;
        }
        last = counts;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    eprintln!("the nodes did not settle after the last flood: {last:?}");
}

async fn futures_counts(dirs: &[PathBuf]) -> Vec<usize> {
    let mut counts = Vec::new();
    for dir in dirs {
        counts.push(count(dir, None).await);
    }
    counts
}

async fn addr_of(dir: &Path) -> String {
    let status = call(dir, &Request::Status).await.expect("status");
    let listen = status["listen"][0].as_str().expect("a listen address");
    let peer = status["peer_id"].as_str().expect("a peer id");
    format!("{listen}/p2p/{peer}")
}

fn peer_of(dir: &Path) -> coopnet_tests::hostile::PeerId {
    let key = identity::load(dir).expect("key").public();
    identity::peer_id_of(&key).expect("peer id")
}

/// Gossips `records` in batches of 1% of `per_s` every 10 ms; how many
/// gossipsub took.
async fn flood_at(hostile: &Hostile, records: Vec<Vec<u8>>, per_s: usize) -> usize {
    let batch = (per_s / 100).max(1);
    let mut ticker = tokio::time::interval(Duration::from_millis(10));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut sent = 0;
    for chunk in records.chunks(batch) {
        ticker.tick().await;
        sent += hostile.gossip(chunk.to_vec()).await;
    }
    sent
}

/// Member 1 publishes `sizes.honest` contracts at `sizes.honest_per_s`;
/// when every node has them (or 30 s after the last), each record's
/// latency is the max over the other nodes of received − issued.
async fn publish_honest(sizes: &Sizes, dirs: &[PathBuf], tag: &str) -> Honest {
    let mut ticker = tokio::time::interval(Duration::from_millis(1_000 / sizes.honest_per_s));
    let mut keys = Vec::new();
    for k in 0..sizes.honest {
        ticker.tick().await;
        let key = format!("honest-{tag}-{k}");
        let request = Request::Publish {
            kind: "contract".into(),
            key: key.clone(),
            body: serde_json::to_value(samples::contract(k)).expect("JSON"),
            expires_at: None,
        };
        call(&dirs[1], &request).await.expect("publish");
        keys.push(key);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let views = loop {
        let mut views = Vec::new();
        for dir in dirs {
            views.push(held(dir, &keys).await);
        }
        let complete = views.iter().all(|v| v.len() == keys.len());
        if complete || Instant::now() > deadline {
            break views;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut honest = Honest {
        latencies_ms: Vec::new(),
        delivered: 0,
        expected: 0,
        slowest_per_node: vec![0.0; dirs.len()],
    };
    for key in &keys {
        let issued = views[1][key].0;
        let mut worst = 0.0f64;
        for (n, view) in views.iter().enumerate().filter(|(n, _)| *n != 1) {
            honest.expected += 1;
            let took = match view.get(key) {
                Some((_, received)) => {
                    honest.delivered += 1;
                    received.saturating_sub(issued) as f64
                }
                None => f64::INFINITY,
            };
            worst = worst.max(took);
            honest.slowest_per_node[n] = honest.slowest_per_node[n].max(took);
        }
        honest.latencies_ms.push(worst);
    }
    honest
}

/// key → (issued_at, received_at) of the contracts among `keys` a node
/// holds, from member 1's author filter.
async fn held(dir: &Path, keys: &[String]) -> HashMap<String, (u64, u64)> {
    let request = Request::List {
        kind: Some("contract".into()),
        author: None,
        limit: Some(100_000),
        offset: None,
    };
    let reply = call(dir, &request).await.unwrap_or_default();
    let wanted: std::collections::HashSet<&str> = keys.iter().map(String::as_str).collect();
    let records = reply["records"].as_array().cloned().unwrap_or_default();
    records
        .iter()
        .filter(|r| r["key"].as_str().is_some_and(|k| wanted.contains(k)))
        .map(|r| {
            let key = r["key"].as_str().unwrap_or_default().to_owned();
            let at = |f: &str| r[f].as_u64().unwrap_or(0);
            (key, (at("issued_at"), at("received_at")))
        })
        .collect()
}

fn report(mode: Mode, sizes: &Sizes, runs: &[Run]) {
    let mut summary = Summary::new("flood", mode);
    summary.line(format!(
        "{} coopnet run processes (a founder and members), one hostile member gossiping at \
         {}/s for {} s; member 1 publishes {} contracts at {}/s before and during the flood; \
         {} runs",
        sizes.nodes,
        sizes.flood_per_s,
        sizes.flood_secs,
        sizes.honest,
        sizes.honest_per_s,
        runs.len()
    ));
    let mut ratios = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        let phase = |h: &Honest| match h.complete() {
            true => format!(
                "delivered {}/{}, p50 {:.0} ms, p99 {:.0} ms",
                h.delivered,
                h.expected,
                percentile(&h.latencies_ms, 50.0),
                percentile(&h.latencies_ms, 99.0)
            ),
            false => format!("INCOMPLETE, delivered {}/{}", h.delivered, h.expected),
        };
        let ratio = r.flooded.p99() / r.baseline.p99();
        ratios.push(ratio);
        summary.line(format!(
            "run {i}: flood sent at {:.0}/s; taken per node {} records/s; peak RSS per node {} MiB",
            r.flood_rate,
            list(&r.taken_per_s, 0),
            list(&r.peak_rss_mib, 0)
        ));
        summary.line(format!("  honest, no flood: {}", phase(&r.baseline)));
        summary.line(format!("  honest, during the flood: {}", phase(&r.flooded)));
        summary.line(format!(
            "  p99 ratio {ratio:.2} (target ≤ 3); during the flood, the slowest record per node {} ms; \
             lowest score of an honest peer {:.1}",
            list(&r.flooded.slowest_per_node, 0),
            r.lowest_score
        ));
        for (n, counters) in r.counters.iter().enumerate() {
            summary.line(format!("  node {n}: {counters}"));
        }
    }
    let taken: Vec<f64> = runs.iter().flat_map(|r| r.taken_per_s.clone()).collect();
    let peak: Vec<f64> = runs.iter().flat_map(|r| r.peak_rss_mib.clone()).collect();
    summary.line(format!(
        "MEDIAN: p99 ratio {:.2} {}; records taken from the flood per node {:.0}/s; peak RSS worst {:.0} MiB",
        median(&ratios),
        list(&ratios, 2),
        median(&taken),
        peak.iter().copied().fold(0.0, f64::max)
    ));
    summary.finish();
}
