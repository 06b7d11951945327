//! `kill -9` of a real `coopnet run` process in the middle of heavy ingest,
//! three times over: the store must reopen with `PRAGMA integrity_check`
//! ok and every local publish the node acknowledged must be there.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use coopnet_node::control::{Request, call};
use coopnet_protocol::{RecordId, samples};
use coopnet_tests::{DEADLINE, contracts, start_node, wait_for};

fn spawn_node(dir: &Path, bootstrap: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_coopnet"))
        .args([
            "run",
            "--data",
            dir.to_str().unwrap(),
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
            "--http",
            "127.0.0.1:0",
        ])
        .args(["--bootstrap", bootstrap, "--sync-interval-secs", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start coopnet run")
}

async fn records_held(dir: &Path) -> Option<u64> {
    call(dir, &Request::Status).await.ok()?["records"].as_u64()
}

/// Publishes contracts through the control socket until the node dies;
/// every id whose publish was acknowledged is pushed to `acked`.
async fn publish_until_killed(dir: PathBuf, round: usize, acked: Arc<Mutex<Vec<RecordId>>>) {
    for n in 0.. {
        let body = serde_json::to_value(samples::contract(n)).unwrap();
        let key = format!("local-{round}-{n}");
        let request = Request::Publish {
            kind: "contract".into(),
            key,
            body,
            expires_at: None,
        };
        let Ok(reply) = call(&dir, &request).await else {
            return;
        };
        let id: RecordId = reply["receipt"]["record_id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        acked.lock().unwrap().push(id);
    }
}

fn check_store(path: &Path, acked: &[RecordId]) {
    let db = rusqlite::Connection::open(path).unwrap();
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let mut present = db
        .prepare("SELECT count(*) FROM records WHERE id = ?1")
        .unwrap();
    for id in acked {
        let n: i64 = present.query_row([id.0.to_vec()], |r| r.get(0)).unwrap();
        assert_eq!(n, 1, "acknowledged publish {id} was lost");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_heavy_ingest_never_corrupts_the_store_or_loses_an_acknowledged_publish() {
    let root = tempfile::tempdir().unwrap();
    let source = start_node(&root.path().join("source"), "Source Co-op", &[]).await;
    let dir = root.path().join("victim");
    let init = coopnet_tests::run(
        Path::new(env!("CARGO_BIN_EXE_coopnet")),
        &[
            "init",
            "--data",
            dir.to_str().unwrap(),
            "--name",
            "Crashy Co-op",
        ],
    );
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let acked = Arc::new(Mutex::new(Vec::new()));
    let mut killed_mid_sync = 0;

    for round in 0..3u8 {
        // Fresh work for every round: 3,000 records the victim lacks.
        let batch = contracts(
            10 + 30 * round..40 + 30 * round,
            100,
            coopnet_node::clock::now(),
        );
        source.node.import(batch).await.unwrap();
        let before = 3_000 * u64::from(round);
        let mut child = spawn_node(&dir, &source.addr);
        wait_for("the node's control socket", DEADLINE, || async {
            records_held(&dir).await.is_some()
        })
        .await;
        let publisher = tokio::spawn(publish_until_killed(
            dir.clone(),
            round.into(),
            Arc::clone(&acked),
        ));
        wait_for("ingest to be under way", DEADLINE, || async {
            records_held(&dir).await.is_some_and(|n| n > before + 300)
                && acked.lock().unwrap().len() > 3
        })
        .await;
        let held_at_kill = records_held(&dir).await.unwrap_or(0);
        killed_mid_sync += usize::from(held_at_kill < before + 3_000);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        publisher.await.unwrap();
        let acked_now = acked.lock().unwrap().clone();
        check_store(&dir.join("coopnet.db"), &acked_now);
    }
    assert!(
        killed_mid_sync >= 1,
        "no kill landed while records were still arriving"
    );
    let status = records_held(&dir).await;
    assert!(status.is_none(), "the killed node no longer answers");
    source.node.shutdown().await;
}
