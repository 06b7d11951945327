//! The node's heartbeat: a signed `NodeStatus` record (software version,
//! records held, peers connected, last sync, uptime) published every
//! period with an expiry three periods ahead, so every node knows who is
//! alive without asking. A node is online while its latest heartbeat is
//! under two periods old (one missed beat is forgiven).

use std::sync::{Arc, Weak};
use std::time::Duration;

use coopnet_protocol::kinds::{NodeStatus, NodeStatusFields};
use coopnet_protocol::{Body, Kind, Timestamp};

use crate::{Node, NodeError, Receipt};

/// Periods ahead a heartbeat expires.
pub const EXPIRY_PERIODS: u64 = 3;

impl Node {
    /// Publishes one heartbeat now.
    pub async fn beat(&self) -> Result<Receipt, NodeError> {
        let stats = self.net().stats().await.ok().unwrap_or_default();
        let peers = self.net().peers().await.map(|p| p.len()).unwrap_or(0);
        let records = self.store().counts().await?.records;
        let fields = NodeStatusFields {
            software_version: env!("CARGO_PKG_VERSION").to_owned(),
            records_held: records,
            peers_connected: u32::try_from(peers).unwrap_or(u32::MAX),
            last_sync: stats.last_sync_at.map(Timestamp),
            uptime_seconds: self.uptime().as_secs(),
        };
        let status = NodeStatus::parse(fields).map_err(NodeError::Field)?;
        let period = self.status_interval().as_millis() as u64;
        let expires = Timestamp(crate::clock::now().0 + EXPIRY_PERIODS * period);
        self.publish(
            Kind::NodeStatus.code(),
            "",
            Some(Body::NodeStatus(status)),
            Some(expires),
        )
        .await
    }

    /// Starts the heartbeat: one now, then one every
    /// [`Node::status_interval`], until the node is dropped or shut down.
    pub fn spawn_heartbeat(node: &Arc<Node>) {
        let weak: Weak<Node> = Arc::downgrade(node);
        let period = node.status_interval().max(Duration::from_millis(100));
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Some(node) = weak.upgrade() else {
                    return;
                };
                if let Err(e) = node.beat().await {
                    tracing::warn!("heartbeat not published: {e}");
                }
            }
        });
        node.keep_task(task);
    }
}
