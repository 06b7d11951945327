//! One reconciliation per pair of peers: the side with the lower peer id
//! runs it, fetches what it lacks and pushes what the other lacks, so the
//! other never needs a session of its own.

use coopnet_node::identity::peer_id_of;
use coopnet_tests::{DEADLINE, contracts, converged, start_node, stop_all, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_initiating_peer_fetches_what_it_lacks_and_pushes_what_the_other_lacks() {
    let root = tempfile::tempdir().unwrap();
    let a = start_node(&root.path().join("a"), "A", &[]).await;
    let b = start_node(&root.path().join("b"), "B", &[]).await;
    let id = |node: &coopnet_tests::TestNode| peer_id_of(&node.node.key()).unwrap();
    let (low, high) = if id(&a) < id(&b) { (a, b) } else { (b, a) };

    // Records each holds before they ever meet (so gossip cannot carry them).
    let now = coopnet_node::clock::now();
    low.node.import(contracts(1..5, 50, now)).await.unwrap();
    high.node.import(contracts(5..8, 50, now)).await.unwrap();

    // The higher one dials; the lower one still runs the session.
    let addr = low.addr.parse().unwrap();
    high.node.net().dial(addr).await.unwrap().unwrap();
    let nodes = vec![low, high];
    wait_for("both to hold all 350 records", DEADLINE, || {
        converged(&nodes)
    })
    .await;

    let (low, high) = (&nodes[0], &nodes[1]);
    let low_stats = low.node.net().stats().await.unwrap();
    let high_stats = high.node.net().stats().await.unwrap();
    assert!(low_stats.syncs_completed >= 1, "{low_stats:?}");
    assert_eq!(low_stats.records_fetched, 150, "{low_stats:?}");
    assert_eq!(low_stats.records_pushed, 200, "{low_stats:?}");
    assert_eq!(high_stats.records_received_by_push, 200, "{high_stats:?}");
    // The higher peer never reconciled on its own.
    assert_eq!(high_stats.reconcile_bytes_sent, 0, "{high_stats:?}");
    assert_eq!(high_stats.records_fetched, 0, "{high_stats:?}");
    stop_all(nodes).await;
}
