//! Running a node in production (issue 20): a backup taken with `coopnet
//! backup` while a `coopnet run` process ingests heavily restores (with
//! `coopnet restore`) to a store that passes `integrity_check` and holds
//! every record acknowledged before the backup began; `/healthz` answers
//! 200 while the node is healthy and 503 once its store is unusable;
//! `coopnet check` names what is wrong with a data directory.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use coopnet_node::control::{Request, call};
use coopnet_protocol::{RecordId, samples};
use coopnet_tests::{DEADLINE, contracts, start_node, wait_for};

use crate::web::Api;

fn cli(args: &[&str]) -> std::process::Output {
    crate::coopnet(args)
}

fn said(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

async fn records_held(dir: &Path) -> Option<u64> {
    call(dir, &Request::Status).await.ok()?["records"].as_u64()
}

/// Publishes contracts through the control socket until stopped; every
/// acknowledged id goes to `acked`.
async fn publish(
    dir: std::path::PathBuf,
    acked: Arc<Mutex<Vec<RecordId>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    for n in 0.. {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let request = Request::Publish {
            kind: "contract".into(),
            key: format!("local-{n}"),
            body: serde_json::to_value(samples::contract(n)).unwrap(),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_heavy_ingest_restores_every_acknowledged_record() {
    let root = tempfile::tempdir().unwrap();
    let source = start_node(&root.path().join("source"), "Source Co-op", &[]).await;
    source
        .node
        .import(contracts(10..40, 100, coopnet_node::clock::now()))
        .await
        .unwrap();
    let dir = root.path().join("node");
    let data = dir.to_str().unwrap().to_owned();
    assert!(
        cli(&["init", "--data", &data, "--name", "Busy Co-op"])
            .status
            .success()
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_coopnet"))
        .args([
            "run",
            "--data",
            &data,
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
            "--http",
            "127.0.0.1:0",
        ])
        .args(["--bootstrap", &source.addr, "--sync-interval-secs", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the node's control socket", DEADLINE, || async {
        records_held(&dir).await.is_some()
    })
    .await;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let publisher = tokio::spawn(publish(dir.clone(), Arc::clone(&acked), Arc::clone(&stop)));
    wait_for("sync and local publishing under way", DEADLINE, || async {
        records_held(&dir).await.is_some_and(|n| n > 300) && acked.lock().unwrap().len() > 20
    })
    .await;

    // The backup starts: what was acknowledged by now must be in it.
    let before: Vec<RecordId> = acked.lock().unwrap().clone();
    let held_before = records_held(&dir).await.unwrap();
    let out_file = root.path().join("busy.db");
    let key_file = root.path().join("busy.key");
    let args = [
        "backup",
        "--data",
        &data,
        "--out",
        out_file.to_str().unwrap(),
        "--key-out",
        key_file.to_str().unwrap(),
    ];
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    let backup = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        cli(&args)
    })
    .await
    .unwrap();
    let held_after = records_held(&dir).await.unwrap();
    assert!(backup.status.success(), "{}", said(&backup));
    let text = said(&backup);
    assert!(
        text.contains("integrity check ok") && text.contains("WARNING"),
        "{text}"
    );
    assert!(
        held_after > held_before,
        "ingest went on during the backup ({held_before} → {held_after})"
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    publisher.await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();

    // Restored into a fresh directory, with the key.
    let restored = root.path().join("restored");
    let out = cli(&[
        "restore",
        "--data",
        restored.to_str().unwrap(),
        "--from",
        out_file.to_str().unwrap(),
        "--key",
        key_file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", said(&out));
    let db = rusqlite::Connection::open(restored.join("coopnet.db")).unwrap();
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let mut present = db
        .prepare("SELECT count(*) FROM records WHERE id = ?1")
        .unwrap();
    for id in &before {
        let n: i64 = present.query_row([id.0.to_vec()], |r| r.get(0)).unwrap();
        assert_eq!(n, 1, "acknowledged publish {id} is not in the backup");
    }
    let count: i64 = db
        .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
        .unwrap();
    assert!(
        count as u64 >= held_before,
        "{count} records restored, {held_before} held before"
    );
    assert_eq!(
        coopnet_node::identity::load(&restored).unwrap().public(),
        coopnet_node::identity::load(&dir).unwrap().public()
    );
    // A second restore over it keeps the first aside.
    let again = cli(&[
        "restore",
        "--data",
        restored.to_str().unwrap(),
        "--from",
        out_file.to_str().unwrap(),
    ]);
    assert!(
        again.status.success() && said(&again).contains("is kept as"),
        "{}",
        said(&again)
    );
    source.node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_200_while_healthy_and_503_when_the_store_is_unusable() {
    let root = tempfile::tempdir().unwrap();
    let node = start_node(&root.path().join("a"), "Healthy Co-op", &[]).await;
    let web = coopnet::web::serve(Arc::clone(&node.node), "127.0.0.1:0")
        .await
        .unwrap();
    let api = Api::at(web.url(), String::new());
    let (status, body) = api.call("GET", "/healthz", "").await;
    assert_eq!(
        (status, &body["status"]),
        (200, &serde_json::json!("ok")),
        "{body}"
    );
    node.node.store().close().await.unwrap();
    let (status, body) = api.call("GET", "/healthz", "").await;
    assert_eq!(status, 503, "{body}");
    assert!(body["store"].as_str().unwrap().contains("store"), "{body}");
    assert_eq!(body["network"], "ok");
    web.stop().await;
    node.node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coopnet_check_names_what_is_wrong_with_a_data_directory() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("node");
    let data = dir.to_str().unwrap().to_owned();
    assert!(
        cli(&["init", "--data", &data, "--name", "Checked Co-op"])
            .status
            .success()
    );
    let good = cli(&["check", "--data", &data]);
    assert!(good.status.success(), "{}", said(&good));
    assert!(said(&good).contains("Nothing to fix."));

    // A key others can read; a bootstrap peer nobody answers at.
    let key = dir.join(coopnet_node::identity::KEY_FILE);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "bootstrap = []",
        &format!("bootstrap = [\"/ip4/127.0.0.1/tcp/{closed}\"]"),
    );
    std::fs::write(&config, text).unwrap();
    let bad = cli(&["check", "--data", &data]);
    let text = said(&bad);
    assert!(!bad.status.success());
    assert!(
        text.contains("can be read by others") && text.contains("chmod 600"),
        "{text}"
    );
    assert!(
        text.contains(&format!("127.0.0.1:{closed} cannot be reached")),
        "{text}"
    );
    assert!(text.contains("2 problems to fix"), "{text}");

    // A store from a newer coopnet.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let dir2 = root.path().join("newer");
    let data2 = dir2.to_str().unwrap().to_owned();
    assert!(
        cli(&["init", "--data", &data2, "--name", "Future Co-op"])
            .status
            .success()
    );
    let store = coopnet_node::store::Store::open(dir2.join("coopnet.db"))
        .await
        .unwrap();
    store.close().await.unwrap();
    let db = rusqlite::Connection::open(dir2.join("coopnet.db")).unwrap();
    db.pragma_update(None, "user_version", 99).unwrap();
    drop(db);
    let newer = cli(&["check", "--data", &data2]);
    assert!(!newer.status.success());
    assert!(said(&newer).contains("newer"), "{}", said(&newer));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coopnet_check_finds_a_store_of_another_federation() {
    use coopnet_tests::federation::{found, start_federation};
    let root = tempfile::tempdir().unwrap();
    let fed = start_federation(root.path(), 1, None, std::time::Duration::from_secs(30)).await;
    let member = fed.nodes[1].dir.clone();
    for node in &fed.nodes {
        node.node.shutdown().await;
    }
    // The member's config now names another federation's file.
    let other_root = root.path().join("other");
    std::fs::create_dir_all(&other_root).unwrap();
    let (_, other) = found(
        &other_root,
        coopnet_protocol::SecretKey::from_seed(&[9; 32]).public(),
        None,
    );
    let config = member.join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("federation = "))
        .unwrap()
        .to_owned();
    std::fs::write(
        &config,
        text.replace(
            &line,
            &format!("federation = {:?}", other.display().to_string()),
        ),
    )
    .unwrap();
    let out = cli(&["check", "--data", member.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(said(&out).contains("genesis mismatch"), "{}", said(&out));
}

#[test]
fn the_systemd_unit_is_hardened_and_verifies() {
    let unit = include_str!("../../deploy/systemd/coopnet.service");
    for line in [
        "DynamicUser=yes",
        "StateDirectory=coopnet",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "Restart=on-failure",
        "CapabilityBoundingSet=",
    ] {
        assert!(unit.lines().any(|l| l == line), "the unit lacks {line}");
    }
    let Ok(analyze) = which("systemd-analyze") else {
        eprintln!("SKIPPED systemd-analyze verify: systemd-analyze is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coopnet.service");
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/coopnet", env!("CARGO_BIN_EXE_coopnet")),
    )
    .unwrap();
    let verify = Command::new(&analyze)
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    assert!(verify.status.success(), "{}", said(&verify));
    let security = Command::new(&analyze)
        .args(["security", "--offline=true", "--threshold=20"])
        .arg(&path)
        .output()
        .unwrap();
    let text = said(&security);
    assert!(security.status.success(), "exposure above 2.0: {text}");
    let level = text
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for coopnet.service: ")
                .nth(1)
        })
        .unwrap_or_default()
        .to_owned();
    eprintln!("systemd-analyze security: exposure {level}");
}

/// The path of a program on `PATH`.
fn which(program: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .ok_or(())
}
