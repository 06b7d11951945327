//! "How many peers hold this record": what sync shows a node about which
//! connected peers hold its co-op's own records.

use coopnet_protocol::{Body, Kind, RecordId, samples};
use coopnet_tests::{DEADLINE, all_have, publish_profile, start_node, start_topology, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holders_counts_the_connected_peers_that_sync_shows_hold_our_records() {
    let root = tempfile::tempdir().unwrap();
    // A star: the two peers dial node 0 only.
    let mut nodes = start_topology(root.path(), 3, |i| if i == 0 { vec![] } else { vec![0] }).await;
    let a = nodes[0].node.clone();
    let holders = |ids: Vec<RecordId>| {
        let a = a.clone();
        async move { a.net().holders(ids).await.unwrap() }
    };
    let first = publish_profile(&a, 0).await;
    wait_for(
        "both peers known to hold the first record",
        DEADLINE,
        || async { holders(vec![first]).await == [2] },
    )
    .await;

    // A record that is not ours is not counted.
    let theirs = [publish_profile(&nodes[1].node, 1).await];
    wait_for("node 0 to hold a peer's record", DEADLINE, || {
        all_have(&nodes[..1], &theirs)
    })
    .await;
    assert_eq!(holders(vec![theirs[0], first]).await, [0, 2]);

    // One peer leaves; a record published meanwhile is held by the other.
    let gone = nodes.pop().unwrap();
    let gone_dir = gone.dir.clone();
    gone.node.shutdown().await;
    drop(gone);
    wait_for("the peer that left to be forgotten", DEADLINE, || async {
        holders(vec![first]).await == [1]
    })
    .await;
    let body = Body::Contract(samples::contract(1));
    let second = a
        .publish(Kind::Contract.code(), "c-1", Some(body), None)
        .await
        .unwrap()
        .id;
    wait_for(
        "the remaining peer known to hold both",
        DEADLINE,
        || async { holders(vec![first, second]).await == [1, 1] },
    )
    .await;

    // Back, it catches up on the second record and both count it.
    nodes.push(start_node(&gone_dir, "ignored", &[nodes[0].addr.clone()]).await);
    wait_for(
        "both peers known to hold both records",
        DEADLINE,
        || async { holders(vec![first, second]).await == [2, 2] },
    )
    .await;
    coopnet_tests::stop_all(nodes).await;
}
