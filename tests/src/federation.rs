//! Federations for tests: a coordinator node that founds one, members that
//! join with its genesis file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use coopnet_node::config::Config;
use coopnet_node::{Node, Overrides, genesis, identity};
use coopnet_protocol::federation::{Genesis, NetworkKey};
use coopnet_protocol::kinds::Role;

use crate::{DEADLINE, TestNode, wait_for};

/// Creates a node directory whose config points at `genesis_file`.
pub fn prepare_member(dir: &Path, name: &str, genesis_file: &Path) -> coopnet_protocol::PublicKey {
    coopnet_node::private::create_dir(dir).expect("create data dir");
    let secret = identity::create(dir).expect("create identity");
    let mut config = Config::new(name);
    config.federation = Some(genesis_file.to_owned());
    config.save(dir).expect("save config");
    secret.public()
}

/// Writes a genesis founded by `founder`, with a network key if given.
pub fn found(
    root: &Path,
    founder: coopnet_protocol::PublicKey,
    network_key: Option<[u8; 32]>,
) -> (Genesis, PathBuf) {
    let genesis = Genesis {
        name: "Test Federation".into(),
        coordinators: vec![founder],
        bootstrap: vec![],
        created_at: coopnet_node::clock::now(),
        network_key: network_key.map(NetworkKey),
    };
    let path = root.join("federation.toml");
    genesis::save(&genesis, &path).expect("save genesis");
    (genesis, path)
}

/// Starts a prepared node with test timings and the given grace period.
pub async fn start_prepared(dir: &Path, bootstrap: &[String], grace: Duration) -> TestNode {
    start_prepared_with(dir, bootstrap, grace, Duration::from_secs(1)).await
}

/// [`start_prepared`] with this sync interval.
pub async fn start_prepared_with(
    dir: &Path,
    bootstrap: &[String],
    grace: Duration,
    sync_interval: Duration,
) -> TestNode {
    let overrides = Overrides {
        listen: vec!["/ip4/127.0.0.1/tcp/0".to_owned()],
        bootstrap: bootstrap.to_vec(),
        heartbeat: Some(Duration::from_millis(200)),
        sync_interval: Some(sync_interval),
        grace: Some(grace),
        status_interval: Some(Duration::from_secs(1)),
        external: Vec::new(),
    };
    let node = Arc::new(Node::start(dir, overrides).await.expect("node starts"));
    let listening = node
        .net()
        .wait_listening(Duration::from_secs(10))
        .await
        .expect("net");
    let peer = identity::peer_id_of(&node.key()).expect("peer id");
    let addr = format!(
        "{}/p2p/{peer}",
        listening.first().expect("a listen address")
    );
    TestNode {
        node,
        dir: dir.to_owned(),
        addr,
    }
}

/// A founder and `members` admitted co-ops, all connected to the founder.
#[derive(Debug)]
pub struct Federation {
    /// The genesis.
    pub genesis: Genesis,
    /// Its file.
    pub file: PathBuf,
    /// The founder first, then the members.
    pub nodes: Vec<TestNode>,
}

/// Starts a federation of a founder and `members` admitted members; peers
/// that are not members get `grace` before the founder drops them.
pub async fn start_federation(
    root: &Path,
    members: usize,
    network_key: Option<[u8; 32]>,
    grace: Duration,
) -> Federation {
    start_federation_with(root, members, network_key, grace, Duration::from_secs(1)).await
}

/// [`start_federation`] with this sync interval (a long one leaves gossip
/// as the only quick path once the first sessions are over).
pub async fn start_federation_with(
    root: &Path,
    members: usize,
    network_key: Option<[u8; 32]>,
    grace: Duration,
    sync_interval: Duration,
) -> Federation {
    let founder_dir = root.join("founder");
    coopnet_node::private::create_dir(&founder_dir).expect("dir");
    let founder_key = identity::create(&founder_dir).expect("identity").public();
    let (genesis, file) = found(root, founder_key, network_key);
    let mut config = Config::new("Founder Co-op");
    config.federation = Some(file.clone());
    config.save(&founder_dir).expect("config");
    let founder = start_prepared_with(&founder_dir, &[], grace, sync_interval).await;
    let mut nodes = vec![founder];
    for i in 0..members {
        let dir = root.join(format!("member-{i}"));
        let key = prepare_member(&dir, &format!("Member {i}"), &file);
        nodes[0]
            .node
            .admit(key, &format!("Member {i}"), Role::Member, None)
            .await
            .expect("admit");
        let bootstrap = [nodes[0].addr.clone()];
        let grace = Duration::from_secs(30);
        nodes.push(start_prepared_with(&dir, &bootstrap, grace, sync_interval).await);
    }
    let keys: Vec<_> = nodes.iter().map(|t| t.node.key()).collect();
    wait_for("every node to see every member", DEADLINE, || async {
        nodes.iter().all(|t| {
            t.node
                .gate()
                .view()
                .is_some_and(|v| keys.iter().all(|k| v.is_member(k)))
        })
    })
    .await;
    Federation {
        genesis,
        file,
        nodes,
    }
}

impl Federation {
    /// Admits the co-op with `key` (signed by the founder) and waits until
    /// every node counts it as a member.
    pub async fn admit(&self, key: coopnet_protocol::PublicKey, name: &str) {
        self.nodes[0]
            .node
            .admit(key, name, Role::Member, None)
            .await
            .expect("admit");
        wait_for("every node to count the new member", DEADLINE, || async {
            self.nodes
                .iter()
                .all(|t| t.node.gate().view().is_some_and(|v| v.is_member(&key)))
        })
        .await;
    }

    /// The federation's gossip topic.
    pub fn topic(&self) -> String {
        self.genesis.topic()
    }
}
