//! The harness shared by the integration tests in `tests/integration/`:
//! real nodes (in this process or as `coopnet` processes) over loopback
//! TCP, and waiting for conditions with a deadline, never a fixed sleep.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use coopnet_node::config::Config;
use coopnet_node::{Node, identity};
use coopnet_protocol::{Body, Draft, Kind, RecordId, SecretKey, Timestamp, samples};

pub mod federation;
pub mod hostile;
pub mod lab_nodes;
pub mod natlab;
pub mod netns;
pub mod plain_relay;
pub mod relay_probe;

/// How long a test waits for a condition before failing.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// Runs the `coopnet` binary at `bin` with `args` and returns its output.
pub fn run(bin: &Path, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()))
}

/// Polls `condition` every 25 ms until it holds; panics naming `what` if
/// it still does not after `timeout`.
pub async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A node running in this process, with its own data directory.
#[derive(Debug, Clone)]
pub struct TestNode {
    /// The node.
    pub node: Arc<Node>,
    /// Its data directory.
    pub dir: PathBuf,
    /// Its dialable address, `/ip4/127.0.0.1/tcp/N/p2p/ID`.
    pub addr: String,
}

/// Creates (if needed) and starts a node in `dir`, dialling `bootstrap`.
/// Tests use a fast heartbeat and a one-second sync interval.
pub async fn start_node(dir: &Path, name: &str, bootstrap: &[String]) -> TestNode {
    start_node_syncing_every(dir, name, bootstrap, Duration::from_secs(1)).await
}

/// [`start_node`] with this sync interval (a long one leaves only the
/// session at connect).
pub async fn start_node_syncing_every(
    dir: &Path,
    name: &str,
    bootstrap: &[String],
    interval: Duration,
) -> TestNode {
    if !dir.join(identity::KEY_FILE).exists() {
        coopnet_node::private::create_dir(dir).expect("create data dir");
        identity::create(dir).expect("create identity");
        Config::new(name).save(dir).expect("save config");
    }
    federation::start_prepared_with(dir, bootstrap, coopnet_node::DEFAULT_GRACE, interval).await
}

/// Starts `n` nodes under `root`; node `i` dials the nodes `links(i)` names.
pub async fn start_topology(
    root: &Path,
    n: usize,
    links: impl Fn(usize) -> Vec<usize>,
) -> Vec<TestNode> {
    let mut nodes: Vec<TestNode> = Vec::new();
    for i in 0..n {
        let bootstrap: Vec<String> = links(i)
            .into_iter()
            .map(|j| nodes[j].addr.clone())
            .collect();
        nodes.push(
            start_node(
                &root.join(format!("node-{i}")),
                &format!("Co-op {i}"),
                &bootstrap,
            )
            .await,
        );
    }
    nodes
}

/// Publishes a profile for `node` and returns the record's id.
pub async fn publish_profile(node: &Node, n: usize) -> RecordId {
    let body = Body::Profile(samples::profile(n));
    node.publish(Kind::Profile.code(), "", Some(body), None)
        .await
        .expect("publish")
        .id
}

/// Whether every node holds every one of `ids` as a current record.
pub async fn all_have(nodes: &[TestNode], ids: &[RecordId]) -> bool {
    for t in nodes {
        let held = t.node.store().get_bytes(ids.to_vec()).await.expect("store");
        if held.len() != ids.len() {
            return false;
        }
    }
    true
}

/// The (issued_at, id) set a node reconciles.
pub async fn record_set(node: &Node) -> Vec<(u64, RecordId)> {
    node.store().sync_items().await.expect("store")
}

/// Whether all nodes hold the same set of current records.
pub async fn converged(nodes: &[TestNode]) -> bool {
    let first = record_set(&nodes[0].node).await;
    for t in &nodes[1..] {
        if record_set(&t.node).await != first {
            return false;
        }
    }
    true
}

/// `authors × per_author` signed contract records from co-ops other than
/// any node, as a federation's existing records.
pub fn contracts(authors: std::ops::Range<u8>, per_author: usize, now: Timestamp) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for a in authors {
        let secret = SecretKey::from_seed(&[a; 32]);
        for k in 0..per_author {
            let body = Body::Contract(samples::contract(k));
            let draft = Draft::new(body, format!("c-{k}"), 1, Timestamp(now.0 - 60_000));
            out.push(draft.sign(&secret).expect("sign").into_bytes());
        }
    }
    out
}

/// Stops every node.
pub async fn stop_all(nodes: Vec<TestNode>) {
    for t in nodes {
        t.node.shutdown().await;
    }
}
