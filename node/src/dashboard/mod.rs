//! The network dashboard (issue 19) as `Node` methods: who is alive
//! (`health.rs`, from heartbeats, `heartbeat.rs`), skills supply against
//! demand (`supply.rs`), free capacity per week (`weekly.rs`) and the bid
//! pipeline (`pipeline.rs`). Those four are pure; this module reads the
//! small derived tables `store::network` keeps in step with the replica
//! (never every record) and hands them over.

pub mod health;
mod heartbeat;
pub mod pipeline;
pub mod supply;
pub mod weekly;

use std::collections::HashMap;

use coopnet_protocol::PublicKey;

pub use heartbeat::EXPIRY_PERIODS;

use crate::store::network as sql;
use crate::{Node, NodeError};
use health::{Health, Member};
use pipeline::Pipeline;
use supply::SupplyLine;
use weekly::Week;

/// Weeks the capacity chart shows.
pub const CAPACITY_WEEKS: usize = 26;
/// Skills the supply table shows at most.
pub const SUPPLY_SKILLS: usize = 200;

/// Today, in days since 1970 (UTC).
pub fn today() -> i64 {
    (crate::clock::now().0 / 86_400_000) as i64
}

impl Node {
    /// The members (or, in an open network, every co-op we know) and
    /// how their nodes are.
    pub async fn network_health(&self) -> Result<Health, NodeError> {
        let view = self.gate().view();
        let ours = self.store().counts().await?.records;
        let (statuses, names, coops, expiries) = self
            .store()
            .read_network(|conn| {
                Ok((
                    sql::statuses(conn)?,
                    sql::names(conn)?,
                    sql::coops(conn)?,
                    sql::membership_expiries(conn)?,
                ))
            })
            .await?;
        let mut keys: Vec<PublicKey> = match &view {
            Some(view) => view.members().copied().collect(),
            None => {
                let mut keys: Vec<PublicKey> = coops.into_iter().map(|(_, k)| k).collect();
                keys.extend(statuses.iter().map(|s| s.coop));
                keys
            }
        };
        keys.sort();
        keys.dedup();
        let members: Vec<Member> = keys
            .into_iter()
            .map(|k| {
                let name = if k == self.key() {
                    self.name().to_owned()
                } else {
                    names.get(&k).cloned().unwrap_or_else(|| k.short())
                };
                let expires = expiries.get(&k.to_string()).copied().flatten();
                (k, name, expires)
            })
            .collect();
        Ok(health::health(
            &members,
            &statuses,
            ours,
            crate::clock::now().0,
        ))
    }

    /// Skills open contracts require against the co-ops that have them,
    /// scarcest first.
    pub async fn skills_supply(&self) -> Result<Vec<SupplyLine>, NodeError> {
        let today = today();
        let (demand, holders, windows) = self
            .store()
            .read_network(move |conn| {
                let demand = sql::demand(conn, SUPPLY_SKILLS)?;
                let mut holders = HashMap::new();
                for d in &demand {
                    holders.insert(d.skill.clone(), sql::holders(conn, &d.skill)?);
                }
                let mut windows: HashMap<i64, Vec<sql::WindowRow>> = HashMap::new();
                for w in sql::windows(conn, today, None)? {
                    windows.entry(w.coop).or_default().push(w);
                }
                Ok((demand, holders, windows))
            })
            .await?;
        Ok(supply::supply(&demand, &holders, &windows, today))
    }

