//! Secrets stay the operator's: `coopnet init` makes a private data
//! directory, a running node's store (with its `-wal` and `-shm`), control
//! socket (and a genesis holding the network key, see `genesis.rs`) are
//! readable by their owner only, and a
//! node started on looser files (an older version's, or copied) tightens
//! them.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use coopnet_node::config::STORE_FILE;
use coopnet_tests::{DEADLINE, start_node, wait_for};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn loosen(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn init_makes_a_private_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    let out = crate::coopnet(&["init", "--data", data.to_str().unwrap(), "--name", "Ash"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("identity.key")), 0o600);
    for file in [STORE_FILE.to_owned(), format!("{STORE_FILE}-wal")] {
        let path = data.join(&file);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{file}");
        }
    }
}

#[tokio::test]
async fn a_running_node_keeps_its_secrets_private_and_tightens_loose_ones() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    let node = start_node(&data, "Ash", &[]).await;
    let control = tokio::spawn(coopnet_node::control::serve(Arc::clone(&node.node)));
    let socket = coopnet_node::control::socket_path(&data);
    wait_for("the control socket", DEADLINE, || async { socket.exists() }).await;
    coopnet_tests::publish_profile(&node.node, 1).await;
    assert_eq!(mode(&data), 0o700);
    for file in [
        STORE_FILE.to_owned(),
        format!("{STORE_FILE}-wal"),
        format!("{STORE_FILE}-shm"),
        "control.sock".to_owned(),
    ] {
        assert_eq!(mode(&data.join(&file)), 0o600, "{file}");
    }
    control.abort();
    node.node.shutdown().await;

    // As an older version left them.
    loosen(&data, 0o755);
    loosen(&data.join(STORE_FILE), 0o644);
    let node = start_node(&data, "Ash", &[]).await;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join(STORE_FILE)), 0o600);
    node.node.shutdown().await;
}
