//! Resource footprint of `coopnet run` (issue 3).
//!
//! 1. **Memory**: a data directory holding 100,000 records (2,000 co-ops ×
//!    50, imported by a node run in this process through `Node::import`,
//!    then shut down) is served by a `coopnet run` process with no peers;
//!    after 10 s idle its VmRSS is read from `/proc/PID/status` (target
//!    ≤ 80 MB). Three process starts, median reported; an empty node is
//!    measured the same way as a baseline, and the full one again with a
//!    peer holding the same records connected (so the sync snapshot exists).
//! 2. **Idle CPU**: a federation of 10 `coopnet run` processes with the
//!    config defaults (heartbeat 1 s, sync every 30 s; only the listen
//!    address is set, to a free loopback port), connected in a seeded
//!    random topology, each publishing its profile; after 10 s of settling,
//!    utime + stime of the 10 processes (`/proc/PID/stat`) over three
//!    consecutive 30 s windows, as % of one core (target < 5%).
//!
//! Run: `cargo bench --bench footprint`. Under `cargo test --benches` it
//! uses 200 records, 3 processes and 2 s windows, and writes no summary.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    Mode, Procs, Summary, cleanup_on_signal, clock_ticks_per_second, coopnet_init, corpus,
    cpu_ticks, init_dir, list, median, proc_status_kb, runtime, start_in_process, temp_root,
    topology, wait_control, wait_subscribed,
};
use coopnet_node::clock;
use coopnet_node::config::STORE_FILE;
use coopnet_node::control::{Request, call};

struct Sizes {
    authors: u32,
    per_author: usize,
    idle: Duration,
    runs: usize,
    federation: usize,
    settle: Duration,
    window: Duration,
}

fn main() {
    let mode = Mode::detect();
    let sizes = mode.pick(
        Sizes {
            authors: 2_000,
            per_author: 50,
            idle: Duration::from_secs(10),
            runs: 3,
            federation: 10,
            settle: Duration::from_secs(10),
            window: Duration::from_secs(30),
        },
        Sizes {
            authors: 4,
            per_author: 50,
            idle: Duration::from_secs(2),
            runs: 1,
            federation: 3,
            settle: Duration::from_secs(1),
            window: Duration::from_secs(2),
        },
    );
    let rt = runtime();
    cleanup_on_signal(&rt);
    let mut summary = Summary::new("footprint", mode);
    memory(&rt, &sizes, &mut summary);
    idle_cpu(&rt, &sizes, &mut summary);
    summary.finish();
}

/// VmRSS (and friends) of a `coopnet run` on `dir` after `idle`; with a
/// `peer` directory, a second `coopnet run` on it dials the first.
fn idle_rss(dir: &Path, peer: Option<&Path>, idle: Duration) -> [u64; 4] {
    let mut procs = Procs::default();
    let proc = procs.spawn(dir, &[]);
    if let Some(peer) = peer {
        procs.spawn(peer, &["--bootstrap".to_owned(), proc.addr.clone()]);
    }
    std::thread::sleep(idle);
    let read = |field| proc_status_kb(proc.pid, field);
    let figures = [
        read("VmRSS"),
        read("VmHWM"),
        read("RssAnon"),
        read("RssFile"),
    ];
    procs.kill_all();
    figures
}

