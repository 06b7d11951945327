//! Helpers shared by the node benchmarks in `benches/` (each bench includes
//! this file with `mod common;` and uses what it needs).
//!
//! - [`Mode`]: a real run (`cargo bench`, which passes `--bench`) or the
//!   quick smoke run of `cargo test --benches` (tiny sizes, one run).
//! - [`Summary`]: the block each bench prints and writes to
//!   `$CARGO_TARGET_DIR/criterion/coopnet-<name>.txt` (default `target/`).
//! - [`corpus`]: a realistic mix of signed records from many co-ops, signed
//!   on every core.
//! - [`Procs`]: `coopnet` child processes, killed when dropped (so a
//!   panicking bench leaves nothing running); [`cleanup_on_signal`] kills
//!   them, and removes the [`temp_root`] directories, on Ctrl-C or SIGTERM.
//! - [`CountingProxy`]: a TCP relay that counts the bytes each way, to
//!   measure what really crosses the wire between two nodes.
//! - [`build_replica`], [`WebNode`]: the partner-search replica of the web
//!   benchmarks and a node serving its web app over it.
//! - [`wait_settled`]: waiting until a new federation is quiet.
//! - Node start-up, `/proc` readers, statistics.

// Each bench uses a different subset of these helpers.
#![allow(dead_code)]

mod http;
mod procs;
mod proxy;
mod replica;
mod settle;

// Each bench uses a subset of these too.
#[allow(unused_imports)]
pub use http::*;
#[allow(unused_imports)]
pub use procs::*;
#[allow(unused_imports)]
pub use proxy::*;
#[allow(unused_imports)]
pub use replica::*;
#[allow(unused_imports)]
pub use settle::*;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coopnet_node::config::Config;
use coopnet_node::{Node, Overrides, identity};
use coopnet_protocol::{Body, Draft, SecretKey, Timestamp, VerifiedRecord, samples, verify_bytes};

/// How the bench binary was invoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `cargo bench --bench X`: full sizes, several runs.
    Bench,
    /// `cargo test --benches` (no `--bench` argument): tiny sizes, one run.
    Test,
}

impl Mode {
    /// The mode of this process, from its arguments.
    pub fn detect() -> Mode {
        if std::env::args().any(|a| a == "--bench") {
            Mode::Bench
        } else {
            Mode::Test
        }
    }

    /// `bench` in a real run, else `test`.
    pub fn pick<T>(self, bench: T, test: T) -> T {
        match self {
            Mode::Bench => bench,
            Mode::Test => test,
        }
    }
}

/// A multi-threaded tokio runtime with two workers (the machine's cores).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// The summary block of one bench.
#[derive(Debug)]
pub struct Summary {
    name: &'static str,
    mode: Mode,
    lines: Vec<String>,
}

impl Summary {
    /// A summary for bench `name` (the file is `coopnet-<name>.txt`).
    pub fn new(name: &'static str, mode: Mode) -> Self {
        Self {
            name,
            mode,
            lines: Vec::new(),
        }
    }

    /// Adds a line (also printed at once, so progress is visible).
    pub fn line(&mut self, text: impl Into<String>) {
        let text = text.into();
        eprintln!("  {text}");
        self.lines.push(text);
    }

    /// Prints the block and, in a real run, writes it to its file.
    pub fn finish(self) {
        let mut block = String::new();
        block.push_str(&format!(
            "==== coopnet-{} ({}) ====\n",
            self.name,
            match self.mode {
                Mode::Bench => "release bench run",
                Mode::Test => "test mode: tiny sizes, one run; figures are not meaningful",
            }
        ));
        for line in &self.lines {
            block.push_str(line);
            block.push('\n');
        }
        println!("\n{block}");
        if self.mode == Mode::Bench {
            let dir = target_dir().join("criterion");
            std::fs::create_dir_all(&dir).expect("create the criterion directory");
            let path = dir.join(format!("coopnet-{}.txt", self.name));
            std::fs::write(&path, block).expect("write the summary file");
            println!("(written to {})", path.display());
        }
    }
}

/// `$CARGO_TARGET_DIR`, or `target/` of the workspace.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The `p`-th percentile (0–100) of `values` by the nearest-rank method.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Formats a list of numbers with `digits` decimals.
pub fn list(values: &[f64], digits: usize) -> String {
    let items: Vec<String> = values.iter().map(|v| format!("{v:.digits$}")).collect();
    format!("[{}]", items.join(", "))
}

/// A small deterministic generator (xorshift64*), for seeded choices.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (any value, zero included).
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// A seeded random connected topology: node `i > 0` dials one or two
/// distinct earlier nodes.
pub fn topology(n: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            if i == 0 {
                return Vec::new();
            }
            let mut links = vec![rng.below(i)];
            if i > 1 && rng.below(2) == 1 {
                let other = rng.below(i);
                if other != links[0] {
                    links.push(other);
                }
            }
            links
        })
        .collect()
}

/// The secret key of corpus co-op `author`.
pub fn author_secret(author: u32) -> SecretKey {
    let mut seed = [0xc0; 32];
    seed[..4].copy_from_slice(&author.to_be_bytes());
    SecretKey::from_seed(&seed)
}

