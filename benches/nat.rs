//! Propagation to a node behind NAT (issue 20), on the namespace internet
//! of `coopnet_tests::natlab`, every node a `coopnet run` process: a node
//! behind one NAT publishes 200 records at 20 a second; the latency of
//! each to the node behind the other NAT and to a node on a public
//! address, in the same run, from each node's `received_at` (one machine,
//! one clock) minus `issued_at`. Twice: behind symmetric NATs (the two
//! stay connected through the relay) and behind port-preserving ones
//! (their relayed connection has become direct by hole punching).
//! Target: p99 behind NAT / p99 public ≤ 2.
//!
//! Needs root, iproute2 and nftables; says SKIPPED otherwise.
//! Run: `cargo bench --bench nat`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use common::{Mode, Summary, percentile, runtime};
use coopnet_node::control::{Request, call};
use coopnet_node::identity;
use coopnet_protocol::samples;
use coopnet_tests::natlab::{Host, NatLab, PUBLIC};
use coopnet_tests::{DEADLINE, wait_for};
use serde_json::Value;

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_coopnet"))
}

fn init(dir: &Path, name: &str) -> String {
    let out = std::process::Command::new(bin())
        .args([
            "init",
            "--data",
            dir.to_str().expect("a UTF-8 path"),
            "--name",
            name,
        ])
        .output()
        .expect("coopnet init");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    identity::peer_id_of(&identity::load(dir).expect("the new key").public())
        .expect("a peer id")
        .to_string()
}

