//! API throughput (issue 5): requests per second of
//! `GET /api/v1/coops?skill=python` against a replica of 10,000 co-ops,
//! and the ratio to an axum hello-world measured the same way in the same
//! run (target ≥ 0.25).
//!
//! Set-up (not timed): the replica of the `search` bench
//! (`common::build_replica`), a node started in-process with its web server
//! on 127.0.0.1:0, an admin and an API token; and, in the same runtime, an
//! axum router answering `GET /` with `Hello, World!` on another port.
//!
//! The API is measured as it runs (the node's cache of search answers on:
//! the same search asked again while the records hold costs a lookup and
//! the answer's JSON), and with the cache off (every request runs its
//! query); the target is judged on both.
//!
//! Load: `wrk` (Debian's package) with one thread and 16 keep-alive
//! connections for 5 s per measurement, hello-world and the API in turn,
//! three rounds; every API request carries the bearer token and must be
//! answered 200 (wrk's non-2xx count must be absent). The server and wrk
//! share the machine's two cores, as they would on a small VPS.
//!
//! Run: `cargo bench --bench throughput` (needs `wrk`: `apt-get install
//! wrk`; without it the bench says so and exits). Under `cargo test
//! --benches` it does nothing.

mod common;

use std::net::SocketAddr;
use std::process::Command;

use common::{
    Mode, Summary, WebNode, build_replica, cleanup_on_signal, list, median, runtime, temp_root,
};
use coopnet_node::clock;

/// Co-ops in the replica.
const COOPS: u32 = 10_000;
/// Measurements of each server.
const ROUNDS: usize = 3;
/// The API request measured.
const API_PATH: &str = "/api/v1/coops?skill=python";

fn main() {
    let mode = Mode::detect();
    if mode == Mode::Test {
        eprintln!("throughput: skipped under cargo test (it needs wrk and a release build)");
        return;
    }
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("throughput: wrk is not installed (apt-get install wrk); nothing measured");
        return;
    }
    let rt = runtime();
    cleanup_on_signal(&rt);
    let root = temp_root();
    let dir = root.path().join("node");
    let stats = rt.block_on(build_replica(&dir, COOPS, clock::now()));
    eprintln!("{}", stats.describe());
    let node = rt.block_on(WebNode::start(&dir, true));
    let hello = rt.block_on(hello_world());
    let auth = format!("Authorization: Bearer {}", node.token);
    let api_url = format!("{}{API_PATH}", node.web.url());
    let hello_url = format!("http://{hello}/");

    let (mut hello_rates, mut api_rates, mut cold_rates) = (Vec::new(), Vec::new(), Vec::new());
    let searches = node.node.node.search_cache();
    for round in 0..ROUNDS {
        let h = wrk(&hello_url, None);
        searches.set_enabled(true);
        let a = wrk(&api_url, Some(&auth));
        searches.set_enabled(false);
        let c = wrk(&api_url, Some(&auth));
        eprintln!(
            "round {round}: hello-world {h:.0} req/s, API {a:.0} req/s, API uncached {c:.0} req/s"
        );
        hello_rates.push(h);
        api_rates.push(a);
        cold_rates.push(c);
    }
    rt.block_on(node.stop());

    let ratios_of = |rates: &[f64]| -> Vec<f64> {
        rates.iter().zip(&hello_rates).map(|(a, h)| a / h).collect()
    };
    let (ratios, cold_ratios) = (ratios_of(&api_rates), ratios_of(&cold_rates));
    let (ratio, cold_ratio) = (median(&ratios), median(&cold_ratios));
    let mut summary = Summary::new("throughput", mode);
    summary.line(stats.describe());
    summary.line(
        "wrk -t1 -c16 -d5s on 127.0.0.1; the servers run in this process (one tokio runtime) \
         and share the 2 cores with wrk",
    );
    summary.line(format!(
        "axum hello-world (GET /): median {:.0} req/s  rounds {}",
        median(&hello_rates),
        list(&hello_rates, 0)
    ));
    summary.line(format!(
        "API GET {API_PATH} as it runs (token auth; answers cached while the records hold): median {:.0} req/s  rounds {}",
        median(&api_rates),
        list(&api_rates, 0)
    ));
    summary.line(format!(
        "API with the search cache off (every request runs its partner-search query on a \
         reader thread): median {:.0} req/s  rounds {}",
        median(&cold_rates),
        list(&cold_rates, 0)
    ));
    let met = |r: f64| if r >= 0.25 { "MET" } else { "MISSED" };
    summary.line(format!(
        "API / hello-world, cached = {ratio:.3} (median of per-round ratios {})  target >= 0.25: {}",
        list(&ratios, 3),
        met(ratio)
    ));
    summary.line(format!(
        "API / hello-world, uncached = {cold_ratio:.3} (median of per-round ratios {})  target >= 0.25: {}",
        list(&cold_ratios, 3),
        met(cold_ratio)
    ));
    summary.finish();
}

/// Serves an axum hello-world on a loopback port in the current runtime.
async fn hello_world() -> SocketAddr {
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "Hello, World!" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind hello-world");
    let addr = listener.local_addr().expect("hello-world address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// Runs wrk against `url` and returns its requests per second; panics if
/// any answer was not 2xx or 3xx.
fn wrk(url: &str, header: Option<&str>) -> f64 {
    let mut command = Command::new("wrk");
    command.args(["-t1", "-c16", "-d5s"]);
    if let Some(header) = header {
        command.args(["-H", header]);
    }
    let output = command.arg(url).output().expect("run wrk");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "wrk failed: {text}");
    assert!(
        !text.contains("Non-2xx or 3xx responses"),
        "{url}: some answers were errors:\n{text}"
    );
    text.lines()
        .find_map(|line| line.strip_prefix("Requests/sec:"))
        .and_then(|rate| rate.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in wrk's output:\n{text}"))
}