/// Record `k` of co-op `author`'s records: its four one-per-co-op records
/// (profile, skills, capacity, node status) first, then contracts with a
/// bid notice every eighth record.
fn corpus_record(author: u32, k: usize, per_author: usize, now: Timestamp) -> Vec<u8> {
    let secret = author_secret(author);
    let n = author as usize;
    let (body, key) = match k {
        0 => (Body::Profile(samples::profile(n)), String::new()),
        1 => (Body::Skills(samples::skills(n, 3 + n % 6)), String::new()),
        2 => (
            Body::Capacity(samples::capacity(n, 1 + n % 4)),
            String::new(),
        ),
        3 => (
            Body::NodeStatus(samples::node_status(n as u64)),
            String::new(),
        ),
        k if k % 8 == 7 => {
            let me = secret.public();
            let partner = author_secret(author.wrapping_add(1)).public();
            (
                Body::BidNotice(samples::bid_notice(
                    me,
                    n * per_author + k,
                    me,
                    vec![partner],
                )),
                format!("bid-{k}"),
            )
        }
        k => (
            Body::Contract(samples::contract(n * per_author + k)),
            format!("c-{k}"),
        ),
    };
    // Issue times spread over the last 30 days, as a federation's would be.
    let mut rng = Rng::new(u64::from(author) << 20 | k as u64);
    let age = 60_000 + rng.next_u64() % (30 * 86_400_000);
    Draft::new(body, key, 1, Timestamp(now.0 - age))
        .sign(&secret)
        .expect("corpus records sign")
        .into_bytes()
}

/// `authors × per_author` signed records of co-ops `0..authors` (none of
/// them a running node's), in author order, signed on every core.
pub fn corpus(authors: u32, per_author: usize, now: Timestamp) -> Vec<Vec<u8>> {
    let jobs: Vec<(u32, usize)> = (0..authors)
        .flat_map(|a| (0..per_author).map(move |k| (a, k)))
        .collect();
    parallel_map(&jobs, |&(a, k)| corpus_record(a, k, per_author, now))
}

/// Verifies `records` on every core (they must all be valid).
pub fn verify_all(records: &[Vec<u8>], now: Timestamp) -> Vec<VerifiedRecord> {
    parallel_map(records, |bytes| {
        verify_bytes(bytes.clone(), now).expect("corpus records verify")
    })
}

/// Records per store call when filling a store, as the node's callers
/// send them.
pub const FILL_CHUNK: usize = 1_000;

/// Ingests `records` into the store file at `path` (created if need be)
/// and closes it.
pub async fn fill_store(path: &Path, records: &[VerifiedRecord]) {
    let store = coopnet_node::store::Store::open(path)
        .await
        .expect("open store");
    for chunk in records.chunks(FILL_CHUNK) {
        store.ingest(chunk.to_vec()).await.expect("ingest");
    }
    store.close().await.expect("close store");
}

/// `f` over `items` on `available_parallelism` scoped threads, in order.
pub fn parallel_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<U>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a worker thread panicked"))
            .collect()
    })
}

/// Creates a node's data directory (identity and config) under `dir`.
pub fn init_dir(dir: &Path, name: &str) {
    std::fs::create_dir_all(dir).expect("create data dir");
    identity::create(dir).expect("create identity");
    Config::new(name).save(dir).expect("save config");
}

/// A node running in this process.
#[derive(Debug)]
pub struct InProcess {
    /// The node.
    pub node: Arc<Node>,
    /// Its dialable address, `/ip4/127.0.0.1/tcp/N/p2p/ID`.
    pub addr: String,
    /// Its TCP port.
    pub port: u16,
    /// Its libp2p peer id.
    pub peer_id: String,
}

/// Starts the node in `dir` (already initialised) on a loopback port,
/// dialling `bootstrap`; `None` settings keep the config's defaults
/// (heartbeat 1 s, sync every 30 s).
pub async fn start_in_process(
    dir: &Path,
    bootstrap: Vec<String>,
    heartbeat: Option<Duration>,
    sync_interval: Option<Duration>,
) -> InProcess {
    let overrides = Overrides {
        listen: vec!["/ip4/127.0.0.1/tcp/0".to_owned()],
        bootstrap,
        heartbeat,
        sync_interval,
        ..Overrides::default()
    };
    let node = Arc::new(Node::start(dir, overrides).await.expect("node starts"));
    let listening = node
        .net()
        .wait_listening(Duration::from_secs(10))
        .await
        .expect("net");
    let listen = listening.first().expect("a listen address").to_string();
    let peer_id = identity::peer_id_of(&node.key())
        .expect("peer id")
        .to_string();
    InProcess {
        node,
        port: tcp_port(&listen),
        addr: format!("{listen}/p2p/{peer_id}"),
        peer_id,
    }
}

/// The TCP port of a multiaddress such as `/ip4/127.0.0.1/tcp/4001/p2p/…`.
pub fn tcp_port(addr: &str) -> u16 {
    let mut parts = addr.split('/');
    while let Some(part) = parts.next() {
        if part == "tcp" {
            return parts
                .next()
                .and_then(|p| p.parse().ok())
                .expect("a TCP port after /tcp/");
        }
    }
    panic!("{addr} has no /tcp/ part")
}
