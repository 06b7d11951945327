//! The anti-entropy side of the event loop: reconciliation sessions with
//! each peer, the fetch queue, and answering peers' sync requests; and what
//! they show of who holds our own records.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use coopnet_protocol::{RecordId, SignedRecord};
use libp2p::PeerId;
use libp2p::request_response::{self, OutboundRequestId, ResponseChannel};

use super::{EventLoop, FRAME_HEADER, Pending, framed};
use crate::ingest::{IngestJob, Source};
use crate::net::Feedback;
use crate::net::codec::Malformed;
use crate::net::codec::{MAX_RESPONSE_LEN, SyncRequest, SyncResponse};
use crate::net::score::MALFORMED_FRAME_POINTS;
use crate::net::sketch::SketchSession;
use crate::net::sync::{Session, Step, answer};
use crate::store::{ListFilter, StoredRecord};

/// How long to wait before asking a peer again after it refused.
pub(super) const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Own records read from the store per query at start.
const OWN_PAGE: usize = 1_000;

/// Which reconciliation an outgoing session runs.
#[derive(Debug)]
pub(super) enum Phase {
    /// A rateless sketch, for small differences (tried first).
    Sketch(Box<SketchSession>),
    /// The sketch is being stepped on a blocking thread.
    Stepping,
    /// Range fingerprints (negentropy), for large ones.
    Ranges(Session),
}

/// A reconciliation this node initiated with a peer.
#[derive(Debug)]
pub(super) struct Outgoing {
    pub(super) phase: Phase,
    /// Tells this session's reports from an earlier one's with the peer.
    pub(super) serial: u64,
    /// The holders' epoch when it started: the set it covers.
    epoch: u64,
    /// Our own ids the peer lacks, found so far.
    pub(super) lacks: HashSet<RecordId>,
}

