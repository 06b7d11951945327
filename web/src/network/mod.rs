//! The network dashboard and the coordinators' pages (issue 19): every
//! member sees who is online, skills supply against demand, free capacity
//! per week (an SVG chart with its data table) and the bid pipeline;
//! coordinators also admit and revoke members and read the event log.
//! `/metrics` serves Prometheus' text format. The node does the work
//! behind [`NetworkDesk`]; the aggregates are its pure `dashboard` module.

pub(crate) mod api;
pub(crate) mod chart;
pub(crate) mod metrics;
pub(crate) mod pages;

use async_trait::async_trait;
use coopnet_protocol::{Day, PublicKey};
use serde::Serialize;
use utoipa::ToSchema;

use crate::backend::BackendError;

/// One member's node, as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MemberView {
    /// The co-op (64 hex).
    #[schema(value_type = String)]
    pub coop_key: PublicKey,
    /// Its name.
    pub name: String,
    /// `online`, `offline` or `never-seen`.
    pub state: String,
    /// Its latest heartbeat (Unix ms).
    pub last_seen: Option<u64>,
    /// The coopnet version it runs.
    pub software: Option<String>,
    /// Records its node held.
    pub records: Option<u64>,
    /// Records we hold minus those (positive: it is behind).
    pub behind: Option<i64>,
    /// Peers it was connected to.
    pub peers: Option<u32>,
    /// Its last successful sync (Unix ms).
    pub last_sync: Option<u64>,
    /// When its membership lapses (Unix ms), if it does.
    pub membership_expires: Option<u64>,
}

/// The federation's health.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct HealthView {
    /// Members online, then offline, then never seen.
    pub members: Vec<MemberView>,
    /// Members online.
    pub online: usize,
    /// Members offline.
    pub offline: usize,
    /// Members never heard from.
    pub never_seen: usize,
    /// Versions in use by nodes online, most used first.
    pub versions: Vec<VersionCount>,
    /// Records our node holds.
    pub records_held: u64,
    /// Gossip messages taken per minute since our node started.
    pub gossip_per_minute: f64,
    /// Sync sessions completed per minute since our node started.
    pub syncs_per_minute: f64,
    /// Seconds between heartbeats here; a node is offline two after its last.
    pub status_interval_secs: u64,
}

/// A software version and how many nodes run it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct VersionCount {
    /// The version.
    pub version: String,
    /// Nodes online running it.
    pub nodes: usize,
}

/// One skill's supply against demand.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SupplyView {
    /// The skill's name as a contract wrote it.
    pub skill: String,
    /// Open contracts requiring it.
    pub contracts: u64,
    /// Co-ops with it.
    pub coops: usize,
    /// People those co-ops said have it.
    pub headcount: u64,
    /// Free person-days of those co-ops in the next three months.
    pub days_3_months: f64,
    /// … in the next six months.
    pub days_6_months: f64,
}

/// One week's free person-days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct WeekView {
    /// Its Monday.
    #[schema(value_type = String, format = Date)]
    pub week_of: Day,
    /// Free person-days (windows spread evenly over their days).
    pub days: f64,
}

/// One month of the bid pipeline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct MonthView {
    /// `YYYY-MM`.
    pub month: String,
    /// Gathering partners.
    pub forming: u64,
    /// Sent to the buyer.
    pub submitted: u64,
    /// Won.
    pub won: u64,
    /// Lost.
    pub lost: u64,
    /// Withdrawn.
    pub withdrawn: u64,
}

/// The bid pipeline from public bid notices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct PipelineView {
    /// Per month of each notice's last change, oldest first.
    pub months: Vec<MonthView>,
    /// All months together.
    pub totals: MonthView,
    /// Won over won and lost, when any were decided.
    pub win_rate: Option<f64>,
}

/// An entry of the event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EventView {
    /// When (Unix ms).
    pub at: u64,
    /// `admitted`, `revoked`, `joined`, `rejected`, `blocked`.
    pub kind: String,
    /// The co-op it is about (64 hex).
    #[schema(value_type = Option<String>)]
    pub coop_key: Option<PublicKey>,
    /// Its name, when known.
    pub coop_name: Option<String>,
    /// The peer it came from.
    pub peer: Option<String>,
    /// What happened.
    pub detail: String,
}

/// A co-op that is not a member whose records wait in quarantine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PendingView {
    /// The co-op (64 hex).
    #[schema(value_type = String)]
    pub coop_key: PublicKey,
    /// The name its profile gives, if one is held.
    pub name: Option<String>,
    /// Its records held.
    pub records: usize,
}

/// What coordinating means on this node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Coordination {
    /// The federation's name (none: an open network).
    pub federation: Option<String>,
    /// Whether our co-op is one of its coordinators.
    pub we_coordinate: bool,
    /// Who tried to join.
    pub pending: Vec<PendingView>,
}

/// What the web app asks of the node about the network.
#[async_trait]
pub trait NetworkDesk: Send + Sync {
    /// Who is online.
    async fn health(&self) -> Result<HealthView, BackendError>;
    /// Skills supply against demand, scarcest first.
    async fn supply(&self) -> Result<Vec<SupplyView>, BackendError>;
    /// Free person-days per week for 26 weeks, of co-ops with `skill` in
    /// `region` when given.
    async fn capacity(
        &self,
        skill: Option<String>,
        region: Option<String>,
    ) -> Result<Vec<WeekView>, BackendError>;
    /// Regions co-ops give, as written.
    async fn regions(&self) -> Result<Vec<String>, BackendError>;
    /// The bid pipeline.
    async fn pipeline(&self) -> Result<PipelineView, BackendError>;
    /// The newest events, newest first.
    async fn events(&self, limit: usize) -> Result<Vec<EventView>, BackendError>;
    /// The federation, whether we coordinate it, who tried to join.
    async fn coordination(&self) -> Result<Coordination, BackendError>;
    /// Admits the co-op of a join code (as a coordinator if asked);
    /// returns its name.
    async fn admit(&self, join_code: String, coordinator: bool) -> Result<String, BackendError>;
    /// Revokes a member, saying why.
    async fn revoke(&self, coop: PublicKey, reason: String) -> Result<(), BackendError>;
    /// `/metrics` in Prometheus' text format.
    async fn metrics(&self) -> Result<String, BackendError>;
}