    /// Free person-days per week for [`CAPACITY_WEEKS`] weeks, of co-ops
    /// with `skill` (a skill name) in `region` (a region as written), if
    /// given.
    pub async fn capacity_weeks(
        &self,
        skill: Option<String>,
        region: Option<String>,
    ) -> Result<Vec<Week>, NodeError> {
        let today = today();
        let term = skill.and_then(|s| coopnet_protocol::taxonomy::Taxonomy::esco().key(&s));
        let region = region
            .map(|r| crate::store::partners::region_key(&r))
            .filter(|r| !r.is_empty());
        let windows = self
            .store()
            .read_network(move |conn| {
                let mut windows = sql::windows(conn, today, region.as_deref())?;
                if let Some(term) = term {
                    let with: std::collections::HashSet<i64> = sql::holders(conn, &term)?
                        .into_iter()
                        .map(|(c, _)| c)
                        .collect();
                    windows.retain(|w| with.contains(&w.coop));
                }
                Ok(windows)
            })
            .await?;
        Ok(weekly::weekly(&windows, today, CAPACITY_WEEKS))
    }

    /// Regions co-ops give (key, as written), for the capacity filter.
    pub async fn regions(&self) -> Result<Vec<(String, String)>, NodeError> {
        Ok(self.store().read_network(sql::regions).await?)
    }

    /// The bid pipeline from public bid notices.
    pub async fn bid_pipeline(&self) -> Result<Pipeline, NodeError> {
        let notices = self.store().read_network(sql::notices).await?;
        Ok(pipeline::pipeline(&notices))
    }

    /// The newest `limit` events of the log, newest first.
    pub async fn events(&self, limit: usize) -> Result<Vec<sql::EventRow>, NodeError> {
        Ok(self
            .store()
            .read_network(move |conn| sql::events(conn, limit))
            .await?)
    }

    /// Co-ops that are not members whose records wait in quarantine (who
    /// tried to join), with how many records each.
    pub fn pending_joiners(&self) -> Vec<(PublicKey, usize)> {
        self.gate().held_authors()
    }

    /// The metrics in Prometheus' text format.
    pub async fn metrics_text(&self) -> Result<String, NodeError> {
        let stats = self.net().stats().await.ok().unwrap_or_default();
        let peers = self.net().peers().await.map(|p| p.len()).unwrap_or(0);
        let kinds = self
            .store()
            .counts()
            .await?
            .live_by_kind
            .into_iter()
            .map(|(code, n)| {
                let name = coopnet_protocol::Kind::from_code(code)
                    .map_or_else(|| format!("unknown-{}", code.0), |k| k.name().to_owned());
                (name, n)
            })
            .collect();
        let store_bytes = ["coopnet.db", "coopnet.db-wal"]
            .iter()
            .filter_map(|f| std::fs::metadata(self.data_dir().join(f)).ok())
            .map(|m| m.len())
            .sum();
        let totals = vec![
            ("sync_sessions", stats.syncs_completed),
            ("sync_rounds", stats.reconcile_rounds),
            (
                "sync_bytes",
                stats.reconcile_bytes_sent
                    + stats.reconcile_bytes_received
                    + stats.fetch_bytes_sent
                    + stats.fetch_bytes_received,
            ),
            ("records_fetched", stats.records_fetched),
            ("records_forwarded", stats.records_forwarded),
            ("gossip_sends_failed", stats.gossip_sends_failed),
            ("gossip_over_peer_rate", stats.gossip_over_peer_rate),
            ("gossip_over_author_rate", stats.gossip_over_author_rate),
            ("peers_blocked", stats.peers_blocked),
            ("connections_refused", stats.connections_refused),
            ("dial_failures", stats.dial_failures),
            ("nat_tests_failed", stats.nat_tests_failed),
            ("relay_reservations", stats.relay_reservations),
            ("circuits_relayed", stats.circuits_relayed),
            ("relay_refused", stats.relay_refused),
            ("holes_punched", stats.holes_punched),
            ("hole_punches_failed", stats.hole_punches_failed),
            ("relayed_replaced", stats.relayed_replaced),
        ];
        let snapshot = crate::monitor::Snapshot {
            peers: peers as u64,
            records_by_kind: kinds,
            quarantine: self.gate().held() as u64,
            store_bytes,
            totals,
        };
        Ok(self.monitor().encode(&snapshot))
    }
}