fn memory(rt: &tokio::runtime::Runtime, sizes: &Sizes, summary: &mut Summary) {
    let root = temp_root();
    let full = root.path().join("full");
    let empty = root.path().join("empty");
    init_dir(&full, "Holder Co-op");
    init_dir(&empty, "Empty Co-op");

    let now = clock::now();
    let records = corpus(sizes.authors, sizes.per_author, now);
    let n = records.len();
    let started = Instant::now();
    rt.block_on(async {
        let node = start_in_process(&full, Vec::new(), None, None).await;
        // Two imports at a time, so verification uses both cores.
        let (even, odd): (Vec<_>, Vec<_>) = records
            .chunks(1_000)
            .enumerate()
            .partition(|(i, _)| i % 2 == 0);
        tokio::join!(import(&node.node, even), import(&node.node, odd));
        let held = node.node.store().counts().await.expect("counts").records;
        assert_eq!(held, n as u64);
        node.node.shutdown().await;
    });
    drop(records);
    let db_mb = std::fs::metadata(full.join(STORE_FILE))
        .map(|m| m.len() as f64 / 1e6)
        .unwrap_or(f64::NAN);
    eprintln!("imported {n} records in {:.1?}", started.elapsed());

    // A peer holding the same records: a copy of the store, its own key.
    let twin = root.path().join("twin");
    init_dir(&twin, "Twin Co-op");
    std::fs::copy(full.join(STORE_FILE), twin.join(STORE_FILE)).expect("copy the store");

    let mut rss = Vec::new();
    let mut detail = Vec::new();
    let mut base = Vec::new();
    let mut paired = Vec::new();
    for _ in 0..sizes.runs {
        let [vm_rss, hwm, anon, file] = idle_rss(&full, None, sizes.idle);
        eprintln!("holding {n}: VmRSS {vm_rss} kB, VmHWM {hwm} kB, anon {anon} kB, file {file} kB");
        rss.push(vm_rss as f64 / 1024.0);
        detail.push((hwm, anon, file));
        let [empty_rss, ..] = idle_rss(&empty, None, sizes.idle);
        base.push(empty_rss as f64 / 1024.0);
        let [with_peer, peak, ..] = idle_rss(&full, Some(&twin), sizes.idle);
        eprintln!("holding {n} with a peer: VmRSS {with_peer} kB, VmHWM {peak} kB");
        paired.push((with_peer as f64 / 1024.0, peak as f64 / 1024.0));
    }
    let m = median(&rss);
    summary.line(format!(
        "MEMORY: idle `coopnet run` holding {n} records (store file {db_mb:.0} MB), no peers, \
         VmRSS after {:?} idle, {} process start(s)",
        sizes.idle, sizes.runs
    ));
    summary.line(format!(
        "  VmRSS median {m:.1} MiB  runs {}  target <= 80 MB: {}",
        list(&rss, 1),
        if m * 1.048_576 <= 80.0 {
            "MET"
        } else {
            "MISSED"
        }
    ));
    for (i, (hwm, anon, file)) in detail.iter().enumerate() {
        summary.line(format!(
            "  run {i}: VmHWM {:.1} MiB, RssAnon {:.1} MiB, RssFile {:.1} MiB",
            *hwm as f64 / 1024.0,
            *anon as f64 / 1024.0,
            *file as f64 / 1024.0
        ));
    }
    summary.line(format!(
        "  baseline, an empty node: VmRSS median {:.1} MiB  runs {}",
        median(&base),
        list(&base, 1)
    ));
    let with_peer: Vec<f64> = paired.iter().map(|p| p.0).collect();
    let peaks: Vec<f64> = paired.iter().map(|p| p.1).collect();
    summary.line(format!(
        "  with one connected peer holding the same records (so both reconcile at connect and \
         the sync snapshot exists): VmRSS median {:.1} MiB  runs {}; VmHWM runs {}",
        median(&with_peer),
        list(&with_peer, 1),
        list(&peaks, 1)
    ));
}

/// Imports `batches` one after another through `Node::import`.
async fn import(node: &coopnet_node::Node, batches: Vec<(usize, &[Vec<u8>])>) {
    for (_, batch) in batches {
        let report = node.import(batch.to_vec()).await.expect("import");
        assert_eq!(report.refused, 0);
    }
}

fn idle_cpu(rt: &tokio::runtime::Runtime, sizes: &Sizes, summary: &mut Summary) {
    let root = temp_root();
    let links = topology(sizes.federation, 7);
    let mut procs = Procs::default();
    let mut addrs: Vec<String> = Vec::new();
    let mut pids = Vec::new();
    let mut dirs = Vec::new();
    for (i, dials) in links.iter().enumerate() {
        let dir = root.path().join(format!("node-{i}"));
        coopnet_init(&dir, &format!("Idle Co-op {i}"));
        let extra: Vec<String> = dials
            .iter()
            .flat_map(|&j| ["--bootstrap".to_owned(), addrs[j].clone()])
            .collect();
        let proc = procs.spawn(&dir, &extra);
        addrs.push(proc.addr);
        pids.push(proc.pid);
        dirs.push(dir);
    }
    rt.block_on(async {
        for dir in &dirs {
            wait_control(dir).await;
        }
        wait_subscribed(&dirs, Duration::from_secs(60)).await;
        for (i, dir) in dirs.iter().enumerate() {
            let request = Request::Publish {
                kind: "profile".into(),
                key: String::new(),
                body: serde_json::to_value(coopnet_protocol::samples::profile(i))
                    .expect("profile JSON"),
                expires_at: None,
            };
            call(dir, &request).await.expect("publish a profile");
        }
    });
    std::thread::sleep(sizes.settle);
    let hz = clock_ticks_per_second();
    let total = |pids: &[u32]| pids.iter().map(|&p| cpu_ticks(p)).sum::<u64>();
    let mut percents = Vec::new();
    for _ in 0..sizes.runs {
        let (t0, c0) = (Instant::now(), total(&pids));
        std::thread::sleep(sizes.window);
        let (secs, c1) = (t0.elapsed().as_secs_f64(), total(&pids));
        let percent = 100.0 * (c1 - c0) as f64 / hz as f64 / secs;
        eprintln!("idle federation: {percent:.2}% of one core over {secs:.1} s");
        percents.push(percent);
    }
    procs.kill_all();
    let m = median(&percents);
    summary.line(format!(
        "IDLE CPU: {} coopnet run processes, config defaults (heartbeat 1 s, sync every 30 s), \
         seeded random topology {links:?}, one profile each; after {:?} settling, utime+stime \
         of all of them over {} window(s) of {:?} ({hz} ticks/s)",
        sizes.federation, sizes.settle, sizes.runs, sizes.window
    ));
    summary.line(format!(
        "  total {m:.2}% of one core (median; {:.2}% per process)  windows {}  target < 5%: {}",
        m / sizes.federation as f64,
        list(&percents, 2),
        if m < 5.0 { "MET" } else { "MISSED" }
    ));
}
