//! `NodeStatus`: a node's periodic signed heartbeat, for coordinators.

use serde::{Deserialize, Serialize};

use super::fields::{self, Checked};
use super::validated;
use crate::time::Timestamp;

/// The plain fields of a [`NodeStatus`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStatusFields {
    /// The coopnet version the node runs, 1–50 characters.
    pub software_version: String,
    /// Records in the node's replica.
    pub records_held: u64,
    /// Peers connected when the heartbeat was issued.
    pub peers_connected: u32,
    /// When the node last completed a sync round with a peer.
    pub last_sync: Option<Timestamp>,
    /// Seconds since the node started.
    pub uptime_seconds: u64,
}

impl NodeStatusFields {
    pub(crate) fn check(&self) -> Checked {
        fields::line("software_version", &self.software_version, 1, 50)
    }
}

validated! {
    /// A node's heartbeat: one per co-op, key empty, replaced as it beats.
    NodeStatus(NodeStatusFields)
}
