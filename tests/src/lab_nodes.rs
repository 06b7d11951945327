//! Nodes in a [`Lab`](crate::netns::Lab): one `coopnet run` process per
//! host, each dialling its neighbours over the lab's links, driven through
//! their control sockets.

use std::path::{Path, PathBuf};
use std::time::Duration;

use coopnet_node::control::{Request, call};
use coopnet_node::identity;
use coopnet_protocol::{PublicKey, samples};

use crate::netns::{HostNode, Lab};
use crate::{DEADLINE, wait_for};

/// The nodes of a lab, host by host.
#[derive(Debug)]
pub struct LabNodes {
    /// Their processes (killed on drop).
    pub procs: Vec<HostNode>,
    /// Their data directories.
    pub dirs: Vec<PathBuf>,
    /// Their co-op keys.
    pub keys: Vec<PublicKey>,
}

/// Runs `coopnet init` for a node in `dir`; returns its key.
fn init(bin: &Path, dir: &Path, name: &str) -> PublicKey {
    let out = std::process::Command::new(bin)
        .args(["init", "--data"])
        .arg(dir)
        .args(["--name", name])
        .output()
        .expect("run coopnet init");
    assert!(
        out.status.success(),
        "coopnet init: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    identity::load(dir).expect("the new key").public()
}

/// Starts a node on every host of `lab` (data under `root`, `extra`
/// arguments for `coopnet run`); on each link the second host dials the
/// first. Returns once every node is connected to all its neighbours.
pub async fn start_on(lab: &Lab, bin: &Path, root: &Path, extra: &[&str]) -> LabNodes {
    let dirs: Vec<PathBuf> = (0..lab.hosts())
        .map(|i| root.join(format!("node-{i}")))
        .collect();
    let keys: Vec<PublicKey> = dirs
        .iter()
        .enumerate()
        .map(|(i, dir)| init(bin, dir, &format!("Co-op {i}")))
        .collect();
    let mut procs = Vec::new();
    for (host, dir) in dirs.iter().enumerate() {
        let bootstrap: Vec<String> = lab
            .links()
            .iter()
            .enumerate()
            .filter(|(_, link)| link.ends.1 == host)
            .map(|(k, link)| {
                let peer = identity::peer_id_of(&keys[link.ends.0]).expect("peer id");
                HostNode::dial_addr(lab.addr_on(link.ends.0, k), &peer.to_string())
            })
            .collect();
        procs.push(HostNode::start(lab, host, bin, dir, &bootstrap, extra));
    }
    let nodes = LabNodes { procs, dirs, keys };
    for host in 0..lab.hosts() {
        let neighbours: Vec<PublicKey> = lab
            .links()
            .iter()
            .filter_map(|l| match l.ends {
                (a, b) if a == host => Some(nodes.keys[b]),
                (a, b) if b == host => Some(nodes.keys[a]),
                _ => None,
            })
            .collect();
        wait_for(
            "each node to connect to its neighbours",
            DEADLINE,
            || async {
                let connected = nodes.connected(host).await;
                neighbours.iter().all(|k| connected.contains(k))
            },
        )
        .await;
    }
    nodes
}

impl LabNodes {
    /// The keys of the peers `host`'s node is connected to (none while its
    /// control socket does not answer).
    pub async fn connected(&self, host: usize) -> Vec<PublicKey> {
        let Ok(reply) = call(&self.dirs[host], &Request::Peers).await else {
            return Vec::new();
        };
        let peers = reply["peers"].as_array().cloned().unwrap_or_default();
        peers
            .iter()
            .filter_map(|p| p["key"].as_str()?.parse().ok())
            .collect()
    }

    /// Publishes a contract keyed `key` on `host`'s node.
    pub async fn publish(&self, host: usize, key: &str) {
        let body = serde_json::to_value(samples::contract(host)).expect("contract as JSON");
        let request = Request::Publish {
            kind: "contract".into(),
            key: key.into(),
            body,
            expires_at: None,
        };
        call(&self.dirs[host], &request).await.expect("publish");
    }

    /// The keys of the contracts `host`'s node holds (empty while its
    /// control socket does not answer).
    pub async fn held_keys(&self, host: usize) -> std::collections::HashSet<String> {
        let request = Request::List {
            kind: Some("contract".into()),
            author: None,
            limit: Some(100_000),
            offset: None,
        };
        let Ok(reply) = call(&self.dirs[host], &request).await else {
            return Default::default();
        };
        let records = reply["records"].as_array().cloned().unwrap_or_default();
        records
            .iter()
            .filter_map(|r| Some(r["key"].as_str()?.to_owned()))
            .collect()
    }

    /// Whether `host`'s node holds a contract under each of `keys`.
    pub async fn holds(&self, host: usize, keys: &[String]) -> bool {
        let held = self.held_keys(host).await;
        keys.iter().all(|k| held.contains(k))
    }

    /// Whether every node holds every one of `keys`.
    pub async fn all_hold(&self, keys: &[String]) -> bool {
        for host in 0..self.dirs.len() {
            if !self.holds(host, keys).await {
                return false;
            }
        }
        true
    }

    /// For each node: which of `keys` it holds and which nodes it is
    /// connected to, for a failure message.
    pub async fn describe(&self, keys: &[String]) -> String {
        let mut out = String::new();
        for host in 0..self.dirs.len() {
            let holds: Vec<&String> = {
                let mut held = Vec::new();
                for key in keys {
                    if self.holds(host, std::slice::from_ref(key)).await {
                        held.push(key);
                    }
                }
                held
            };
            let connected = self.connected(host).await;
            let peers: Vec<usize> = (0..self.keys.len())
                .filter(|i| connected.contains(&self.keys[*i]))
                .collect();
            out += &format!("node {host}: holds {holds:?}, connected to {peers:?}\n");
        }
        out
    }

    /// Waits until every node holds every one of `keys`, up to `timeout`;
    /// on failure the panic describes every node.
    pub async fn wait_all_hold(&self, keys: &[String], timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.all_hold(keys).await {
            if tokio::time::Instant::now() >= deadline {
                panic!(
                    "not every node held {keys:?} after {timeout:?}:\n{}",
                    self.describe(keys).await
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until `host`'s node no longer counts `other`'s as connected.
    pub async fn wait_apart(&self, host: usize, other: usize, timeout: Duration) {
        let key = self.keys[other];
        wait_for(
            "a node to notice its neighbour is gone",
            timeout,
            || async { !self.connected(host).await.contains(&key) },
        )
        .await;
    }
}
