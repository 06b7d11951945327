//! A member floods the federation with valid records: the excess is
//! refused and counted, the flooder penalised (and no honest relay with
//! it), honest gossip keeps flowing,
//! memory stays bounded, and the nodes converge by sync afterwards.

use std::time::{Duration, Instant};

use coopnet_protocol::{Body, SecretKey, samples};
use coopnet_tests::federation::start_federation_with;
use coopnet_tests::{DEADLINE, all_have, converged, publish_profile, stop_all, wait_for};

use super::*;

/// Records the flooder sends, as fast as it can.
const FLOOD: usize = 5_000;

/// The process's peak resident memory, in KiB (`VmHWM`).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The lowest score any node gives another (honest) node, polled every
/// 20 ms until `watching` turns false, and who gave it to whom.
async fn lowest_honest_score(
    nodes: Vec<std::sync::Arc<coopnet_node::Node>>,
    mut watching: tokio::sync::watch::Receiver<bool>,
) -> (f64, String) {
    let mut lowest = (f64::INFINITY, String::new());
    while *watching.borrow() {
        for (i, node) in nodes.iter().enumerate() {
            let peers = node.net().peers().await.unwrap_or_default();
            for (j, other) in nodes.iter().enumerate().filter(|(j, _)| *j != i) {
                let score = peers
                    .iter()
                    .find(|p| p.key == Some(other.key()))
                    .and_then(|p| p.gossip_score);
                if let Some(score) = score.filter(|s| *s < lowest.0) {
                    lowest = (score, format!("node {i} scored honest node {j}"));
                }
            }
        }
        let _ = tokio::time::timeout(Duration::from_millis(20), watching.changed()).await;
    }
    lowest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_member_is_throttled_and_penalised_while_honest_gossip_flows() {
    let root = tempfile::tempdir().unwrap();
    let fed = start_federation_with(root.path(), 1, None, GRACE, Duration::from_secs(1)).await;
    let flooder = SecretKey::from_seed(&[95; 32]);
    fed.admit(flooder.public(), "Flooder").await;
    let hostile = hostile_connected_to(&fed, &flooder, &[0, 1]).await;
    wait_subscribed(&fed, &hostile, &[0, 1]).await;
    let now = coopnet_node::clock::now();
    let records: Vec<Vec<u8>> = (0..FLOOD)
        .map(|i| {
            let body = Body::Contract(samples::contract(i));
            signed(&flooder, body, &format!("flood-{i}"), 1, now).into_bytes()
        })
        .collect();
    let peak_before = peak_rss_kib();

    // Honest nodes relay copies of the flood that were within the author's
    // rate where they were taken: none of them may be blamed for it, at any
    // moment (penalties decay, so the scores are watched throughout).
    let watching = tokio::sync::watch::channel(true);
    let nodes = fed.nodes.iter().map(|n| n.node.clone()).collect();
    let lowest = tokio::spawn(lowest_honest_score(nodes, watching.1));
    let started = Instant::now();
    let sent = hostile.gossip(records).await;
    let rate = sent as f64 / started.elapsed().as_secs_f64();
    eprintln!("flooder sent {sent} records at {rate:.0}/s");
    assert!(sent > 1_000, "the flood did not go out: {sent}");
    let honest = [publish_profile(&fed.nodes[1].node, 2).await];
    let during = Instant::now();
    wait_for(
        "honest gossip to flow during the flood",
        Duration::from_secs(10),
        || all_have(&fed.nodes, &honest),
    )
    .await;
    eprintln!(
        "honest record everywhere {:?} after publishing",
        during.elapsed()
    );

    let founder = &fed.nodes[0];
    wait_for("the flooder to be penalised", DEADLINE, || async {
        standing(founder, flooder.public())
            .await
            .is_none_or(|(score, _)| score < 0.0)
    })
    .await;
    let stats = founder.node.net().stats().await.unwrap();
    let refused = stats.gossip_over_author_rate + stats.gossip_over_peer_rate;
    assert!(refused > 0, "nothing was refused: {stats:?}");
    eprintln!(
        "refused at the founder: {} over the author's rate, {} over the peer's",
        stats.gossip_over_author_rate, stats.gossip_over_peer_rate
    );

    hostile.stop();
    wait_for("the members to converge by sync", DEADLINE, || {
        converged(&fed.nodes)
    })
    .await;
    let _ = watching.0.send(false);
    let (lowest, who) = lowest.await.unwrap();
    assert!(lowest >= 0.0, "{who} at {lowest}");
    let growth_mib = peak_rss_kib().saturating_sub(peak_before) / 1024;
    eprintln!("peak memory grew by {growth_mib} MiB");
    assert!(growth_mib < 256, "peak memory grew by {growth_mib} MiB");
    stop_all(fed.nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_keeps_flooding_is_disconnected_and_blocked() {
    let root = tempfile::tempdir().unwrap();
    let fed = start_federation_with(root.path(), 1, None, GRACE, Duration::from_secs(1)).await;
    let flooder = SecretKey::from_seed(&[96; 32]);
    fed.admit(flooder.public(), "Flooder").await;
    // Connected to the founder alone, so every record it takes comes from
    // the flooder itself.
    let hostile = hostile_connected_to(&fed, &flooder, &[0]).await;
    wait_subscribed(&fed, &hostile, &[0]).await;
    let now = coopnet_node::clock::now();
    let records: Vec<Vec<u8>> = (0..3_000)
        .map(|i| {
            let body = Body::Contract(samples::contract(i));
            signed(&flooder, body, &format!("flood-{i}"), 1, now).into_bytes()
        })
        .collect();
    hostile.gossip(records).await;
    let founder = &fed.nodes[0];
    wait_for("the founder to block the flooder", DEADLINE, || async {
        founder.node.net().stats().await.unwrap().peers_blocked >= 1
    })
    .await;
    wait_for("the flooder to be disconnected", DEADLINE, || async {
        standing(founder, flooder.public()).await.is_none()
    })
    .await;
    // An honest member is still connected and in good standing.
    let member = fed.nodes[1].node.key();
    let (score, points) = standing(founder, member).await.unwrap();
    assert!(score >= 0.0 && points == 0, "{score} {points}");
    hostile.stop();
    stop_all(fed.nodes).await;
}
