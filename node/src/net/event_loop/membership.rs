//! Membership in the event loop: peers that are not members are put on
//! probation (they may fetch the roster only) and then disconnected;
//! revoked peers are dropped and blocked.

use std::time::Instant;

use coopnet_protocol::RecordId;
use libp2p::PeerId;
use libp2p::request_response::ResponseChannel;

use super::EventLoop;
use super::sync_handlers::{Unanswered, page, unavailable};
use crate::net::codec::{SyncRequest, SyncResponse};
use crate::net::sync::{SyncIndex, answer};
use crate::store::Store;

impl EventLoop {
    pub(super) fn is_member(&self, peer: &PeerId) -> bool {
        self.members
            .gate
            .allows_peer(crate::identity::coop_key_of(peer).as_ref())
    }

    /// Puts a peer that is not a member on probation: it may fetch the
    /// roster for `grace`, then it is disconnected unless admitted.
    pub(super) fn check_membership(&mut self, peer: PeerId) {
        if !self.is_member(&peer) {
            tracing::info!(%peer, "peer is not a member: on probation");
            if !self.members.on_probation.contains_key(&peer) {
                // Who tried to join, for coordinators (paced by the monitor).
                self.monitor.event(crate::monitor::Event {
                    kind: "probation",
                    coop: crate::identity::coop_key_of(&peer),
                    peer: Some(peer.to_string()),
                    detail: "a co-op that is not a member connected; it is dropped unless \
                             admitted"
                        .into(),
                });
            }
            self.members
                .on_probation
                .entry(peer)
                .or_insert_with(|| Instant::now() + self.members.grace);
        }
    }

    pub(super) fn end_expired_probation(&mut self) {
        let now = Instant::now();
        let expired: Vec<PeerId> = self
            .members
            .on_probation
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(peer, _)| *peer)
            .collect();
        for peer in expired {
            self.members.on_probation.remove(&peer);
            if !self.is_member(&peer) {
                // Its grace is used: refused for a while, so reconnecting
                // does not renew it.
                tracing::info!(%peer, "disconnecting a peer that is not a member");
                self.swarm.behaviour_mut().guard.cool_down(peer);
                let _ = self.swarm.disconnect_peer_id(peer);
            }
        }
        self.members.on_probation.retain(|peer, _| {
            !self
                .members
                .gate
                .allows_peer(crate::identity::coop_key_of(peer).as_ref())
        });
    }

    /// After a roster change: revoked peers are dropped (the guard refuses
    /// them from now on), other peers that are no longer members go on
    /// probation and leave gossip and Kademlia; new members join them.
    pub(super) fn roster_changed(&mut self) {
        let view = self.members.gate.view();
        let peers: Vec<PeerId> = self.swarm.connected_peers().copied().collect();
        for peer in peers {
            let key = crate::identity::coop_key_of(&peer);
            let revoked = matches!((&view, &key), (Some(v), Some(k)) if v.is_revoked(k));
            self.score_membership(peer);
            if !self.is_member(&peer) {
                self.swarm.behaviour_mut().kad.remove_peer(&peer);
                self.members.redials.forget(&peer);
            }
            if revoked {
                tracing::info!(%peer, "membership revoked: disconnecting");
                let _ = self.swarm.disconnect_peer_id(peer);
            } else {
                self.check_membership(peer);
            }
        }
        self.sync.skip.clear();
        self.sync_with_everyone(false);
    }

    /// Answers a peer on probation from the roster records only.
    pub(super) fn answer_probation(
        &mut self,
        peer: PeerId,
        request: SyncRequest,
        channel: ResponseChannel<SyncResponse>,
    ) {
        let store = self.store.clone();
        self.respond_when_ready(peer, channel, async move {
            roster_answer(&store, request).await
        });
    }

    /// Recomputes the roster when a membership has lapsed, then re-checks
    /// peers. (Lapsing only removes members, so nothing is released.)
    pub(super) fn refresh_lapsed_memberships(&mut self) {
        let now = crate::clock::now();
        let lapsed = self
            .members
            .gate
            .view()
            .and_then(|v| v.next_expiry())
            .is_some_and(|t| t <= now);
        if lapsed {
            let released = self.members.gate.refresh(now);
            debug_assert!(released.is_empty(), "a lapse cannot admit anyone");
            tracing::info!("a membership lapsed: roster recomputed");
            self.roster_changed();
        }
    }

    pub(super) fn redial_if_alone(&mut self) {
        if self.swarm.connected_peers().next().is_none() {
            for addr in self.members.bootstrap.clone() {
                let _ = self.swarm.dial(addr);
            }
        }
    }
}

/// Most ids remembered as not worth fetching.
pub(super) const MAX_SKIPPED: usize = 100_000;

/// The kinds a peer that is not a member may be given.
fn roster_kinds() -> [coopnet_protocol::KindCode; 2] {
    use coopnet_protocol::Kind;
    [Kind::Membership.code(), Kind::Revocation.code()]
}

/// Whether `record` is a membership or revocation record.
pub(super) fn is_roster(record: &coopnet_protocol::SignedRecord) -> bool {
    roster_kinds().contains(&record.header().kind)
}

/// A sync answer limited to membership and revocation records.
async fn roster_answer(store: &Store, request: SyncRequest) -> Result<SyncResponse, Unanswered> {
    match request {
        SyncRequest::Reconcile(message) => {
            let snapshot = SyncIndex::from_items(roster_items(store).await?)
                .snapshot()
                .map_err(|e| Unanswered::Unavailable(e.to_string()))?;
            answer(&snapshot, &message)
                .map(SyncResponse::Reconcile)
                .map_err(|e| Unanswered::Malformed(e.to_string()))
        }
        SyncRequest::Sketch { salt, from, count } => {
            let ids = roster_ids(store).await?;
            super::sketching::sketch_answer(ids, salt, from, count).await
        }
        SyncRequest::FetchKeys { salt, keys } => {
            let ids = roster_ids(store).await?;
            let (_, records) = super::sketching::fetch_keys_answer(store, ids, salt, keys).await?;
            Ok(SyncResponse::Records(records))
        }
        SyncRequest::Fetch(ids) => {
            let records = store.get_bytes(ids).await.map_err(unavailable)?;
            let roster_only = records.into_iter().filter(|bytes| {
                coopnet_protocol::SignedRecord::decode(bytes.as_slice())
                    .is_ok_and(|r| is_roster(&r))
            });
            Ok(SyncResponse::Records(page(roster_only.collect())))
        }
        SyncRequest::Push(_) | SyncRequest::Reconciled => Ok(SyncResponse::Refused(
            "not a member of this federation: nothing is taken from you yet".into(),
        )),
    }
}

/// The ids of the current membership and revocation records.
async fn roster_ids(store: &Store) -> Result<std::sync::Arc<[RecordId]>, Unanswered> {
    let items = roster_items(store).await?;
    Ok(items.into_iter().map(|(_, id)| id).collect())
}

/// The current membership and revocation records, as sync items.
async fn roster_items(store: &Store) -> Result<Vec<(u64, RecordId)>, Unanswered> {
    let mut items = Vec::new();
    for kind in roster_kinds() {
        let filter = crate::store::ListFilter {
            kind: Some(kind),
            limit: 100_000,
            ..Default::default()
        };
        let listed = store.list(filter).await.map_err(unavailable)?;
        items.extend(
            listed
                .iter()
                .map(|s| (s.record.header().issued_at.0, s.record.id())),
        );
    }
    Ok(items)
}
