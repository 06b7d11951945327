//! Propagation and convergence between real nodes over loopback TCP:
//! gossip along a line and a random mesh, a late joiner, a restart, and a
//! healed partition.

use coopnet_tests::{
    DEADLINE, all_have, contracts, converged, publish_profile, record_set, start_node,
    start_topology, stop_all, wait_for,
};

fn line(i: usize) -> Vec<usize> {
    if i == 0 { vec![] } else { vec![i - 1] }
}

/// Each node dials one or two earlier nodes, chosen by a seeded generator,
/// so the graph is connected but its shape varies with the seed.
fn seeded_random(seed: u64) -> impl Fn(usize) -> Vec<usize> {
    move |i| {
        if i == 0 {
            return vec![];
        }
        let mut x = seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % i as u64) as usize
        };
        let mut links = vec![next()];
        if i > 1 && seed.is_multiple_of(2) {
            links.push(next());
        }
        links.dedup();
        links
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_published_anywhere_on_a_line_of_five_reaches_every_node() {
    let root = tempfile::tempdir().unwrap();
    let nodes = start_topology(root.path(), 5, line).await;
    let mut ids = Vec::new();
    for (n, publisher) in [0, 4, 2].into_iter().enumerate() {
        ids.push(publish_profile(&nodes[publisher].node, n).await);
    }
    wait_for("every node to hold every profile", DEADLINE, || {
        all_have(&nodes, &ids)
    })
    .await;
    stop_all(nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_published_anywhere_in_a_seeded_random_mesh_reaches_every_node() {
    for seed in [7, 42] {
        let root = tempfile::tempdir().unwrap();
        let nodes = start_topology(root.path(), 5, seeded_random(seed)).await;
        let publisher = (seed % 5) as usize;
        let ids = vec![publish_profile(&nodes[publisher].node, publisher).await];
        wait_for(
            &format!("seed {seed}: the profile on every node"),
            DEADLINE,
            || all_have(&nodes, &ids),
        )
        .await;
        stop_all(nodes).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sixth_node_joining_after_2000_records_exist_converges() {
    let root = tempfile::tempdir().unwrap();
    let nodes = start_topology(root.path(), 5, line).await;
    let records = contracts(100..140, 50, coopnet_node::clock::now());
    let report = nodes[2].node.import(records).await.unwrap();
    assert_eq!(report.current, 2_000);
    wait_for("the line to share the 2,000 records", DEADLINE, || {
        converged(&nodes)
    })
    .await;

    let late = start_node(
        &root.path().join("late"),
        "Late Co-op",
        &[nodes[4].addr.clone()],
    )
    .await;
    let expected = record_set(&nodes[0].node).await;
    assert_eq!(expected.len(), 2_000);
    wait_for("the late joiner to hold all 2,000", DEADLINE, || async {
        record_set(&late.node).await == expected
    })
    .await;
    stop_all(nodes).await;
    late.node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_node_keeps_its_key_and_records_and_catches_up() {
    let root = tempfile::tempdir().unwrap();
    let mut nodes = start_topology(root.path(), 3, line).await;
    let before = vec![publish_profile(&nodes[2].node, 2).await];
    wait_for("the first profile everywhere", DEADLINE, || {
        all_have(&nodes, &before)
    })
    .await;

    let stopped = nodes.pop().unwrap();
    let (dir, key) = (stopped.dir.clone(), stopped.node.key());
    let config_before = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    stopped.node.shutdown().await;
    drop(stopped);
    let missed = vec![publish_profile(&nodes[0].node, 0).await];

    let restarted = start_node(&dir, "ignored", &[nodes[1].addr.clone()]).await;
    assert_eq!(restarted.node.key(), key);
    assert_eq!(
        std::fs::read_to_string(dir.join("config.toml")).unwrap(),
        config_before
    );
    let held = restarted
        .node
        .store()
        .get_bytes(before.clone())
        .await
        .unwrap();
    assert_eq!(held.len(), 1, "records survive the restart");
    nodes.push(restarted);
    wait_for("the restarted node to catch up", DEADLINE, || {
        all_have(&nodes, &missed)
    })
    .await;
    stop_all(nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_halves_that_publish_apart_converge_when_they_reconnect() {
    let root = tempfile::tempdir().unwrap();
    let left = start_topology(&root.path().join("left"), 3, line).await;
    let right = start_topology(&root.path().join("right"), 3, line).await;
    let left_ids: Vec<_> = publish_profiles(&left, 0).await;
    let right_ids: Vec<_> = publish_profiles(&right, 10).await;
    wait_for("each half to converge alone", DEADLINE, || async {
        all_have(&left, &left_ids).await && all_have(&right, &right_ids).await
    })
    .await;
    assert!(
        !all_have(&left, &right_ids).await,
        "the halves really were apart"
    );

    let bridge = right[0].addr.parse().unwrap();
    left[2].node.net().dial(bridge).await.unwrap().unwrap();
    let everyone: Vec<_> = left.into_iter().chain(right).collect();
    wait_for("all six to hold identical sets", DEADLINE, || {
        converged(&everyone)
    })
    .await;
    let all_ids: Vec<_> = left_ids.into_iter().chain(right_ids).collect();
    assert!(all_have(&everyone, &all_ids).await);
    stop_all(everyone).await;
}

/// Each node of a half publishes its profile; returns the ids.
async fn publish_profiles(
    half: &[coopnet_tests::TestNode],
    offset: usize,
) -> Vec<coopnet_protocol::RecordId> {
    let mut ids = Vec::new();
    for (i, t) in half.iter().enumerate() {
        ids.push(publish_profile(&t.node, offset + i).await);
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coop_two_hops_away_is_found_by_its_key_through_the_dht_and_dialled() {
    let root = tempfile::tempdir().unwrap();
    let nodes = start_topology(root.path(), 3, line).await;
    let (first, last) = (&nodes[0].node, nodes[2].node.key());
    let connected = || async {
        let peers = first.net().peers().await.unwrap();
        peers.iter().any(|p| p.key == Some(last))
    };
    assert!(!connected().await, "the ends of the line start apart");
    let found = std::sync::Mutex::new(Vec::new());
    wait_for("the DHT to find the far end", DEADLINE, || async {
        let addrs = first.net().find(&last).await.unwrap().unwrap_or_default();
        *found.lock().unwrap() = addrs;
        !found.lock().unwrap().is_empty()
    })
    .await;
    let addrs = found.into_inner().unwrap();
    assert!(
        addrs
            .iter()
            .any(|a| nodes[2].addr.starts_with(&a.to_string())),
        "{addrs:?}"
    );
    wait_for(
        "the first node to connect to the found one",
        DEADLINE,
        connected,
    )
    .await;
    stop_all(nodes).await;
}
