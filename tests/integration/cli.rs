//! The `coopnet` binary as a user runs it: `init`, and the demo federation
//! from start to Ctrl-C, twice.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use coopnet_tests::{DEADLINE, wait_for};

const BIN: &str = env!("CARGO_BIN_EXE_coopnet");

fn coopnet(args: &[&str]) -> std::process::Output {
    coopnet_tests::run(Path::new(BIN), args)
}

#[test]
fn init_creates_a_private_key_and_refuses_to_overwrite_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    let first = coopnet(&[
        "init",
        "--data",
        data.to_str().unwrap(),
        "--name",
        "Agile Co-op",
    ]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let key_before = std::fs::read(data.join("identity.key")).unwrap();
    let again = coopnet(&["init", "--data", data.to_str().unwrap(), "--name", "Other"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("refusing to overwrite"));
    assert_eq!(
        std::fs::read(data.join("identity.key")).unwrap(),
        key_before
    );
}

/// Runs the demo with 3 nodes until every node lists 3 profiles, then
/// stops it with SIGINT; returns the keys it printed.
async fn demo_round(data: &Path) -> Vec<String> {
    let mut child = Command::new(BIN)
        .args(["demo", "--nodes", "3", "--data", data.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut summary = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.contains("Press Ctrl-C");
        summary.push(line);
        if done {
            break;
        }
    }
    let node2 = data.join("node-2");
    wait_for("node 2 to list all three profiles", DEADLINE, || async {
        let out = coopnet(&[
            "list",
            "--data",
            node2.to_str().unwrap(),
            "--kind",
            "profile",
            "--json",
        ]);
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        list.as_array().is_some_and(|a| a.len() == 3)
    })
    .await;
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    assert!(
        child.wait().unwrap().success(),
        "the demo exits cleanly on Ctrl-C"
    );
    summary
        .iter()
        .filter(|l| l.contains("/p2p/"))
        .map(|l| l.split_whitespace().rev().nth(1).unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_federation_runs_replicates_stops_on_ctrl_c_and_reuses_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let first = demo_round(&data).await;
    assert_eq!(first.len(), 3, "the summary names three co-ops");
    let second = demo_round(&data).await;
    assert_eq!(first, second, "a second run reuses the same co-ops");
}
