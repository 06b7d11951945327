//! Connections from hostile peers: sockets that never finish a handshake
//! cannot keep members out, and a peer that is not a member hears no
//! gossip and cannot renew its grace period.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use coopnet_node::net::guard::PENDING_PER_IP;
use coopnet_protocol::SecretKey;
use coopnet_tests::federation::{prepare_member, start_federation_with, start_prepared};
use coopnet_tests::hostile::{closed, idle_sockets};
use coopnet_tests::relay_probe::reserve;
use coopnet_tests::{DEADLINE, all_have, publish_profile, stop_all, wait_for};

use super::*;

/// The TCP address in a node's `/ip4/A/tcp/P/p2p/…` address.
fn socket_of(addr: &str) -> SocketAddr {
    let parts: Vec<&str> = addr.split('/').collect();
    SocketAddr::new(parts[2].parse().unwrap(), parts[4].parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_idle_sockets_do_not_keep_a_member_out() {
    let root = tempfile::tempdir().unwrap();
    let fed = start_federation_with(root.path(), 0, None, GRACE, Duration::from_secs(1)).await;
    let founder = &fed.nodes[0];
    let attacker = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 66));
    let sockets = idle_sockets(socket_of(&founder.addr), attacker, 500).await;
    assert_eq!(sockets.len(), 500, "the kernel accepted every socket");
    wait_for(
        "all but a few sockets from one address to be refused",
        DEADLINE,
        || async { closed(&sockets) >= 500 - PENDING_PER_IP },
    )
    .await;

    // A member dials in while the rest are held open.
    let dir = root.path().join("member");
    let key = prepare_member(&dir, "Latecomer", &fed.file);
    fed.admit(key, "Latecomer").await;
    let member = start_prepared(&dir, std::slice::from_ref(&founder.addr), GRACE).await;
    let id = vec![publish_profile(&member.node, 4).await];
    let both = [fed.nodes[0].clone(), member.clone()];
    wait_for("the member's record on the founder", DEADLINE, || {
        all_have(&both, &id)
    })
    .await;

    wait_for(
        "the idle sockets to be closed by the handshake timeout",
        DEADLINE,
        || async { closed(&sockets) == sockets.len() },
    )
    .await;
    let stats = founder.node.net().stats().await.unwrap();
    assert!(
        stats.connections_refused >= (500 - PENDING_PER_IP) as u64,
        "{stats:?}"
    );
    member.node.shutdown().await;
    stop_all(fed.nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_member_hears_no_gossip_and_cannot_renew_its_grace() {
    let root = tempfile::tempdir().unwrap();
    let grace = Duration::from_secs(3);
    let fed = start_federation_with(root.path(), 1, None, grace, Duration::from_secs(1)).await;
    let outsider = SecretKey::from_seed(&[90; 32]);
    let hostile = hostile_connected_to(&fed, &outsider, &[0]).await;
    wait_subscribed(&fed, &hostile, &[0]).await;

    let ids = vec![
        publish_profile(&fed.nodes[0].node, 1).await,
        publish_profile(&fed.nodes[1].node, 2).await,
    ];
    wait_for("the members' records on every member", DEADLINE, || {
        all_have(&fed.nodes, &ids)
    })
    .await;
    let founder = &fed.nodes[0];
    let founder_peer = coopnet_node::identity::peer_id_of(&founder.node.key()).unwrap();
    wait_for(
        "the outsider to be dropped after its grace",
        DEADLINE,
        || async { !hostile.connected().await.contains(&founder_peer) },
    )
    .await;
    assert!(
        hostile.heard().await.is_empty(),
        "a non-member heard gossip"
    );

    // Dialling again does not renew the grace: refused at once.
    let refused_before = founder
        .node
        .net()
        .stats()
        .await
        .unwrap()
        .connections_refused;
    hostile.dial(&founder.addr).await;
    wait_for(
        "the outsider's new connection to be refused",
        DEADLINE,
        || async {
            founder
                .node
                .net()
                .stats()
                .await
                .unwrap()
                .connections_refused
                > refused_before
        },
    )
    .await;
    assert!(!hostile.connected().await.contains(&founder_peer));
    let stats = founder.node.net().stats().await.unwrap();
    assert_eq!(stats.redials, 0, "a non-member was dialled again");
    hostile.stop();
    stop_all(fed.nodes).await;
}

/// The relay a member node offers (SPEC §8.7) serves members only: a
/// non-member is refused a reservation even within the grace it has to
/// fetch the roster, while a member gets one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_reserves_slots_for_members_only() {
    let root = tempfile::tempdir().unwrap();
    let grace = Duration::from_secs(30);
    let fed = start_federation_with(root.path(), 1, None, grace, Duration::from_secs(1)).await;
    let founder = &fed.nodes[0];
    let member = coopnet_node::identity::load(&fed.nodes[1].dir).unwrap();
    let outsider = SecretKey::from_seed(&[91; 32]);

    let refused = reserve(&outsider, &founder.addr).await;
    assert!(
        refused.as_ref().is_err_and(|e| e.contains("refused")),
        "a non-member's reservation: {refused:?}"
    );
    // The refusal reaches the client before the relay's loop counts it.
    let refusals = || async { founder.node.net().stats().await.unwrap().relay_refused };
    wait_for("the relay to count the refusal", DEADLINE, || async {
        refusals().await >= 1
    })
    .await;
    assert_eq!(refusals().await, 1, "one refusal, counted once");
    assert_eq!(
        reserve(&member, &founder.addr).await,
        Ok(()),
        "a member's reservation"
    );
    stop_all(fed.nodes).await;
}
