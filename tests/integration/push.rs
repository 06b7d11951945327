//! One reconciliation per pair of peers: the side with the lower peer id
//! runs it, fetches what it lacks and pushes what the other lacks, so the
//! other never needs a session of its own.

use std::time::Duration;

use coopnet_node::identity::peer_id_of;
use coopnet_tests::{
    DEADLINE, TestNode, contracts, converged, start_node_syncing_every, stop_all, wait_for,
};

/// Two unconnected nodes that sync only when they connect, lower peer id
/// first.
async fn pair(root: &std::path::Path) -> (TestNode, TestNode) {
    let hour = Duration::from_secs(3_600);
    let a = start_node_syncing_every(&root.join("a"), "A", &[], hour).await;
    let b = start_node_syncing_every(&root.join("b"), "B", &[], hour).await;
    let id = |node: &TestNode| peer_id_of(&node.node.key()).unwrap();
    if id(&a) < id(&b) { (a, b) } else { (b, a) }
}

/// The higher one dials the lower one; both then hold the same records.
async fn meet(low: TestNode, high: TestNode) -> Vec<TestNode> {
    let addr = low.addr.parse().unwrap();
    high.node.net().dial(addr).await.unwrap().unwrap();
    let nodes = vec![low, high];
    wait_for("both to hold the same records", DEADLINE, || {
        converged(&nodes)
    })
    .await;
    nodes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_initiating_peer_fetches_what_it_lacks_and_pushes_what_the_other_lacks() {
    let root = tempfile::tempdir().unwrap();
    let (low, high) = pair(root.path()).await;

    // Records each holds before they ever meet (so gossip cannot carry
    // them): high lacks every seventh of low's 2,000, scattered, so the
    // session takes several rounds; low lacks high's own 300.
    let now = coopnet_node::clock::now();
    let shared = contracts(1..41, 50, now);
    let missing = shared.iter().step_by(7).count() as u64;
    let kept = shared.iter().enumerate().filter(|(i, _)| i % 7 != 0);
    low.node.import(shared.clone()).await.unwrap();
    let mut theirs: Vec<Vec<u8>> = kept.map(|(_, r)| r.clone()).collect();
    theirs.extend(contracts(41..47, 50, now));
    high.node.import(theirs).await.unwrap();

    // The higher one dials; the lower one still runs the session, and only
    // that one session (the next is an hour away) must do everything.
    let nodes = meet(low, high).await;

    let (low, high) = (&nodes[0], &nodes[1]);
    let low_stats = low.node.net().stats().await.unwrap();
    let high_stats = high.node.net().stats().await.unwrap();
    assert_eq!(low_stats.syncs_completed, 1, "{low_stats:?}");
    assert!(low_stats.reconcile_rounds > 1, "{low_stats:?}");
    // A difference this small is found by the sketch alone.
    assert_eq!(low_stats.sketch_fallbacks, 0, "{low_stats:?}");
    assert_eq!(low_stats.records_fetched, 300, "{low_stats:?}");
    assert_eq!(low_stats.records_pushed, missing, "{low_stats:?}");
    assert_eq!(
        high_stats.records_received_by_push, missing,
        "{high_stats:?}"
    );
    // The higher peer never reconciled on its own.
    assert_eq!(high_stats.reconcile_bytes_sent, 0, "{high_stats:?}");
    assert_eq!(high_stats.records_fetched, 0, "{high_stats:?}");
    stop_all(nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_difference_too_large_for_a_sketch_is_reconciled_by_ranges() {
    let root = tempfile::tempdir().unwrap();
    let (low, high) = pair(root.path()).await;
    // The sizes differ by more than a sketch is tried for (4,000).
    let now = coopnet_node::clock::now();
    let shared = contracts(1..84, 50, now);
    low.node.import(shared.clone()).await.unwrap();
    high.node.import(shared[..50].to_vec()).await.unwrap();

    let nodes = meet(low, high).await;
    let low_stats = nodes[0].node.net().stats().await.unwrap();
    assert_eq!(low_stats.syncs_completed, 1, "{low_stats:?}");
    assert_eq!(low_stats.sketch_fallbacks, 1, "{low_stats:?}");
    assert_eq!(low_stats.records_pushed, 4_100, "{low_stats:?}");
    stop_all(nodes).await;
}
