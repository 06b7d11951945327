//! Fetching what a reconciliation found we lack: per peer, a bounded
//! queue of requests (by id, or by sketch key) with a few in flight; a
//! refused request waits and goes again at the head of the queue.

use std::collections::VecDeque;
use std::time::Instant;

use coopnet_protocol::RecordId;
use libp2p::PeerId;

use super::sync_handlers::RETRY_AFTER;
use super::{EventLoop, Pending, framed};
use crate::net::codec::{MAX_FETCH_IDS, SyncRequest};
use crate::net::sketch::{SALT_LEN, Salt};

/// Fetch requests in flight to one peer at a time.
pub(super) const FETCHES_IN_FLIGHT: usize = 4;
/// Ids per fetch request.
pub(super) const FETCH_CHUNK: usize = 512;
/// Fetch requests waiting to be sent to one peer: 131,072 ids (4 MiB),
/// more than one leg of a reconciliation finds.
const QUEUED_FETCHES_PER_PEER: usize = 256;
/// Fetch requests waiting for all peers together (8 MiB of ids).
const QUEUED_FETCHES: usize = 512;

/// The fetches waiting for one peer.
#[derive(Debug, Default)]
pub(super) struct FetchQueue {
    pub(super) chunks: VecDeque<Wanted>,
    pub(super) in_flight: usize,
    /// The peer refused a fetch (rate limit): wait until then.
    pub(super) paused_until: Option<Instant>,
    /// Wanted records were dropped for want of room since the session
    /// began: the next session finds them again, and this one does not
    /// claim (`Reconciled`) that we hold all the peer held.
    pub(super) dropped: bool,
}

impl EventLoop {
    pub(super) fn queue_fetches(&mut self, peer: PeerId, mut need: Vec<RecordId>) {
        need.retain(|id| !self.sync.skip.contains(id));
        let chunks = need.chunks(FETCH_CHUNK.min(MAX_FETCH_IDS));
        self.enqueue_fetches(peer, chunks.map(|ids| Wanted::Ids(ids.to_vec())));
    }

    /// Queues fetches for `peer` and sends what its in-flight limit allows.
    /// At most [`QUEUED_FETCHES_PER_PEER`] requests wait per peer and
    /// [`QUEUED_FETCHES`] in all; what does not fit is dropped (and found
    /// again by the next session).
    pub(super) fn enqueue_fetches(&mut self, peer: PeerId, wanted: impl Iterator<Item = Wanted>) {
        let mut wanted = wanted.peekable();
        if wanted.peek().is_none() {
            return;
        }
        let queued: usize = self.sync.fetches.values().map(|q| q.chunks.len()).sum();
        let queue = self.sync.fetches.entry(peer).or_default();
        let room = QUEUED_FETCHES_PER_PEER
            .saturating_sub(queue.chunks.len())
            .min(QUEUED_FETCHES.saturating_sub(queued));
        queue.chunks.extend(wanted.by_ref().take(room));
        if wanted.next().is_some() {
            tracing::debug!(%peer, "fetch queue full: the rest waits for the next session");
            queue.dropped = true;
            self.stats.fetches_dropped += 1;
        }
        self.pump_fetches(peer);
    }

    pub(super) fn fetch_done(&mut self, peer: PeerId) {
        if let Some(queue) = self.sync.fetches.get_mut(&peer) {
            queue.in_flight = queue.in_flight.saturating_sub(1);
        }
        self.pump_fetches(peer);
        self.resume_if_idle(peer);
        self.tell_reconciled_if_done(peer);
    }

    /// Puts a refused or failed fetch back at the head of the queue and
    /// pauses the queue briefly, so a busy peer is not hammered and no id
    /// waits for the next sync round.
    pub(super) fn fetch_again_later(&mut self, peer: PeerId, chunk: Wanted) {
        if let Some(queue) = self.sync.fetches.get_mut(&peer) {
            queue.in_flight = queue.in_flight.saturating_sub(1);
            queue.chunks.push_front(chunk);
            queue.paused_until = Some(Instant::now() + RETRY_AFTER);
        }
    }

    pub(super) fn pump_fetches(&mut self, peer: PeerId) {
        let Some(queue) = self.sync.fetches.get_mut(&peer) else {
            return;
        };
        match queue.paused_until {
            Some(until) if until > Instant::now() => return,
            _ => queue.paused_until = None,
        }
        let room = FETCHES_IN_FLIGHT.saturating_sub(queue.in_flight);
        let chunks: Vec<Wanted> = (0..room).map_while(|_| queue.chunks.pop_front()).collect();
        queue.in_flight += chunks.len();
        for chunk in chunks {
            self.stats.fetch_bytes_sent += framed(chunk.body_len());
            self.send_sync(peer, chunk.request(), Pending::Fetch(chunk));
        }
    }
}

/// What one fetch asks for.
#[derive(Debug, Clone)]
pub(super) enum Wanted {
    /// Records by id (found by range fingerprints).
    Ids(Vec<RecordId>),
    /// Records by their keys under a sketch's salt.
    Keys(Salt, Vec<u64>),
}

impl Wanted {
    /// Bytes of the request after its tag.
    fn body_len(&self) -> usize {
        match self {
            Wanted::Ids(ids) => 32 * ids.len(),
            Wanted::Keys(_, keys) => SALT_LEN + 8 * keys.len(),
        }
    }

    fn request(&self) -> SyncRequest {
        match self {
            Wanted::Ids(ids) => SyncRequest::Fetch(ids.clone()),
            Wanted::Keys(salt, keys) => SyncRequest::FetchKeys {
                salt: *salt,
                keys: keys.clone(),
            },
        }
    }
}
