//! The sync protocol from hostile peers: malformed frames and invalid
//! records are penalised as SPEC §8.2 says, and nothing they carry is
//! stored.

use coopnet_node::net::score::{BLOCK_AT_POINTS, MALFORMED_FRAME_POINTS};
use coopnet_protocol::{Body, SecretKey, samples};
use coopnet_tests::hostile::frame;
use coopnet_tests::{DEADLINE, all_have, publish_profile, stop_all, wait_for};

use super::*;

/// Request frames that break SPEC §8.2, each with what it breaks.
fn malformed_frames() -> Vec<(&'static str, Vec<u8>)> {
    let mut sketch_of_no_cells = vec![4u8];
    sketch_of_no_cells.extend([0u8; 16]);
    sketch_of_no_cells.extend([0u8; 8]);
    vec![
        ("an empty frame", 0u32.to_be_bytes().to_vec()),
        (
            "a frame longer than any request",
            (1u32 << 24).to_be_bytes().to_vec(),
        ),
        ("an unknown tag", frame(&[9])),
        ("a fetch of a partial id", frame(&[1, 1, 2, 3])),
        ("a push with a cut record", frame(&[2, 0, 0, 0, 9, 1])),
        ("a reconciled with a body", frame(&[3, 0])),
        ("a sketch request for no cells", frame(&sketch_of_no_cells)),
        (
            "a reconciliation message that is not negentropy",
            frame(b"\x00\x13\x37 junk"),
        ),
    ]
}

/// What a refusal answer (SPEC §8.2: tag 0x02 and a reason) says, if the
/// answer is one.
fn refusal(answer: &[u8]) -> Option<String> {
    match answer.get(4..)?.split_first()? {
        (2, reason) => Some(String::from_utf8_lossy(reason).into_owned()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_malformed_frame_is_refused_and_penalised_and_a_second_gets_the_sender_blocked() {
    let root = tempfile::tempdir().unwrap();
    let fed = gossip_only_federation(root.path(), 1).await;
    let founder = &fed.nodes[0];
    let founder_peer = coopnet_node::identity::peer_id_of(&founder.node.key()).unwrap();
    for (i, (what, bytes)) in malformed_frames().into_iter().enumerate() {
        let secret = SecretKey::from_seed(&[100 + i as u8; 32]);
        let hostile = hostile_connected_to(&fed, &secret, &[0]).await;
        let answer = hostile.sync(founder_peer, bytes.clone()).await;
        let points = standing(founder, secret.public()).await.map(|(_, p)| p);
        assert_eq!(points, Some(MALFORMED_FRAME_POINTS), "{what}: {answer:?}");
        // Refused with the reason (negentropy's own errors are refused too).
        let answer = answer.unwrap_or_else(|e| panic!("{what}: no answer: {e}"));
        let reason = refusal(&answer).unwrap_or_else(|| panic!("{what}: not a refusal"));
        assert!(!reason.is_empty(), "{what}");

        let blocked_before = founder.node.net().stats().await.unwrap().peers_blocked;
        let _ = hostile.sync(founder_peer, bytes).await;
        const { assert!(2 * MALFORMED_FRAME_POINTS >= BLOCK_AT_POINTS) };
        wait_for(
            "the sender of two malformed frames to be blocked",
            DEADLINE,
            || async {
                let stats = founder.node.net().stats().await.unwrap();
                stats.peers_blocked > blocked_before
                    && standing(founder, secret.public()).await.is_none()
            },
        )
        .await;
        hostile.stop();
    }
    let after = vec![publish_profile(&fed.nodes[1].node, 6).await];
    wait_for("members to keep working", DEADLINE, || {
        all_have(&fed.nodes, &after)
    })
    .await;
    stop_all(fed.nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_records_pushed_over_sync_are_refused_and_get_the_pusher_blocked() {
    let root = tempfile::tempdir().unwrap();
    let fed = gossip_only_federation(root.path(), 1).await;
    let attacker = SecretKey::from_seed(&[80; 32]);
    fed.admit(attacker.public(), "Mallory").await;
    let hostile = hostile_connected_to(&fed, &attacker, &[0]).await;
    let founder = &fed.nodes[0];
    let founder_peer = coopnet_node::identity::peer_id_of(&founder.node.key()).unwrap();
    let now = coopnet_node::clock::now();
    let genuine = signed(&attacker, Body::Profile(samples::profile(3)), "", 1, now);
    let mut forged = genuine.bytes().to_vec();
    *forged.last_mut().unwrap() ^= 1;
    let mut push = vec![2u8];
    for _ in 0..2 {
        push.extend((forged.len() as u32).to_be_bytes());
        push.extend(&forged);
    }
    let _ = hostile.sync(founder_peer, frame(&push)).await;
    wait_for(
        "the pusher of forged records to be blocked",
        DEADLINE,
        || async {
            founder.node.net().stats().await.unwrap().peers_blocked >= 1
                && standing(founder, attacker.public()).await.is_none()
        },
    )
    .await;
    for node in &fed.nodes {
        assert!(
            !holds(node, genuine.id()).await,
            "a forged record was stored"
        );
    }
    hostile.stop();
    stop_all(fed.nodes).await;
}