impl EventLoop {
    pub(super) fn on_sync(
        &mut self,
        event: request_response::Event<Result<SyncRequest, Malformed>, SyncResponse>,
    ) {
        use request_response::{Event, Message};
        match event {
            Event::Message {
                peer,
                message:
                    Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                self.on_sync_request(peer, request, channel);
            }
            Event::Message {
                peer,
                message:
                    Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                self.on_sync_response(peer, request_id, response);
            }
            Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                tracing::debug!(%peer, "sync request failed: {error}");
                self.request_failed(peer, request_id, is_malformed_outbound(&error));
            }
            Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(%peer, "sync request from peer failed: {error}");
                if let request_response::InboundFailure::Io(e) = &error
                    && e.kind() == std::io::ErrorKind::InvalidData
                {
                    self.penalise(peer, MALFORMED_FRAME_POINTS);
                }
            }
            Event::ResponseSent { .. } => {}
        }
    }

    pub(super) fn on_sync_request(
        &mut self,
        peer: PeerId,
        request: Result<SyncRequest, Malformed>,
        channel: ResponseChannel<SyncResponse>,
    ) {
        let request = match request {
            Ok(request) => request,
            Err(malformed) => {
                tracing::warn!(%peer, "{malformed}");
                self.penalise(peer, MALFORMED_FRAME_POINTS);
                self.refuse(channel, &malformed.to_string());
                return;
            }
        };
        if !self.scoring.book.allow_request(peer, Instant::now()) {
            self.refuse(channel, "rate limited: slow down");
            return;
        }
        if !self.is_member(&peer) {
            self.answer_probation(peer, request, channel);
            return;
        }
        match request {
            SyncRequest::Reconcile(message) => {
                let reply = self
                    .sync
                    .index
                    .snapshot()
                    .and_then(|snapshot| answer(&snapshot, &message));
                let response = match reply {
                    Ok(reply) => SyncResponse::Reconcile(reply),
                    Err(e) => {
                        self.penalise(peer, MALFORMED_FRAME_POINTS);
                        SyncResponse::Refused(e.to_string())
                    }
                };
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_response(channel, response);
            }
            SyncRequest::Sketch { salt, from, count } => {
                self.answer_sketch(peer, salt, from, count, channel);
            }
            SyncRequest::FetchKeys { salt, keys } => {
                self.answer_fetch_keys(peer, salt, keys, channel);
            }
            SyncRequest::Push(records) => self.take_push(peer, records, channel),
            SyncRequest::Reconciled => {
                // It holds what we held; what it lacked it has fetched.
                let epoch = self.holders.epoch();
                self.holders.reconciled(peer, epoch, HashSet::new());
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_response(channel, SyncResponse::Received);
            }
            SyncRequest::Fetch(ids) => {
                // Which of our own records it fetched is read back from the
                // page only when it asked for some (once per record and peer).
                let asks_own = ids.iter().any(|id| self.holders.is_own(id));
                let (store, feedback) = (self.store.clone(), self.feedback_tx.clone());
                let served = self.served_tx.clone();
                tokio::spawn(async move {
                    let response = match store.get_bytes(ids).await {
                        Ok(records) => {
                            let records = page(records);
                            if asks_own {
                                let _ = served.send((peer, ids_of(&records))).await;
                            }
                            SyncResponse::Records(records)
                        }
                        Err(e) => SyncResponse::Refused(format!("store unavailable: {e}")),
                    };
                    let _ = feedback.send(Feedback::Respond { channel, response }).await;
                });
            }
        }
    }

    /// Sends a sync request to `peer`, remembering what it was for.
    pub(super) fn send_sync(&mut self, peer: PeerId, request: SyncRequest, pending: Pending) {
        let id = self
            .swarm
            .behaviour_mut()
            .sync
            .send_request(&peer, Ok(request));
        self.sync.pending.insert(id, pending);
    }

    /// Refuses a request at once, saying why.
    pub(super) fn refuse(&mut self, channel: ResponseChannel<SyncResponse>, why: &str) {
        let refused = SyncResponse::Refused(why.to_owned());
        let _ = self
            .swarm
            .behaviour_mut()
            .sync
            .send_response(channel, refused);
    }

    /// Answers `peer`'s request from a task once `answer` is ready; its
    /// error is sent as a refusal that says why, and a malformed request
    /// is penalised.
    pub(super) fn respond_when_ready(
        &self,
        peer: PeerId,
        channel: ResponseChannel<SyncResponse>,
        answer: impl Future<Output = Result<SyncResponse, Unanswered>> + Send + 'static,
    ) {
        let feedback = self.feedback_tx.clone();
        tokio::spawn(async move {
            let response = match answer.await {
                Ok(response) => response,
                Err(why) => {
                    if let Unanswered::Malformed(reason) = &why {
                        let reason = reason.clone();
                        let _ = feedback.send(Feedback::Malformed { peer, reason }).await;
                    }
                    SyncResponse::Refused(why.to_string())
                }
            };
            let _ = feedback.send(Feedback::Respond { channel, response }).await;
        });
    }

    pub(super) fn on_sync_response(
        &mut self,
        peer: PeerId,
        request_id: OutboundRequestId,
        response: SyncResponse,
    ) {
        if matches!(response, SyncResponse::Refused(_)) {
            self.stats.sync_refusals += 1;
        }
        match (self.sync.pending.remove(&request_id), response) {
            (Some(Pending::Reconcile), SyncResponse::Reconcile(reply)) => {
                self.continue_sync(peer, &reply);
            }
            (Some(Pending::Fetch(chunk)), SyncResponse::Records(records)) => {
                self.stats.records_fetched += records.len() as u64;
                let page_bytes = records.iter().map(|r| r.len() as u64 + 4).sum::<u64>();
                self.stats.sync_bytes_received += page_bytes;
                self.stats.fetch_bytes_received += FRAME_HEADER + page_bytes;
                let (ingest, feedback) = (self.ingest.clone(), self.feedback_tx.clone());
                let sync_pages = self.sync.pages.clone();
                let from = match self.is_member(&peer) {
                    true => Source::Sync { peer },
                    false => Source::Probation { peer },
                };
                // NOTE: the fetch stays in flight until its page has a place
                // in the pipeline (SYNC_PAGES_IN_PIPELINE) and the queue
                // took it, so however fast the peer, this node holds at most
                // FETCHES_IN_FLIGHT pages per peer waiting for one; waiting
                // in a task does not stall the loop.
                tokio::spawn(async move {
                    let rest = chunk.rest(&records);
                    if let Ok(slot) = sync_pages.acquire_owned().await {
                        let job = IngestJob {
                            records,
                            from,
                            slot: Some(slot),
                        };
                        ingest.push(job);
                    }
                    let _ = feedback.send(Feedback::Fetched { peer, rest }).await;
                });
            }
            (Some(Pending::Fetch(chunk)), other) => {
                if let SyncResponse::Refused(why) = &other {
                    tracing::debug!(%peer, why, "fetch refused; asking again shortly");
                }
                self.fetch_again_later(peer, chunk);
            }
            (Some(Pending::Push(page)), SyncResponse::Received) => self.push_done(peer, &page),
            (Some(Pending::Push(page)), _) => self.push_again_later(peer, page),
            (Some(Pending::Sketch), SyncResponse::Sketch { set_len, cells }) => {
                self.continue_sketch(peer, set_len, cells);
            }
            (Some(Pending::Reconcile | Pending::Sketch), other) => {
                tracing::debug!(%peer, ?other, "sync refused; trying again shortly");
                self.sync.sessions.remove(&peer);
                self.sync
                    .resync_at
                    .insert(peer, Instant::now() + RETRY_AFTER);
            }
            (Some(Pending::Reconciled) | None, _) => {}
        }
    }

    pub(super) fn request_failed(
        &mut self,
        peer: PeerId,
        request_id: OutboundRequestId,
        malformed: bool,
    ) {
        match self.sync.pending.remove(&request_id) {
            Some(Pending::Reconcile | Pending::Sketch) => {
                self.sync.sessions.remove(&peer);
            }
            Some(Pending::Fetch(chunk)) => self.fetch_again_later(peer, chunk),
            Some(Pending::Push(page)) => self.push_again_later(peer, page),
            _ => {}
        }
        if malformed {
            self.penalise(peer, MALFORMED_FRAME_POINTS);
        }
    }

    /// Starts a session with every connected peer (`all`), or with those
    /// this node initiates with ([`EventLoop::initiates_with`]).
    pub(super) fn sync_with_everyone(&mut self, all: bool) {
        let peers: Vec<PeerId> = self.swarm.connected_peers().copied().collect();
        for peer in peers {
            if all || self.initiates_with(&peer) {
                self.start_sync(peer);
            }
        }
    }

    pub(super) fn start_sync(&mut self, peer: PeerId) {
        if self.sync.sessions.contains_key(&peer) || self.waits_for_punch(&peer) {
            return;
        }
        if let Some(queue) = self.sync.fetches.get_mut(&peer) {
            queue.dropped = false;
        }
        let phase = if self.sync.index.is_empty() {
            // Everything differs: no sketch can pay for itself.
            self.start_ranges(peer)
        } else {
            Some(self.start_sketch(peer))
        };
        if let Some(phase) = phase {
            self.sync.started += 1;
            let outgoing = Outgoing {
                phase,
                serial: self.sync.started,
                epoch: self.holders.epoch(),
                lacks: HashSet::new(),
            };
            self.sync.sessions.insert(peer, outgoing);
        }
    }

    /// Sends the first range-fingerprint message to `peer`.
    pub(super) fn start_ranges(&mut self, peer: PeerId) -> Option<Phase> {
        match self.sync.index.snapshot().and_then(Session::start) {
            Ok((session, first)) => {
                self.send_reconcile(peer, first);
                Some(Phase::Ranges(session))
            }
            Err(e) => {
                tracing::error!("cannot start sync: {e}");
                None
            }
        }
    }

    fn send_reconcile(&mut self, peer: PeerId, message: Vec<u8>) {
        self.stats.reconcile_bytes_sent += framed(message.len());
        self.send_sync(peer, SyncRequest::Reconcile(message), Pending::Reconcile);
    }

    pub(super) fn continue_sync(&mut self, peer: PeerId, reply: &[u8]) {
        let Some(Outgoing {
            phase: Phase::Ranges(session),
            lacks,
            ..
        }) = self.sync.sessions.get_mut(&peer)
        else {
            return;
        };
        self.stats.count_reconcile_reply(reply.len());
        let holders = &self.holders;
        let mut have = Vec::new();
        let step = session.step(reply, |id| {
            if holders.is_own(&id) {
                lacks.insert(id);
            }
            have.push(id);
        });
        let need = session.take_need();
        self.queue_pushes(peer, have);
        match step {
            Ok(Step::Send(next)) => {
                // Fetch what this round found while the next one runs.
                self.send_reconcile(peer, next);
                self.queue_fetches(peer, need);
            }
            Ok(Step::Done) => {
                self.queue_fetches(peer, need);
                self.session_done(peer);
            }
            Ok(Step::Paused) => {
                // Out of rounds for this leg, not misbehaviour: fetch what
                // it found, then go on from where it stopped.
                tracing::debug!(%peer, "sync leg paused to fetch {} ids", need.len());
                self.stats.sync_legs_paused += 1;
                self.queue_fetches(peer, need);
                self.resume_if_idle(peer);
            }
            Ok(Step::Exhausted) => {
                tracing::info!(%peer, "sync session ended unfinished; the next one goes on");
                self.stats.syncs_unfinished += 1;
                self.sync.sessions.remove(&peer);
                self.queue_fetches(peer, need);
            }
            Err(e) => {
                tracing::warn!(%peer, "sync failed: {e}");
                self.sync.sessions.remove(&peer);
                self.penalise(peer, MALFORMED_FRAME_POINTS);
            }
        }
    }

    /// Ends a completed session: the peer's lacks of our own records are
    /// known, and it is told once what we lacked has been fetched.
    pub(super) fn session_done(&mut self, peer: PeerId) {
        if let Some(done) = self.sync.sessions.remove(&peer) {
            self.holders.reconciled(peer, done.epoch, done.lacks);
        }
        self.stats.syncs_completed += 1;
        self.stats.last_sync_at = Some(crate::clock::now().0);
        self.sync.reconciled.insert(peer);
        self.tell_reconciled_if_done(peer);
    }

    /// Starts the next leg of a paused session once the ids its last leg
    /// found have been fetched, so at most one leg's ids wait per peer.
    pub(super) fn resume_if_idle(&mut self, peer: PeerId) {
        let idle = self
            .sync
            .fetches
            .get(&peer)
            .is_none_or(|queue| queue.chunks.is_empty() && queue.in_flight == 0);
        let paused = self.sync.sessions.get(&peer).is_some_and(
            |outgoing| matches!(&outgoing.phase, Phase::Ranges(session) if session.is_paused()),
        );
        if !idle || !paused {
            return;
        }
        let next = match self.sync.index.snapshot() {
            Ok(snapshot) => match self.sync.sessions.get_mut(&peer) {
                Some(Outgoing {
                    phase: Phase::Ranges(session),
                    ..
                }) => session.resume(snapshot),
                _ => None,
            },
            Err(e) => {
                tracing::error!("cannot resume sync: {e}");
                self.sync.sessions.remove(&peer);
                None
            }
        };
        if let Some(next) = next {
            self.send_reconcile(peer, next);
        }
    }

    /// Reads which records are our co-op's own from the store, before the
    /// loop starts (so no change of the set can race with it).
    pub(super) async fn load_own(&mut self) {
        let Some(key) = crate::identity::coop_key_of(self.swarm.local_peer_id()) else {
            return;
        };
        let mut after = None;
        loop {
            let filter = ListFilter {
                author: Some(key),
                include_tombstones: true,
                limit: OWN_PAGE,
                after,
                ..ListFilter::default()
            };
            let page = match self.store.list(filter).await {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!("cannot read our own records: {e}");
                    return;
                }
            };
            after = page.last().map(StoredRecord::cursor);
            let index = &self.sync.index;
            let ids = page.iter().map(|r| r.record.id());
            self.holders.load_own(ids.filter(|id| index.contains(id)));
            if page.len() < OWN_PAGE {
                return;
            }
        }
    }

    /// Resumes paused fetch queues and refused sessions whose wait is over.
    pub(super) fn retry_due(&mut self) {
        let now = Instant::now();
        let paused: Vec<PeerId> = self
            .sync
            .fetches
            .iter()
            .filter(|(_, q)| q.paused_until.is_some_and(|t| t <= now))
            .map(|(peer, _)| *peer)
            .collect();
        for peer in paused {
            self.pump_fetches(peer);
        }
        self.retry_pushes();
        let due: Vec<PeerId> = self
            .sync
            .resync_at
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(p, _)| *p)
            .collect();
        for peer in due {
            self.sync.resync_at.remove(&peer);
            if self.swarm.is_connected(&peer) {
                self.start_sync(peer);
            }
        }
    }
}

