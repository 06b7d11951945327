//! Restart after a crash (issue 15): a node holding 100,000 records
//! (2,000 co-ops × 50, imported by a node run in this process, then shut
//! down) runs as a `coopnet run` process connected to a peer (a second
//! process holding a copy of the store under its own key); it is killed
//! with `kill -9`, started again, and timed from the start of the process
//! to:
//!
//! - **API**: its web app answering `GET /health` with 200;
//! - **rejoined**: its control socket listing the peer as connected.
//!
//! Two kinds of crash:
//!
//! - **idle**: the node is killed while it holds the 100,000 records and
//!   is in step with its peer;
//! - **mid-sync**: a node with an empty store syncs the 100,000 records
//!   from the peer and is killed once it holds 44,000 (its WAL busy with
//!   ingest), then restarted (and goes on syncing).
//!
//! Target: both ≤ 1 s. Five kill-and-restart runs each, median and worst
//! reported, and the start-up phases the node logs (`RUST_LOG=info`).
//!
//! Run: `cargo bench --bench restart`. Under `cargo test --benches` it
//! uses 200 records and one run, and writes no summary.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{
    Mode, Procs, Summary, cleanup_on_signal, coopnet_bin, corpus, init_dir, list, median, runtime,
    start_in_process, temp_root,
};
use coopnet_node::clock;
use coopnet_node::config::STORE_FILE;
use coopnet_node::control::{Request, call};

struct Sizes {
    authors: u32,
    per_author: usize,
    runs: usize,
}

fn main() {
    let mode = Mode::detect();
    let sizes = mode.pick(
        Sizes {
            authors: 2_000,
            per_author: 50,
            runs: 5,
        },
        Sizes {
            authors: 4,
            per_author: 50,
            runs: 1,
        },
    );
    let rt = runtime();
    cleanup_on_signal(&rt);
    let mut summary = Summary::new("restart", mode);
    let root = temp_root();
    let full = root.path().join("full");
    let twin = root.path().join("twin");
    let n = fill(&rt, &full, &sizes);
    init_dir(&twin, "Twin Co-op");
    std::fs::copy(full.join(STORE_FILE), twin.join(STORE_FILE)).expect("copy the store");

    let mut procs = Procs::default();
    let peer = procs.spawn(&twin, &[]);
    let twin_key = coopnet_node::identity::load(&twin)
        .expect("twin key")
        .public()
        .to_string();
    let crash = Crash {
        rt: &rt,
        peer: &peer.addr,
        peer_key: &twin_key,
    };
    let idle = crash.runs(sizes.runs, || {
        let mut node = start(&full, &peer.addr);
        wait_rejoined(
            &rt,
            &full,
            &twin_key,
            Instant::now(),
            Duration::from_secs(60),
        );
        node.kill();
        full.clone()
    });
    report(&mut summary, &format!("idle, holding {n} records"), &idle);
    let syncing = root.path().join("syncing");
    let mid_sync = crash.runs(sizes.runs, || {
        let _ = std::fs::remove_dir_all(&syncing);
        init_dir(&syncing, "Syncing Co-op");
        let mut node = start(&syncing, &peer.addr);
        let held = wait_holding(&rt, &syncing, n * 44 / 100);
        eprintln!("killed mid-sync holding {held} of {n}");
        node.kill();
        syncing.clone()
    });
    report(
        &mut summary,
        &format!("mid-sync, 44% of {n} records stored"),
        &mid_sync,
    );
    summary.finish();
}

/// What one kind of crash measured, in milliseconds.
struct Measured {
    api: Vec<f64>,
    rejoined: Vec<f64>,
    phases: String,
}

struct Crash<'a> {
    rt: &'a tokio::runtime::Runtime,
    peer: &'a str,
    peer_key: &'a str,
}

impl Crash<'_> {
    /// `runs` times: `crash()` leaves a killed node's directory, which is
    /// started again and timed.
    fn runs(&self, runs: usize, mut crash: impl FnMut() -> std::path::PathBuf) -> Measured {
        let mut measured = Measured {
            api: Vec::new(),
            rejoined: Vec::new(),
            phases: String::new(),
        };
        for run in 0..runs {
            let dir = crash();
            let started = Instant::now();
            let mut node = start(&dir, self.peer);
            let web = node.web_url();
            let to_api = wait_health(&web, started);
            let timeout = Duration::from_secs(60);
            let to_peer = wait_rejoined(self.rt, &dir, self.peer_key, started, timeout);
            measured.api.push(to_api.as_secs_f64() * 1e3);
            measured.rejoined.push(to_peer.as_secs_f64() * 1e3);
            eprintln!(
                "run {}: API after {to_api:.2?}, rejoined after {to_peer:.2?}",
                run + 1
            );
            node.kill();
            measured.phases = node.phases();
        }
        measured
    }
}

