//! Sketch reconciliation in the event loop (SPEC §8.3): the initiator's
//! session, which falls back to range fingerprints for large differences,
//! and the answers to a peer's sketch and fetch-by-key requests. Both
//! answers walk the whole set, so they run on a blocking thread.

use rand_core::{OsRng, RngCore};

use std::collections::HashSet;

use coopnet_protocol::RecordId;
use libp2p::PeerId;
use libp2p::request_response::ResponseChannel;

use super::fetch::{FETCH_CHUNK, Wanted};
use super::sync_handlers::{Phase, Unanswered, ids_of, page, unavailable};
use super::{EventLoop, Pending, framed};
use crate::net::Feedback;
use crate::net::codec::{MAX_FETCH_IDS, SyncRequest, SyncResponse};
use crate::net::score::MALFORMED_FRAME_POINTS;
use crate::net::sketch::{self, Cell, Salt, SketchError, SketchSession, SketchStep, Symbol};
use crate::store::Store;

impl EventLoop {
    /// Draws a salt and asks `peer` for the first cells.
    pub(super) fn start_sketch(&mut self, peer: PeerId) -> Phase {
        let mut salt = Salt::default();
        OsRng.fill_bytes(&mut salt);
        let (session, first) = SketchSession::start(salt, self.sync.index.ids());
        if let SketchStep::Ask { from, count } = first {
            self.send_sketch(peer, salt, from, count);
        }
        Phase::Sketch(Box::new(session))
    }

    fn send_sketch(&mut self, peer: PeerId, salt: Salt, from: u32, count: u32) {
        self.stats.reconcile_bytes_sent += framed(sketch::SALT_LEN + 8);
        let request = SyncRequest::Sketch { salt, from, count };
        self.send_sync(peer, request, Pending::Sketch);
    }

    /// Takes a peer's cells: steps the session on a blocking thread (it
    /// walks our whole set), which reports back as [`Feedback::Sketched`].
    pub(super) fn continue_sketch(&mut self, peer: PeerId, set_len: u64, cells: Vec<Cell>) {
        let Some(outgoing) = self.sync.sessions.get_mut(&peer) else {
            return;
        };
        let session = match std::mem::replace(&mut outgoing.phase, Phase::Stepping) {
            Phase::Sketch(session) => session,
            other => {
                outgoing.phase = other;
                return;
            }
        };
        let serial = outgoing.serial;
        self.stats
            .count_reconcile_reply(8 + sketch::CELL_LEN * cells.len());
        let feedback = self.feedback_tx.clone();
        tokio::spawn(async move {
            let stepped = tokio::task::spawn_blocking(move || {
                let mut session = session;
                let step = session.step(set_len, &cells);
                (session, step)
            });
            if let Ok((session, step)) = stepped.await {
                let sketched = Feedback::Sketched {
                    peer,
                    serial,
                    session,
                    step,
                };
                let _ = feedback.send(sketched).await;
            }
        });
    }

    /// Acts on a stepped session: asks for more, or fetches and pushes what
    /// the sketch found, or goes over to range fingerprints.
    pub(super) fn sketch_stepped(
        &mut self,
        peer: PeerId,
        serial: u64,
        session: Box<SketchSession>,
        step: Result<SketchStep, SketchError>,
    ) {
        let Some(outgoing) = self.sync.sessions.get_mut(&peer) else {
            return;
        };
        if outgoing.serial != serial || !matches!(outgoing.phase, Phase::Stepping) {
            return;
        }
        let salt = *session.salt();
        outgoing.phase = Phase::Sketch(session);
        match step {
            Ok(SketchStep::Ask { from, count }) => self.send_sketch(peer, salt, from, count),
            Ok(SketchStep::Done(difference)) => {
                let own = difference.ours.iter().filter(|id| self.holders.is_own(id));
                outgoing.lacks.extend(own);
                self.queue_pushes(peer, difference.ours);
                self.queue_key_fetches(peer, salt, difference.theirs);
                self.session_done(peer);
            }
            Ok(SketchStep::Fallback) => self.fall_back_to_ranges(peer),
            Err(e @ SketchError::WrongBatch { .. }) => {
                tracing::warn!(%peer, "sync failed: {e}");
                self.sync.sessions.remove(&peer);
                self.penalise(peer, MALFORMED_FRAME_POINTS);
            }
            Err(e @ SketchError::Inconsistent) => {
                // Once in 2³² peels this is chance, not the peer.
                tracing::info!(%peer, "{e}; reconciling by ranges");
                self.fall_back_to_ranges(peer);
            }
        }
    }

