//! Hostile peers (`coopnet_tests::hostile`, a libp2p node written from the
//! SPEC that sends arbitrary bytes) against a federation of real nodes:
//! nothing unverified changes state, honest peers are never punished, and
//! the federation keeps working.

mod connections;
mod flood;
mod gossip;
mod metrics;
mod sync;

use std::time::Duration;

use coopnet_protocol::{Body, Draft, Kind, RecordId, SecretKey, SignedRecord, Timestamp};
use coopnet_tests::federation::{Federation, start_federation_with};
use coopnet_tests::hostile::Hostile;
use coopnet_tests::{DEADLINE, TestNode, wait_for};

/// Grace of peers that are not members, when a test is not about it.
const GRACE: Duration = Duration::from_secs(30);
/// A sync interval long enough that, once the sessions at connection are
/// over, only gossip delivers records within a test.
const NO_PERIODIC_SYNC: Duration = Duration::from_secs(3_600);

/// A founder and `members` members, syncing only when they connect.
async fn gossip_only_federation(root: &std::path::Path, members: usize) -> Federation {
    start_federation_with(root, members, None, GRACE, NO_PERIODIC_SYNC).await
}

/// Signs `body` by `secret` at `version`, keyed `key` if its kind is keyed.
fn signed(secret: &SecretKey, body: Body, key: &str, version: u64, at: Timestamp) -> SignedRecord {
    let singleton = Kind::from_code(body.kind_code()).is_some_and(Kind::is_singleton);
    let key = if singleton { "" } else { key };
    Draft::new(body, key, version, at).sign(secret).unwrap()
}

/// What `victim` thinks of the peer with `key`: (gossip score, points),
/// or `None` if it is not connected.
async fn standing(victim: &TestNode, key: coopnet_protocol::PublicKey) -> Option<(f64, u32)> {
    let peers = victim.node.net().peers().await.unwrap();
    let peer = peers.into_iter().find(|p| p.key == Some(key))?;
    Some((peer.gossip_score.unwrap_or(0.0), peer.penalty_points))
}

/// Whether `node` holds `id`.
async fn holds(node: &TestNode, id: RecordId) -> bool {
    !node
        .node
        .store()
        .get_bytes(vec![id])
        .await
        .unwrap()
        .is_empty()
}

/// Starts a hostile peer with `secret` and connects it to each of `nodes`
/// (dialling again, as any peer would, while a dial has not succeeded).
async fn hostile_connected_to(fed: &Federation, secret: &SecretKey, nodes: &[usize]) -> Hostile {
    let hostile = Hostile::start(secret, &fed.topic());
    let peers: Vec<_> = nodes
        .iter()
        .map(|&i| coopnet_node::identity::peer_id_of(&fed.nodes[i].node.key()).unwrap())
        .collect();
    let mut last_dial: Option<std::time::Instant> = None;
    wait_for("the hostile peer to connect", DEADLINE, || {
        let due = last_dial.is_none_or(|t| t.elapsed() > Duration::from_secs(2));
        if due {
            last_dial = Some(std::time::Instant::now());
        }
        let hostile = &hostile;
        let peers = &peers;
        async move {
            let connected = hostile.connected().await;
            for (&i, peer) in nodes.iter().zip(peers) {
                if due && !connected.contains(peer) {
                    hostile.dial(&fed.nodes[i].addr).await;
                }
            }
            peers.iter().all(|p| connected.contains(p))
        }
    })
    .await;
    hostile
}

/// Waits until the hostile peer sees every one of `nodes` subscribed.
async fn wait_subscribed(fed: &Federation, hostile: &Hostile, nodes: &[usize]) {
    wait_for(
        "the hostile peer to see the nodes subscribed",
        DEADLINE,
        || async {
            for &i in nodes {
                let peer = coopnet_node::identity::peer_id_of(&fed.nodes[i].node.key()).unwrap();
                if !hostile.sees_subscribed(peer).await {
                    return false;
                }
            }
            true
        },
    )
    .await;
}