fn report(summary: &mut Summary, what: &str, m: &Measured) {
    let worst = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    summary.line(format!(
        "restart after kill -9, {what} ({} runs):",
        m.api.len()
    ));
    summary.line(format!(
        "  serving the API: median {:.0} ms, worst {:.0} ms [{}] (target ≤ 1,000 ms)",
        median(&m.api),
        worst(&m.api),
        list(&m.api, 0)
    ));
    summary.line(format!(
        "  rejoined its peer: median {:.0} ms, worst {:.0} ms [{}] (target ≤ 1,000 ms)",
        median(&m.rejoined),
        worst(&m.rejoined),
        list(&m.rejoined, 0)
    ));
    summary.line(format!("  start-up phases of the last run: {}", m.phases));
}

/// Polls the node in `dir` until it holds at least `n` records; how many.
fn wait_holding(rt: &tokio::runtime::Runtime, dir: &Path, n: usize) -> u64 {
    rt.block_on(async {
        let started = Instant::now();
        loop {
            if let Ok(reply) = call(dir, &Request::Status).await {
                let held = reply["records"].as_u64().unwrap_or(0);
                if held >= n as u64 {
                    return held;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "sync never reached {n}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
}

/// Imports `sizes` of records into a new node in `dir`; returns how many.
fn fill(rt: &tokio::runtime::Runtime, dir: &Path, sizes: &Sizes) -> usize {
    init_dir(dir, "Restarting Co-op");
    let records = corpus(sizes.authors, sizes.per_author, clock::now());
    let n = records.len();
    rt.block_on(async {
        let node = start_in_process(dir, Vec::new(), None, None).await;
        for chunk in records.chunks(1_000) {
            node.node.import(chunk.to_vec()).await.expect("import");
        }
        node.node.shutdown().await;
    });
    n
}

/// A `coopnet run` whose stdout (its addresses) and stderr (its log) are
/// read as they come, with when each line arrived.
struct Run {
    child: Child,
    lines: std::sync::mpsc::Receiver<(Instant, String)>,
    seen: Vec<(Instant, String)>,
    started: Instant,
}

fn start(dir: &Path, peer: &str) -> Run {
    let started = Instant::now();
    let mut child = Command::new(coopnet_bin())
        .args(["run", "--data"])
        .arg(dir)
        .args(["--listen", "/ip4/127.0.0.1/tcp/0", "--http", "127.0.0.1:0"])
        .args(["--bootstrap", peer])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start coopnet run");
    // Start-up lines come first; later ones beyond the bound are dropped,
    // and the pipes are always drained so the node never blocks on them.
    let (tx, lines) = std::sync::mpsc::sync_channel(4_096);
    for stream in [
        Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().expect("stderr")),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.try_send((Instant::now(), line));
            }
        });
    }
    Run {
        child,
        lines,
        seen: Vec::new(),
        started,
    }
}

impl Run {
    /// Kills it (SIGKILL) and reaps it.
    fn kill(&mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reap");
    }

    /// Waits for the "web app on URL" line; returns the URL.
    fn web_url(&mut self) -> String {
        loop {
            let (at, line) = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .expect("coopnet run printed its web address");
            self.seen.push((at, line.clone()));
            if let Some(url) = line.strip_prefix("web app on ") {
                return url.trim().to_owned();
            }
        }
    }

    /// The log lines read so far that mark start-up phases, with when
    /// they came after the process started.
    fn phases(&mut self) -> String {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        let marks: Vec<String> = self
            .seen
            .iter()
            .filter(|(_, l)| {
                l.contains("start-up:") || l.starts_with("listening") || l.starts_with("web app")
            })
            .map(|(at, l)| {
                let text = l.split("start-up:").last().unwrap_or(l).trim();
                format!("{:.0} ms {text}", (*at - self.started).as_secs_f64() * 1e3)
            })
            .collect();
        marks.join("; ")
    }
}

/// Polls `GET /health` at `web` until it answers 200; the time since
/// `started`.
fn wait_health(web: &str, started: Instant) -> Duration {
    let addr = web
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(&addr) {
            let request = format!("GET /health HTTP/1.0\r\nHost: {addr}\r\n\r\n");
            let mut answer = String::new();
            if stream.write_all(request.as_bytes()).is_ok()
                && stream.read_to_string(&mut answer).is_ok()
                && answer.split_whitespace().nth(1) == Some("200")
            {
                return started.elapsed();
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no /health after 60 s"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Polls the control socket of the node in `dir` until it lists the peer
/// with `key` as connected; the time since `started`.
fn wait_rejoined(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    key: &str,
    started: Instant,
    timeout: Duration,
) -> Duration {
    rt.block_on(async {
        loop {
            if let Ok(reply) = call(dir, &Request::Peers).await {
                let peers = reply["peers"].as_array().cloned().unwrap_or_default();
                if peers.iter().any(|p| p["key"] == key) {
                    return started.elapsed();
                }
            }
            assert!(
                started.elapsed() < timeout,
                "not rejoined after {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
}
