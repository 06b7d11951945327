//! Gossip in the event loop: messages from peers (within each peer's rate,
//! then to the ingest pipeline for their verdict), our own records (at our
//! own pace), and records learned otherwise that are forwarded.

use std::time::{Duration, Instant};

use libp2p::gossipsub::{self, MessageAcceptance};

use super::EventLoop;
use crate::ingest::{IngestJob, Offer, Source};
use crate::intake::IndexChange;
use crate::net::GossipError;

/// Gossip messages whose time from receipt to verdict is measured at once
/// (more than the ingest queue holds).
const MAX_INTAKES_TIMED: usize = 4_096;
/// After own records were left to sync, how soon every peer is synced.
const SYNC_SOON: Duration = Duration::from_secs(2);

impl EventLoop {
    /// A gossipsub event: a message goes to the pipeline unless its sender
    /// is over its rate or the pipeline is full.
    pub(super) fn on_gossip(&mut self, event: gossipsub::Event) {
        let (peer, message_id, message) = match event {
            gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            } => (propagation_source, message_id, message),
            gossipsub::Event::SlowPeer {
                peer_id,
                failed_messages,
            } => {
                let failed = failed_messages.publish + failed_messages.forward;
                tracing::debug!(%peer_id, failed, "gossip messages not sent to a slow peer");
                self.stats.gossip_sends_failed += failed as u64;
                return;
            }
            _ => return,
        };
        let now = Instant::now();
        if !self.scoring.limits.per_peer.take(peer, now) {
            // More than an honest node relays: the sender is penalised by
            // flood points. Not rejected: gossipsub would also blame every
            // honest peer that relayed a copy of the same message.
            self.stats.gossip_over_peer_rate += 1;
            if self.scoring.limits.log.due(now) {
                tracing::warn!(%peer, "gossip refused: peer over its rate of messages");
            }
            self.verdict(&message_id, &peer, MessageAcceptance::Ignore);
            self.flooded(peer);
            return;
        }
        let job = IngestJob {
            records: vec![message.data],
            from: Source::Gossip {
                message_id: message_id.clone(),
                peer,
            },
            slot: None,
        };
        if self.intake_started.len() < MAX_INTAKES_TIMED {
            self.intake_started.insert(message_id.clone(), now);
        }
        let dropped = match self.ingest.offer(job) {
            Offer::Taken => return,
            Offer::Refused(job) | Offer::Displaced(job) => job,
        };
        // Overloaded: the longest lane gives way, neither relayed nor
        // blamed; sync will bring it later.
        if let Source::Gossip { message_id, peer } = dropped.from {
            self.stats.gossip_dropped_overloaded += 1;
            self.verdict(&message_id, &peer, MessageAcceptance::Ignore);
        }
    }

    /// Tells gossipsub what to do with a message.
    pub(super) fn verdict(
        &mut self,
        message_id: &gossipsub::MessageId,
        peer: &libp2p::PeerId,
        acceptance: MessageAcceptance,
    ) {
        if let Some(started) = self.intake_started.remove(message_id) {
            self.stats.note_gossip_intake(started.elapsed());
        }
        let gossip = &mut self.swarm.behaviour_mut().gossip;
        gossip.report_message_validation_result(message_id, peer, acceptance);
    }

    /// Indexes a record our co-op just stored and gossips it, unless that
    /// would exceed our own pace; then sync delivers it, soon.
    pub(super) fn publish_own(
        &mut self,
        bytes: Vec<u8>,
        change: IndexChange,
    ) -> Result<(), GossipError> {
        self.apply(change, true);
        let now = Instant::now();
        if !self.scoring.limits.take_own(now) {
            self.stats.own_gossip_deferred += 1;
            self.sync.soon.get_or_insert(now + SYNC_SOON);
            return Err(GossipError::Deferred);
        }
        let topic = self.topic.clone();
        self.swarm.behaviour_mut().gossip.publish(topic, bytes)?;
        Ok(())
    }

    /// Forwards records that sync, a push or the quarantine made current
    /// (the pipeline kept them within the re-gossip rate). A peer that has
    /// them already drops them as duplicates.
    pub(super) fn forward(&mut self, records: Vec<Vec<u8>>) {
        for bytes in records {
            let topic = self.topic.clone();
            if self
                .swarm
                .behaviour_mut()
                .gossip
                .publish(topic, bytes)
                .is_ok()
            {
                self.stats.records_forwarded += 1;
            }
        }
    }

    /// Syncs with every peer once the wait after deferred own gossip is
    /// over.
    pub(super) fn sync_if_soon(&mut self) {
        if self.sync.soon.is_some_and(|at| at <= Instant::now()) {
            self.sync.soon = None;
            self.sync_with_everyone(true);
        }
    }
}
