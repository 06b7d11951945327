//! [`NetworkDesk`] over a running node: the dashboard of
//! `coopnet_node::dashboard` and the coordinators' admit and revoke.

use async_trait::async_trait;
use coopnet_node::dashboard::health::Health;
use coopnet_protocol::kinds::Role;
use coopnet_protocol::{Day, PublicKey};
use coopnet_web::BackendError;
use coopnet_web::network::{
    Coordination, EventView, HealthView, MemberView, MonthView, NetworkDesk, PendingView,
    PipelineView, SupplyView, VersionCount, WeekView,
};

use super::NodeBackend;
use super::backend::node_error;

/// How long a co-op that connected without being a member is listed as
/// trying to join.
const KNOCKS_KEPT_MS: u64 = 24 * 60 * 60 * 1000;

fn health_view(h: Health, records_held: u64) -> HealthView {
    HealthView {
        members: h
            .members
            .into_iter()
            .map(|m| MemberView {
                coop_key: m.coop,
                name: m.name,
                state: m.liveness.as_str().to_owned(),
                last_seen: m.status.as_ref().map(|s| s.issued_at),
                software: m.status.as_ref().map(|s| s.software.clone()),
                records: m.status.as_ref().map(|s| s.records),
                behind: m.behind,
                peers: m.status.as_ref().map(|s| s.peers),
                last_sync: m.status.as_ref().and_then(|s| s.last_sync),
                membership_expires: m.membership_expires,
            })
            .collect(),
        online: h.online,
        offline: h.offline,
        never_seen: h.never_seen,
        versions: h
            .versions
            .into_iter()
            .map(|(version, nodes)| VersionCount { version, nodes })
            .collect(),
        records_held,
        ..HealthView::default()
    }
}

fn month(m: coopnet_node::dashboard::pipeline::Month) -> MonthView {
    MonthView {
        month: m.month,
        forming: m.forming,
        submitted: m.submitted,
        won: m.won,
        lost: m.lost,
        withdrawn: m.withdrawn,
    }
}

#[async_trait]
impl NetworkDesk for NodeBackend {
    async fn health(&self) -> Result<HealthView, BackendError> {
        let node = self.node();
        let health = node.network_health().await.map_err(node_error)?;
        let records = health.records_held;
        let stats = node.net().stats().await.ok().unwrap_or_default();
        let minutes = (node.uptime().as_secs_f64() / 60.0).max(1.0 / 60.0);
        let gossip = node.monitor().gossip_taken() as f64;
        let mut view = health_view(health, records);
        view.gossip_per_minute = gossip / minutes;
        view.syncs_per_minute = stats.syncs_completed as f64 / minutes;
        view.status_interval_secs = node.status_interval().as_secs();
        Ok(view)
    }

    async fn supply(&self) -> Result<Vec<SupplyView>, BackendError> {
        let lines = self.node().skills_supply().await.map_err(node_error)?;
        Ok(lines
            .into_iter()
            .map(|l| SupplyView {
                skill: l.name,
                contracts: l.contracts,
                coops: l.coops,
                headcount: l.headcount,
                days_3_months: l.days_3m,
                days_6_months: l.days_6m,
            })
            .collect())
    }

    async fn capacity(
        &self,
        skill: Option<String>,
        region: Option<String>,
    ) -> Result<Vec<WeekView>, BackendError> {
        let weeks = self
            .node()
            .capacity_weeks(skill, region)
            .await
            .map_err(node_error)?;
        Ok(weeks
            .into_iter()
            .filter_map(|w| {
                Some(WeekView {
                    week_of: Day::from_days(i32::try_from(w.monday).ok()?)?,
                    days: w.days,
                })
            })
            .collect())
    }

    async fn regions(&self) -> Result<Vec<String>, BackendError> {
        let regions = self.node().regions().await.map_err(node_error)?;
        Ok(regions.into_iter().map(|(_, written)| written).collect())
    }

    async fn pipeline(&self) -> Result<PipelineView, BackendError> {
        let p = self.node().bid_pipeline().await.map_err(node_error)?;
        Ok(PipelineView {
            months: p.months.into_iter().map(month).collect(),
            totals: month(p.totals),
            win_rate: p.win_rate,
        })
    }

    async fn events(&self, limit: usize) -> Result<Vec<EventView>, BackendError> {
        let node = self.node();
        let events = node.events(limit).await.map_err(node_error)?;
        let keys: Vec<PublicKey> = events.iter().filter_map(|e| e.coop).collect();
        let names = node.coop_names(keys).await.map_err(node_error)?;
        Ok(events
            .into_iter()
            .map(|e| EventView {
                at: e.at,
                kind: e.kind,
                coop_name: e.coop.and_then(|k| names.get(&k).cloned()),
                coop_key: e.coop,
                peer: e.peer,
                detail: e.detail,
            })
            .collect())
    }

    async fn coordination(&self) -> Result<Coordination, BackendError> {
        let node = self.node();
        let view = node.gate().view();
        let mut pending = node.pending_joiners();
        // Co-ops whose nodes connected in the last day without being members.
        let since = coopnet_node::clock::now().0.saturating_sub(KNOCKS_KEPT_MS);
        for event in node.events(200).await.map_err(node_error)? {
            if let Some(coop) = event.coop
                && event.kind == "probation"
                && event.at >= since
                && !view.as_ref().is_some_and(|v| v.is_member(&coop))
                && !pending.iter().any(|(k, _)| *k == coop)
            {
                pending.push((coop, 0));
            }
        }
        let names = node
            .coop_names(pending.iter().map(|(k, _)| *k).collect())
            .await
            .map_err(node_error)?;
        Ok(Coordination {
            federation: node.federation().map(|g| g.name.clone()),
            we_coordinate: node
                .gate()
                .view()
                .is_some_and(|v| v.is_coordinator(&node.key())),
            pending: pending
                .into_iter()
                .map(|(coop, records)| PendingView {
                    coop_key: coop,
                    name: names.get(&coop).filter(|n| **n != coop.short()).cloned(),
                    records,
                })
                .collect(),
        })
    }

    async fn admit(&self, join_code: String, coordinator: bool) -> Result<String, BackendError> {
        let (key, name) = coopnet_node::genesis::parse_join_code(&join_code)
            .map_err(|e| BackendError::Refused(format!("join code: {e}")))?;
        let role = if coordinator {
            Role::Coordinator
        } else {
            Role::Member
        };
        self.node()
            .admit(key, &name, role, None)
            .await
            .map_err(node_error)?;
        Ok(name)
    }

    async fn revoke(&self, coop: PublicKey, reason: String) -> Result<(), BackendError> {
        self.node()
            .revoke(coop, &reason)
            .await
            .map(|_| ())
            .map_err(node_error)
    }

    async fn metrics(&self) -> Result<String, BackendError> {
        self.node().metrics_text().await.map_err(node_error)
    }
}