fn start(
    lab: &NatLab,
    host: Host,
    dir: &Path,
    bootstrap: Option<&str>,
    external: Option<&str>,
) -> Proc {
    let mut command = lab.command(host, &bin());
    command
        .args(["run", "--data"])
        .arg(dir)
        .args([
            "--listen",
            "/ip4/0.0.0.0/tcp/4001",
            "--listen",
            "/ip4/0.0.0.0/udp/4001/quic-v1",
        ])
        .args(["--http", "127.0.0.1:0", "--sync-interval-secs", "30"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(addr) = bootstrap {
        command.args(["--bootstrap", addr]);
    }
    if let Some(ip) = external {
        command.args(["--external", &format!("/ip4/{ip}/tcp/4001")]);
        command.args(["--external", &format!("/ip4/{ip}/udp/4001/quic-v1")]);
    }
    Proc(command.spawn().expect("coopnet run"))
}

async fn net(dir: &Path, counter: &str) -> u64 {
    call(dir, &Request::Status)
        .await
        .ok()
        .map_or(0, |s| s["net"][counter].as_u64().unwrap_or(0))
}

async fn links(dir: &Path, peer: &str) -> Vec<String> {
    let reply = call(dir, &Request::Peers).await.unwrap_or(Value::Null);
    reply["peers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["peer_id"] == peer)
        .flat_map(|p| p["addresses"].as_array().cloned().unwrap_or_default())
        .filter_map(|a| a.as_str().map(str::to_owned))
        .collect()
}

/// (received_at − issued_at) in ms of the bench's records at `dir`.
async fn latencies(dir: &Path, n: usize) -> Vec<f64> {
    let request = Request::List {
        kind: Some("contract".into()),
        author: None,
        limit: Some(10_000),
        offset: None,
    };
    let reply = call(dir, &request).await.unwrap_or(Value::Null);
    let out: Vec<f64> = reply["records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["key"].as_str().is_some_and(|k| k.starts_with("bench-")))
        .map(|r| {
            (r["received_at"].as_u64().unwrap_or(0) as f64)
                - (r["issued_at"].as_u64().unwrap_or(0) as f64)
        })
        .collect();
    assert!(out.len() <= n);
    out
}

/// One lab: returns (p50, p99) behind NAT and on the public address, and
/// how A and B were connected.
async fn run_lab(symmetric: bool, records: usize) -> Option<((f64, f64), (f64, f64), String)> {
    let lab = NatLab::new(symmetric);
    let root = tempfile::tempdir().expect("a temporary directory");
    let dirs: Vec<PathBuf> = ["p", "c", "a", "b"]
        .iter()
        .map(|n| root.path().join(n))
        .collect();
    let peer_p = init(&dirs[0], "Public");
    init(&dirs[1], "Public 2");
    let peer_a = init(&dirs[2], "Home A");
    init(&dirs[3], "Home B");
    let boot = format!("/ip4/{PUBLIC}/udp/4001/quic-v1/p2p/{peer_p}");
    let _p = start(&lab, Host::Public, &dirs[0], None, Some("10.99.0.10"));
    wait_for("the public node", DEADLINE, || async {
        call(&dirs[0], &Request::Status).await.is_ok()
    })
    .await;
    let _c = start(
        &lab,
        Host::Public2,
        &dirs[1],
        Some(&boot),
        Some("10.99.0.11"),
    );
    let _a = start(&lab, Host::A, &dirs[2], Some(&boot), None);
    let _b = start(&lab, Host::B, &dirs[3], Some(&boot), None);
    for dir in &dirs[2..] {
        wait_for("a relay reservation", DEADLINE, || async {
            net(dir, "relay_reservations").await >= 1
        })
        .await;
    }
    let circuit = format!("{boot}/p2p-circuit/p2p/{peer_a}");
    call(&dirs[3], &Request::Connect { addr: circuit })
        .await
        .ok()?;
    let direct = |l: &Vec<String>| l.iter().any(|a| !a.contains("p2p-circuit"));
    wait_for("B and A connected as the NATs allow", DEADLINE, || async {
        let l = links(&dirs[3], &peer_a).await;
        !l.is_empty() && (symmetric || direct(&l))
    })
    .await;
    let how = links(&dirs[3], &peer_a).await.join(" + ");
    // Let gossip meshes settle.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for n in 0..records {
        let request = Request::Publish {
            kind: "contract".into(),
            key: format!("bench-{n}"),
            body: serde_json::to_value(samples::contract(n)).expect("JSON"),
            expires_at: None,
        };
        call(&dirs[3], &request).await.ok()?;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    wait_for("every record at A and at C", DEADLINE, || async {
        latencies(&dirs[2], records).await.len() == records
            && latencies(&dirs[1], records).await.len() == records
    })
    .await;
    let (nat, public) = (
        latencies(&dirs[2], records).await,
        latencies(&dirs[1], records).await,
    );
    Some((
        (percentile(&nat, 50.0), percentile(&nat, 99.0)),
        (percentile(&public, 50.0), percentile(&public, 99.0)),
        how,
    ))
}

fn main() {
    let mode = Mode::detect();
    let mut summary = Summary::new("nat", mode);
    if let Some(why) = coopnet_tests::netns::unavailable() {
        summary.line(format!("SKIPPED: {why}"));
        summary.finish();
        return;
    }
    let (records, runs) = mode.pick((200, 3), (20, 1));
    let rt = runtime();
    summary.line(format!(
        "namespace internet (coopnet_tests::natlab): public relay P, public node C, A and B each behind \
         its own masquerading router; B publishes {records} records at 20/s; latency = received_at − \
         issued_at at A (behind NAT) and at C (public), same run"
    ));
    for symmetric in [true, false] {
        let mut ratios = Vec::new();
        for run in 0..runs {
            let Some(((n50, n99), (p50, p99), how)) = rt.block_on(run_lab(symmetric, records))
            else {
                summary.line("a run could not connect B to A");
                continue;
            };
            let ratio = n99 / p99.max(1.0);
            ratios.push(ratio);
            summary.line(format!(
                "  {} run {run}: behind NAT p50 {n50:.0} ms p99 {n99:.0} ms; public p50 {p50:.0} ms p99 {p99:.0} ms; \
                 ratio of p99 {ratio:.2}; B–A over {how}",
                if symmetric { "symmetric NATs (relayed)" } else { "port-preserving NATs (hole punched, direct)" }
            ));
        }
        let median = common::median(&ratios);
        summary.line(format!(
            "{}: median ratio {median:.2} (target <= 2: {})",
            if symmetric { "relayed" } else { "direct" },
            if median <= 2.0 { "MET" } else { "MISSED" }
        ));
    }
    summary.finish();
}
