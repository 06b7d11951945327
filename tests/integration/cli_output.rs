//! What the CLI prints for people and scripts: `coopnet list` a page at a
//! time saying when more exist, `coopnet status` in readable lines with no
//! log lines among them, and a closed pipe (`coopnet list | head`) ending
//! the command quietly.

use std::process::{Command, Stdio};
use std::sync::Arc;

use coopnet_protocol::{Body, Kind, samples};
use coopnet_tests::{DEADLINE, start_node, wait_for};

const BIN: &str = env!("CARGO_BIN_EXE_coopnet");

async fn run(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(&args)
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| (*w).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_status_reads_and_a_closed_pipe_is_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    let node = start_node(&data, "Ash", &[]).await;
    let control = tokio::spawn(coopnet_node::control::serve(Arc::clone(&node.node)));
    let socket = coopnet_node::control::socket_path(&data);
    wait_for("the control socket", DEADLINE, || async { socket.exists() }).await;
    for i in 0..5 {
        let body = Body::Contract(samples::contract(i));
        node.node
            .publish(Kind::Contract.code(), &format!("c-{i}"), Some(body), None)
            .await
            .unwrap();
    }
    let d = data.to_str().unwrap();

    let first = run(words(&[
        "list", "--data", d, "--kind", "contract", "--limit", "2",
    ]))
    .await;
    let text = String::from_utf8(first.stdout).unwrap();
    assert!(first.status.success(), "{text}");
    assert!(
        text.contains("records 1–2; more exist: add --offset 2"),
        "{text}"
    );
    let last = run(words(&[
        "list", "--data", d, "--kind", "contract", "--limit", "2", "--offset", "4",
    ]))
    .await;
    let text = String::from_utf8(last.stdout).unwrap();
    assert!(text.contains("records 5–5, the last of them"), "{text}");

    let status = run(words(&["status", "--data", d])).await;
    let text = String::from_utf8(status.stdout).unwrap();
    assert!(text.contains("  records:    5"), "{text}");
    assert!(text.contains("  peers:      0 connected"), "{text}");
    let logs = String::from_utf8(status.stderr).unwrap();
    assert!(!logs.contains("INFO"), "{logs}");

    // The reader goes away before the command writes a line.
    let d2 = d.to_owned();
    let piped = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(BIN)
            .args(["list", "--data", &d2, "--limit", "1000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let said = String::from_utf8_lossy(&piped.stderr);
    assert!(piped.status.success(), "{said}");
    assert!(!said.contains("panicked"), "{said}");

    control.abort();
    node.node.shutdown().await;
}
