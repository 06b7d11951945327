//! A closed federation between real nodes: admission, refusal of
//! non-members on gossip and sync, revocation, quarantine until membership,
//! the network key, and coordinators of other federations.

use std::time::Duration;

use coopnet_protocol::kinds::{Membership, MembershipFields, Role};
use coopnet_protocol::{Body, Draft, Kind, samples};
use coopnet_tests::federation::{found, prepare_member, start_federation, start_prepared};
use coopnet_tests::{DEADLINE, TestNode, all_have, publish_profile, stop_all, wait_for};

/// Grace before a non-member peer is dropped, when the test is not about it.
const GRACE: Duration = Duration::from_secs(30);

async fn connected(a: &TestNode, b: &TestNode) -> bool {
    let key = b.node.key();
    a.node
        .net()
        .peers()
        .await
        .unwrap()
        .iter()
        .any(|p| p.key == Some(key))
}

async fn stored(t: &TestNode, id: coopnet_protocol::RecordId) -> bool {
    !t.node.store().get_bytes(vec![id]).await.unwrap().is_empty()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admitted_coops_records_reach_everyone() {
    let root = tempfile::tempdir().unwrap();
    let fed = start_federation(root.path(), 2, None, GRACE).await;
    let id = vec![publish_profile(&fed.nodes[2].node, 2).await];
    wait_for("the member's profile on every node", DEADLINE, || {
        all_have(&fed.nodes, &id)
    })
    .await;
    stop_all(fed.nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_members_records_are_refused_via_gossip_and_sync_and_it_is_disconnected() {
    let root = tempfile::tempdir().unwrap();
    let fed = start_federation(root.path(), 1, None, Duration::from_secs(3)).await;
    let outsider_dir = root.path().join("outsider");
    prepare_member(&outsider_dir, "Outsider", &fed.file);
    let outsider = start_prepared(&outsider_dir, &[], Duration::from_secs(3)).await;
    // Published before connecting: only sync can carry it.
    let by_sync = publish_profile(&outsider.node, 3).await;
    outsider
        .node
        .net()
        .dial(fed.nodes[0].addr.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let founder_key = fed.nodes[0].node.key();
    wait_for(
        "the outsider to see the founder subscribed",
        DEADLINE,
        || async {
            let peers = outsider.node.net().peers().await.unwrap();
            peers
                .iter()
                .any(|p| p.key == Some(founder_key) && p.subscribed)
        },
    )
    .await;
    let body = Body::Contract(samples::contract(1));
    let by_gossip = outsider
        .node
        .publish(Kind::Contract.code(), "c-1", Some(body), None)
        .await
        .unwrap()
        .id;

    let founder = &fed.nodes[0];
    // The founder reconciles with the outsider (to learn roster records it
    // may hold) and fetches what it lacks; the outsider's own records are
    // dropped, neither stored nor held in quarantine (SPEC §9.4).
    wait_for(
        "the founder to fetch from the outsider",
        DEADLINE,
        || async { founder.node.net().stats().await.unwrap().records_fetched >= 2 },
    )
    .await;
    wait_for(
        "the outsider to be disconnected after its grace period",
        DEADLINE,
        || async { !connected(founder, &outsider).await },
    )
    .await;
    for node in &fed.nodes {
        for id in [by_sync, by_gossip] {
            assert!(!stored(node, id).await, "a non-member's record was stored");
            assert!(
                !node.node.gate().is_held(&id),
                "a non-member's record was held"
            );
        }
    }
    let still = vec![publish_profile(&fed.nodes[1].node, 1).await];
    wait_for("members to keep working", DEADLINE, || {
        all_have(&fed.nodes, &still)
    })
    .await;
    outsider.node.shutdown().await;
    stop_all(fed.nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_published_before_the_membership_arrived_is_accepted_once_it_does() {
    let root = tempfile::tempdir().unwrap();
    let fed = start_federation(root.path(), 1, None, GRACE).await;
    let dir = root.path().join("newcomer");
    let key = prepare_member(&dir, "Newcomer", &fed.file);
    let newcomer =
        start_prepared(&dir, &[fed.nodes[0].addr.clone()], Duration::from_secs(30)).await;
    let early = publish_profile(&newcomer.node, 4).await;
    wait_for(
        "the founder to fetch the early record",
        DEADLINE,
        || async {
            fed.nodes[0]
                .node
                .net()
                .stats()
                .await
                .unwrap()
                .records_fetched
                >= 1
        },
    )
    .await;
    assert!(
        !stored(&fed.nodes[0], early).await && !fed.nodes[0].node.gate().is_held(&early),
        "a non-member's own record was taken"
    );

    fed.nodes[0]
        .node
        .admit(key, "Newcomer", Role::Member, None)
        .await
        .unwrap();
    let ids = [early];
    wait_for(
        "the early record to be accepted on every member",
        DEADLINE,
        || all_have(&fed.nodes, &ids),
    )
    .await;
    newcomer.node.shutdown().await;
    stop_all(fed.nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_members_new_records_are_refused_and_its_old_ones_leave_search() {
    let root = tempfile::tempdir().unwrap();
    let fed = start_federation(root.path(), 2, None, GRACE).await;
    let (founder, revoked, witness) = (&fed.nodes[0], &fed.nodes[1], &fed.nodes[2]);
    let old = publish_profile(&revoked.node, 2).await; // "Tidewater Design Collective"
    let olds = [old];
    wait_for("the old profile everywhere", DEADLINE, || {
        all_have(&fed.nodes, &olds)
    })
    .await;
    assert_eq!(witness.node.search("Tidewater", 10).await.unwrap().len(), 1);

    founder
        .node
        .revoke(revoked.node.key(), "left the federation")
        .await
        .unwrap();
    let key = revoked.node.key();
    wait_for(
        "the witness to learn of the revocation",
        DEADLINE,
        || async {
            witness
                .node
                .gate()
                .view()
                .is_some_and(|v| v.is_revoked(&key))
        },
    )
    .await;
    wait_for("the revoked node to be dropped", DEADLINE, || async {
        !connected(founder, revoked).await
    })
    .await;
    assert!(
        witness
            .node
            .search("Tidewater", 10)
            .await
            .unwrap()
            .is_empty(),
        "old records leave search"
    );
    assert!(stored(witness, old).await, "old records are kept for audit");

    // A new record by the revoked co-op, however it arrives, is refused.
    let body = Body::Skills(samples::skills(2, 2));
    let fresh = revoked
        .node
        .publish(Kind::Skills.code(), "", Some(body), None)
        .await
        .unwrap();
    let bytes = revoked
        .node
        .store()
        .get_bytes(vec![fresh.id])
        .await
        .unwrap();
    let report = witness.node.import(bytes).await.unwrap();
    assert_eq!((report.current, report.refused), (0, 1));
    assert!(!stored(witness, fresh.id).await);
    stop_all(fed.nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_with_the_wrong_network_key_cannot_connect() {
    let root = tempfile::tempdir().unwrap();
    let fed = start_federation(root.path(), 1, Some([11; 32]), GRACE).await;
    let impostor_root = root.path().join("impostor");
    std::fs::create_dir_all(&impostor_root).unwrap();
    let (_, wrong_file) = found(&impostor_root, fed.genesis.coordinators[0], Some([12; 32]));
    let dir = impostor_root.join("node");
    prepare_member(&dir, "Impostor", &wrong_file);
    let impostor = start_prepared(&dir, &[], Duration::from_secs(30)).await;
    impostor
        .node
        .net()
        .dial(fed.nodes[0].addr.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    wait_for("the impostor's dial to fail", DEADLINE, || async {
        impostor.node.net().stats().await.unwrap().dial_failures >= 1
    })
    .await;
    assert!(!connected(&fed.nodes[0], &impostor).await);
    assert!(
        connected(&fed.nodes[0], &fed.nodes[1]).await,
        "members with the key are connected"
    );
    impostor.node.shutdown().await;
    stop_all(fed.nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_of_another_federation_cannot_admit_anyone_here() {
    let root = tempfile::tempdir().unwrap();
    let fed = start_federation(root.path(), 1, None, GRACE).await;
    let stranger = samples::secret(200);
    let hopeful = samples::secret(201).public();
    let mut records = Vec::new();
    // One naming this federation, one naming the stranger's own.
    for federation in [
        fed.genesis.id(),
        coopnet_protocol::kinds::FederationId([9; 32]),
    ] {
        let fields = MembershipFields {
            federation,
            member: hopeful,
            name: "Hopeful".into(),
            role: Role::Coordinator,
        };
        let body = Body::Membership(Membership::parse(fields).unwrap());
        let draft = Draft::new(
            body,
            hopeful.to_string(),
            federation.0[0].into(),
            coopnet_node::clock::now(),
        );
        records.push(draft.sign(&stranger).unwrap().into_bytes());
    }
    let report = fed.nodes[0].node.import(records).await.unwrap();
    assert_eq!(report.current, 0, "{report:?}");
    let view = fed.nodes[0].node.gate().view().unwrap();
    assert!(!view.is_member(&hopeful) && !view.is_member(&stranger.public()));
    stop_all(fed.nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_membership_that_lapses_ends_without_any_new_record() {
    let root = tempfile::tempdir().unwrap();
    let fed = start_federation(root.path(), 1, None, GRACE).await;
    let dir = root.path().join("short-term");
    let key = prepare_member(&dir, "Short Term", &fed.file);
    let lapse = coopnet_node::clock::now().plus_millis(3_000);
    let founder = &fed.nodes[0];
    founder
        .node
        .admit(key, "Short Term", Role::Member, Some(lapse))
        .await
        .unwrap();
    assert!(founder.node.gate().view().unwrap().is_member(&key));
    wait_for(
        "the membership to lapse on the founder",
        DEADLINE,
        || async { !founder.node.gate().view().unwrap().is_member(&key) },
    )
    .await;
    assert!(
        coopnet_node::clock::now() >= lapse,
        "it did not lapse early"
    );
    stop_all(fed.nodes).await;
}
