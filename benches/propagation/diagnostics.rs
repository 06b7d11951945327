//! What the in-process runs print beside their figures (on stderr): the
//! nodes' gossip counters, and which records and receivers were late.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::HEARTBEAT_MS;
use super::common::InProcess;

/// Prints the nodes' gossip counters summed (a diagnostic, on stderr);
/// returns each node's number of connected peers.
pub async fn print_node_counters(nodes: &[InProcess]) -> Vec<usize> {
    let mut connected = Vec::new();
    let (mut failed, mut overloaded, mut slow_intakes, mut max_intake) = (0, 0, 0, 0);
    for n in nodes {
        connected.push(n.node.net().peers().await.map_or(0, |p| p.len()));
        let stats = n.node.net().stats().await.expect("stats");
        failed += stats.gossip_sends_failed;
        overloaded += stats.gossip_dropped_overloaded;
        slow_intakes += stats.gossip_intake_slow;
        max_intake = max_intake.max(stats.gossip_intake_max_ms);
    }
    eprintln!(
        "gossip intakes (receipt to verdict) over {} ms: {slow_intakes}; longest {max_intake} ms",
        coopnet_node::net::SLOW_INTAKE_MS
    );
    eprintln!(
        "gossip sends that failed (slow peers): {failed}; ignored for a full ingest queue: \
         {overloaded}"
    );
    connected
}

/// Which nodes received records later than half a heartbeat, and how
/// many peers they had (a diagnostic, on stderr).
pub fn print_slow_receivers(
    published: &[(coopnet_protocol::RecordId, usize, Instant)],
    stamps: &HashMap<(usize, coopnet_protocol::RecordId), Instant>,
    connected: &[usize],
) {
    // One pass over the arrivals: each late one counts for its receiver
    // and for its record.
    let published_at: HashMap<_, _> = published.iter().map(|(id, _, t0)| (*id, *t0)).collect();
    let late_after = Duration::from_millis(HEARTBEAT_MS / 2);
    let mut slow: HashMap<usize, usize> = HashMap::new();
    let mut late_at: HashMap<coopnet_protocol::RecordId, usize> = HashMap::new();
    for ((node, id), at) in stamps {
        if published_at
            .get(id)
            .is_some_and(|t0| at.duration_since(*t0) > late_after)
        {
            *slow.entry(*node).or_default() += 1;
            *late_at.entry(*id).or_default() += 1;
        }
    }
    let mut per_record = [0usize; 4];
    for (id, _, _) in published {
        per_record[match late_at.get(id).copied().unwrap_or(0) {
            0 => 0,
            1..=5 => 1,
            6..=40 => 2,
            _ => 3,
        }] += 1;
    }
    eprintln!("records late at 0 / 1-5 / 6-40 / over 40 receivers: {per_record:?}");
    let mut slow: Vec<(usize, usize)> = slow.into_iter().collect();
    slow.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    let listed: Vec<String> = slow
        .iter()
        .take(12)
        .map(|(node, count)| format!("node {node} ({} peers): {count}", connected[*node]))
        .collect();
    eprintln!(
        "slow arrivals (> heartbeat / 2) by receiver: {}",
        listed.join(", ")
    );
}