/// Why a sync request was refused rather than answered.
#[derive(Debug, thiserror::Error)]
pub(super) enum Unanswered {
    /// The request broke the protocol: its sender is penalised.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// This node could not answer now (the store, a failed task).
    #[error("cannot answer now: {0}")]
    Unavailable(String),
}

/// Keeps the leading records that fit in one response frame.
pub(super) fn page(records: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let mut total = 1;
    records
        .into_iter()
        .take_while(|r| {
            total += 4 + r.len();
            total <= MAX_RESPONSE_LEN
        })
        .collect()
}

/// The ids of the records on a page we serve (from our store, so they
/// decode).
pub(super) fn ids_of(records: &[Vec<u8>]) -> Vec<RecordId> {
    let decoded = records
        .iter()
        .map(|bytes| SignedRecord::decode(bytes.as_slice()));
    decoded
        .filter_map(|record| record.ok().map(|r| r.id()))
        .collect()
}

pub(super) fn is_malformed_outbound(error: &request_response::OutboundFailure) -> bool {
    matches!(error, request_response::OutboundFailure::Io(e) if e.kind() == std::io::ErrorKind::InvalidData)
}

/// An error that keeps this node from answering now.
pub(super) fn unavailable(error: impl std::fmt::Display) -> Unanswered {
    Unanswered::Unavailable(error.to_string())
}