    fn fall_back_to_ranges(&mut self, peer: PeerId) {
        self.stats.sketch_fallbacks += 1;
        match self.start_ranges(peer) {
            Some(phase) => {
                if let Some(outgoing) = self.sync.sessions.get_mut(&peer) {
                    outgoing.phase = phase;
                }
            }
            None => {
                self.sync.sessions.remove(&peer);
            }
        }
    }

    /// Queues fetches of the records behind `keys`, less those known not to
    /// be worth fetching.
    fn queue_key_fetches(&mut self, peer: PeerId, salt: Salt, mut keys: Vec<u64>) {
        if !self.sync.skip.is_empty() && !keys.is_empty() {
            let skipped: HashSet<u64> = self
                .sync
                .skip
                .iter()
                .map(|id| Symbol::of(&salt, id).key)
                .collect();
            keys.retain(|key| !skipped.contains(key));
        }
        let chunks = keys.chunks(FETCH_CHUNK.min(MAX_FETCH_IDS));
        self.enqueue_fetches(peer, chunks.map(|keys| Wanted::Keys(salt, keys.to_vec())));
    }

    /// Answers a member's request for cells of our set's sketch.
    pub(super) fn answer_sketch(
        &mut self,
        peer: PeerId,
        salt: Salt,
        from: u32,
        count: u32,
        channel: ResponseChannel<SyncResponse>,
    ) {
        let ids = self.sync.index.ids();
        self.respond_when_ready(peer, channel, sketch_answer(ids, salt, from, count));
    }

    /// Answers a member's fetch by keys from our set.
    pub(super) fn answer_fetch_keys(
        &mut self,
        peer: PeerId,
        salt: Salt,
        keys: Vec<u64>,
        channel: ResponseChannel<SyncResponse>,
    ) {
        let ids = self.sync.index.ids();
        let (store, served) = (self.store.clone(), self.served_tx.clone());
        self.respond_when_ready(peer, channel, async move {
            let (ids, records) = fetch_keys_answer(&store, ids, salt, keys).await?;
            let _ = served.send((peer, ids)).await;
            Ok(SyncResponse::Records(records))
        });
    }
}

/// The cells of `ids` asked for, computed on a blocking thread.
pub(super) async fn sketch_answer(
    ids: std::sync::Arc<[RecordId]>,
    salt: Salt,
    from: u32,
    count: u32,
) -> Result<SyncResponse, Unanswered> {
    tokio::task::spawn_blocking(move || SyncResponse::Sketch {
        set_len: ids.len() as u64,
        cells: sketch::encode(&ids, &salt, from, count),
    })
    .await
    .map_err(unavailable)
}

/// The records of `ids` behind `keys` (as many as fit one page), and their
/// ids.
pub(super) async fn fetch_keys_answer(
    store: &Store,
    ids: std::sync::Arc<[RecordId]>,
    salt: Salt,
    keys: Vec<u64>,
) -> Result<(Vec<RecordId>, Vec<Vec<u8>>), Unanswered> {
    let found = tokio::task::spawn_blocking(move || sketch::resolve(&ids, &salt, &keys))
        .await
        .map_err(unavailable)?;
    let records = store.get_bytes(found).await.map_err(unavailable)?;
    let records = page(records);
    Ok((ids_of(&records), records))
}
