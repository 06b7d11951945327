//! A misbehaving node (a real node that skips its own checks) attacks an
//! honest pair over gossip and sync. Nothing bad is stored or relayed, the
//! attacker is penalised, and the honest nodes keep working.

use coopnet_node::net::Command;
use coopnet_node::net::codec::SyncRequest;
use coopnet_protocol::{
    Body, Draft, Kind, KindCode, RecordId, SecretKey, SignedRecord, Timestamp, samples,
};
use coopnet_tests::{
    DEADLINE, TestNode, all_have, publish_profile, start_node, start_topology, stop_all, wait_for,
};

fn signed(secret: &SecretKey, body: Body, version: u64, at: Timestamp) -> SignedRecord {
    let key = if Kind::from_code(body.kind_code()).is_some_and(Kind::is_singleton) {
        ""
    } else {
        "x"
    };
    Draft::new(body, key, version, at).sign(secret).unwrap()
}

/// The attacker's view as its victim sees it: (gossip score, penalty points).
async fn standing(victim: &TestNode, attacker: &TestNode) -> Option<(f64, u32)> {
    let key = attacker.node.key();
    let peers = victim.node.net().peers().await.unwrap();
    let peer = peers.into_iter().find(|p| p.key == Some(key))?;
    Some((peer.gossip_score.unwrap_or(0.0), peer.penalty_points))
}

async fn holds(node: &TestNode, id: RecordId) -> bool {
    !node
        .node
        .store()
        .get_bytes(vec![id])
        .await
        .unwrap()
        .is_empty()
}

/// Two honest nodes in a line, and an attacker connected to the first.
async fn honest_pair_and_attacker(root: &std::path::Path) -> (Vec<TestNode>, TestNode) {
    let honest = start_topology(root, 2, |i| if i == 0 { vec![] } else { vec![0] }).await;
    let attacker = start_node(&root.join("attacker"), "Mallory", &[honest[0].addr.clone()]).await;
    (honest, attacker)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tampered_oversize_replayed_and_garbage_gossip_is_rejected_and_penalised() {
    let root = tempfile::tempdir().unwrap();
    let (honest, attacker) = honest_pair_and_attacker(root.path()).await;
    let now = coopnet_node::clock::now();
    let victim_key = SecretKey::from_seed(&[77; 32]);

    // A genuine co-op's profile at version 2 is known everywhere.
    let v1 = signed(&victim_key, Body::Profile(samples::profile(1)), 1, now);
    let v2 = signed(&victim_key, Body::Profile(samples::profile(2)), 2, now);
    honest[0]
        .node
        .import(vec![v2.bytes().to_vec()])
        .await
        .unwrap();
    let current = [v2.id()];
    wait_for("version 2 on both honest nodes", DEADLINE, || {
        all_have(&honest, &current)
    })
    .await;
    let victim_key_text = honest[0].node.key();
    wait_for(
        "the attacker to see the victim subscribed",
        DEADLINE,
        || async {
            let peers = attacker.node.net().peers().await.unwrap();
            peers
                .iter()
                .any(|p| p.key == Some(victim_key_text) && p.subscribed)
        },
    )
    .await;

    let genuine = signed(&victim_key, Body::Skills(samples::skills(1, 3)), 1, now);
    let mut forged = genuine.bytes().to_vec();
    *forged.last_mut().unwrap() ^= 1;
    let mut tampered = genuine.bytes().to_vec();
    tampered[120] ^= 0x20;
    let big = signed(
        &victim_key,
        Body::Opaque {
            kind: KindCode(999),
            bytes: vec![1; 65_000],
        },
        1,
        now,
    );
    let mut oversize = big.bytes().to_vec();
    oversize.extend(vec![0u8; 65_536 + 500 - oversize.len()]);
    let attacks = [
        forged,
        tampered,
        oversize,
        v1.bytes().to_vec(),
        b"\x01garbage on the topic".to_vec(),
    ];
    for bytes in attacks {
        attacker
            .node
            .net()
            .send(Command::PublishUnchecked(bytes))
            .await
            .unwrap();
    }

    wait_for(
        "the attacker's gossip score to fall below zero",
        DEADLINE,
        || async {
            standing(&honest[0], &attacker)
                .await
                .is_some_and(|(score, _)| score < 0.0)
        },
    )
    .await;
    for node in &honest {
        assert!(
            !holds(node, genuine.id()).await,
            "a forged record was stored"
        );
        assert!(
            !holds(node, big.id()).await,
            "an oversize record was stored"
        );
        assert!(
            !holds(node, v1.id()).await,
            "a replayed old version replaced the new one"
        );
        assert!(holds(node, v2.id()).await, "the current version was lost");
    }

    let after = vec![publish_profile(&honest[0].node, 5).await];
    wait_for("honest gossip to still flow", DEADLINE, || {
        all_have(&honest, &after)
    })
    .await;
    attacker.node.shutdown().await;
    stop_all(honest).await;
}

/// Waits for the attacker to connect, has it send `requests` on the sync
/// protocol to the first honest node, and waits for that node to block it.
async fn sync_requests_get_the_sender_blocked(
    honest: &[TestNode],
    attacker: &TestNode,
    requests: Vec<SyncRequest>,
) {
    wait_for("the attacker to connect", DEADLINE, || async {
        standing(&honest[0], attacker).await.is_some()
    })
    .await;
    let victim = coopnet_node::identity::peer_id_of(&honest[0].node.key()).unwrap();
    for request in requests {
        let command = Command::SendSyncRequest(victim, request);
        attacker.node.net().send(command).await.unwrap();
    }
    wait_for(
        "the honest node to block the attacker",
        DEADLINE,
        || async {
            let stats = honest[0].node.net().stats().await.unwrap();
            stats.peers_blocked >= 1 && standing(&honest[0], attacker).await.is_none()
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_on_the_sync_protocol_gets_the_sender_blocked() {
    let root = tempfile::tempdir().unwrap();
    let (honest, attacker) = honest_pair_and_attacker(root.path()).await;
    // NOTE: negentropy answers an unknown version byte in 0x60..=0x6f with
    // its own version (that is negotiation, not garbage), so these start
    // outside that range.
    let garbage = [b"\x00\x13\x37 junk".to_vec(), Vec::new()];
    let requests = garbage.into_iter().map(SyncRequest::Reconcile).collect();
    sync_requests_get_the_sender_blocked(&honest, &attacker, requests).await;
    let after = vec![publish_profile(&honest[1].node, 6).await];
    wait_for("the honest pair to keep working", DEADLINE, || {
        all_have(&honest, &after)
    })
    .await;
    attacker.node.shutdown().await;
    stop_all(honest).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_records_pushed_over_sync_are_refused_and_get_the_pusher_blocked() {
    let root = tempfile::tempdir().unwrap();
    let (honest, attacker) = honest_pair_and_attacker(root.path()).await;
    let now = coopnet_node::clock::now();
    let key = SecretKey::from_seed(&[78; 32]);
    let genuine = signed(&key, Body::Profile(samples::profile(3)), 1, now);
    let mut forged = genuine.bytes().to_vec();
    *forged.last_mut().unwrap() ^= 1;
    let push = SyncRequest::Push(vec![forged.clone(), forged]);
    sync_requests_get_the_sender_blocked(&honest, &attacker, vec![push]).await;
    for node in &honest {
        assert!(
            !holds(node, genuine.id()).await,
            "a forged record was stored"
        );
    }
    attacker.node.shutdown().await;
    stop_all(honest).await;
}
