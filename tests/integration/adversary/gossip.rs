//! Gossip from hostile peers: forged copies sent first cannot shadow the
//! genuine record, racing versions punish nobody honest, and invalid
//! messages are rejected and penalised.

use std::time::{Duration, Instant};

use coopnet_protocol::{Body, KindCode, SecretKey, samples};
use coopnet_tests::{DEADLINE, all_have, publish_profile, stop_all, wait_for};

use super::*;

/// How long a record may take to reach every node by gossip in these
/// tests (it takes milliseconds; sync would take an hour).
const PROPAGATION: Duration = Duration::from_secs(5);

/// A forger sends a copy of a record with a broken signature to every node
/// before the record's author gossips the genuine one to one node.
async fn genuine_record_survives_a_forged_copy_sent_first(forger_is_member: bool) {
    let root = tempfile::tempdir().unwrap();
    let fed = gossip_only_federation(root.path(), 2).await;
    let author = SecretKey::from_seed(&[70; 32]);
    let forger = SecretKey::from_seed(&[71; 32]);
    fed.admit(author.public(), "Author").await;
    if forger_is_member {
        fed.admit(forger.public(), "Forger").await;
    }
    let forging = hostile_connected_to(&fed, &forger, &[0, 1, 2]).await;
    let publishing = hostile_connected_to(&fed, &author, &[0]).await;
    wait_subscribed(&fed, &forging, &[0, 1, 2]).await;
    wait_subscribed(&fed, &publishing, &[0]).await;

    let now = coopnet_node::clock::now();
    let genuine = signed(&author, Body::Profile(samples::profile(7)), "", 1, now);
    let mut forged = genuine.bytes().to_vec();
    *forged.last_mut().unwrap() ^= 1;
    assert_eq!(forging.gossip(vec![forged]).await, 1);
    if forger_is_member {
        for node in &fed.nodes {
            wait_for("the forged copy to be rejected", DEADLINE, || async {
                standing(node, forger.public())
                    .await
                    .is_some_and(|(score, _)| score < 0.0)
            })
            .await;
        }
    }
    let sent = Instant::now();
    assert_eq!(publishing.gossip(vec![genuine.bytes().to_vec()]).await, 1);
    let ids = [genuine.id()];
    wait_for("the genuine record on every node", PROPAGATION, || {
        all_have(&fed.nodes, &ids)
    })
    .await;
    eprintln!(
        "genuine record everywhere {:?} after it was sent",
        sent.elapsed()
    );
    forging.stop();
    publishing.stop();
    stop_all(fed.nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_copy_sent_first_by_a_non_member_does_not_shadow_the_genuine_record() {
    genuine_record_survives_a_forged_copy_sent_first(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_copy_sent_first_by_a_member_does_not_shadow_the_genuine_record() {
    genuine_record_survives_a_forged_copy_sent_first(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_versions_punish_no_honest_peer_and_gossip_stays_fast() {
    let root = tempfile::tempdir().unwrap();
    let fed = gossip_only_federation(root.path(), 2).await;
    let author = SecretKey::from_seed(&[72; 32]);
    fed.admit(author.public(), "Racer").await;
    // The author's key on two connections, to the two ends: node 2 gets
    // each even version first, and the odd one before it later, relayed
    // by honest nodes.
    let odd = hostile_connected_to(&fed, &author, &[0]).await;
    let even = hostile_connected_to(&fed, &author, &[2]).await;
    wait_subscribed(&fed, &odd, &[0]).await;
    wait_subscribed(&fed, &even, &[2]).await;
    let now = coopnet_node::clock::now();
    let version = |v: u64| {
        signed(
            &author,
            Body::Profile(samples::profile(v as usize)),
            "",
            v,
            now,
        )
    };
    const ROUNDS: u64 = 30;
    for k in 0..ROUNDS {
        odd.gossip(vec![version(2 * k + 1).bytes().to_vec()]).await;
        even.gossip(vec![version(2 * k + 2).bytes().to_vec()]).await;
    }
    let last = [version(2 * ROUNDS).id()];
    wait_for("the last version everywhere", DEADLINE, || {
        all_have(&fed.nodes, &last)
    })
    .await;
    for (i, node) in fed.nodes.iter().enumerate() {
        for (j, other) in fed.nodes.iter().enumerate() {
            if let (true, Some((score, points))) = (i != j, standing(node, other.node.key()).await)
            {
                assert!(score >= 0.0, "node {i} scores honest node {j} at {score}");
                assert_eq!(points, 0, "node {i} holds points against honest node {j}");
            }
        }
    }
    let sent = Instant::now();
    let after = [publish_profile(&fed.nodes[1].node, 3).await];
    wait_for("honest gossip to stay fast", PROPAGATION, || {
        all_have(&fed.nodes, &after)
    })
    .await;
    eprintln!("honest record everywhere after {:?}", sent.elapsed());
    odd.stop();
    even.stop();
    stop_all(fed.nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tampered_oversize_and_garbage_gossip_is_rejected_and_penalised() {
    let root = tempfile::tempdir().unwrap();
    let fed = gossip_only_federation(root.path(), 1).await;
    let attacker = SecretKey::from_seed(&[73; 32]);
    fed.admit(attacker.public(), "Mallory").await;
    let hostile = hostile_connected_to(&fed, &attacker, &[0]).await;
    wait_subscribed(&fed, &hostile, &[0]).await;
    let now = coopnet_node::clock::now();
    let victim = SecretKey::from_seed(&[77; 32]);
    fed.admit(victim.public(), "Victim").await;

    let genuine = signed(&victim, Body::Skills(samples::skills(1, 3)), "", 1, now);
    let mut forged = genuine.bytes().to_vec();
    *forged.last_mut().unwrap() ^= 1;
    let mut tampered = genuine.bytes().to_vec();
    tampered[120] ^= 0x20;
    let opaque = Body::Opaque {
        kind: KindCode(999),
        bytes: vec![1; 65_000],
    };
    let big = signed(&victim, opaque, "x", 1, now);
    let mut oversize = big.bytes().to_vec();
    oversize.extend(vec![0u8; 65_536 + 500 - oversize.len()]);
    let garbage = b"\x01garbage on the topic".to_vec();
    let attacks = vec![forged, tampered, oversize, garbage];
    assert_eq!(hostile.gossip(attacks).await, 4);

    wait_for(
        "the attacker's gossip score to fall below zero",
        DEADLINE,
        || async {
            standing(&fed.nodes[0], attacker.public())
                .await
                .is_some_and(|(score, _)| score < 0.0)
        },
    )
    .await;
    for node in &fed.nodes {
        assert!(
            !holds(node, genuine.id()).await,
            "a forged record was stored"
        );
        assert!(
            !holds(node, big.id()).await,
            "an oversize record was stored"
        );
    }
    let after = vec![publish_profile(&fed.nodes[1].node, 5).await];
    wait_for("honest gossip to still flow", DEADLINE, || {
        all_have(&fed.nodes, &after)
    })
    .await;
    hostile.stop();
    stop_all(fed.nodes).await;
}
