//! Fetching what a reconciliation found we lack: per peer, a bounded
//! queue of requests (by id, or by sketch key) with a few in flight; a
//! refused request waits and goes again at the head of the queue.

use std::collections::{HashSet, VecDeque};
use std::time::Instant;

use coopnet_protocol::{MAX_RECORD_LEN, RecordId, SignedRecord};
use libp2p::PeerId;

use super::sync_handlers::RETRY_AFTER;
use super::{EventLoop, Pending, framed};
use crate::net::codec::{MAX_FETCH_IDS, MAX_RESPONSE_LEN, SyncRequest};
use crate::net::sketch::{SALT_LEN, Salt, Symbol};

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

    /// A fetched page is in the pipeline; what it left out (a full page)
    /// goes back at the head of the queue.
    pub(super) fn fetch_done(&mut self, peer: PeerId, rest: Option<Wanted>) {
        if let Some(queue) = self.sync.fetches.get_mut(&peer) {
            queue.in_flight = queue.in_flight.saturating_sub(1);
            if let Some(rest) = rest {
                queue.chunks.push_front(rest);
            }
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
pub enum Wanted {
    /// Records by id (found by range fingerprints).
    Ids(Vec<RecordId>),
    /// Records by their keys under a sketch's salt.
    Keys(Salt, Vec<u64>),
}

impl Wanted {
    /// What a page of `records` (in answer to this) left out, if the page
    /// was full enough that the responder may have cut it short (SPEC
    /// §8.2): the rest is asked for again. A page with room to spare left
    /// out only what the peer does not hold.
    pub(crate) fn rest(&self, records: &[Vec<u8>]) -> Option<Wanted> {
        let bytes: usize = records.iter().map(|r| 4 + r.len()).sum();
        if 1 + bytes + 4 + MAX_RECORD_LEN <= MAX_RESPONSE_LEN {
            return None;
        }
        let got: HashSet<RecordId> = records
            .iter()
            .filter_map(|r| SignedRecord::decode(r.as_slice()).ok())
            .map(|r| r.id())
            .collect();
        let rest = match self {
            Wanted::Ids(ids) => {
                Wanted::Ids(ids.iter().filter(|id| !got.contains(id)).copied().collect())
            }
            Wanted::Keys(salt, keys) => {
                let got: HashSet<u64> = got.iter().map(|id| Symbol::of(salt, id).key).collect();
                Wanted::Keys(
                    *salt,
                    keys.iter().filter(|k| !got.contains(k)).copied().collect(),
                )
            }
        };
        let empty = match &rest {
            Wanted::Ids(ids) => ids.is_empty(),
            Wanted::Keys(_, keys) => keys.is_empty(),
        };
        (!empty).then_some(rest)
    }

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use coopnet_protocol::{Body, Draft, KindCode, samples};

    use super::*;

    /// A signed record of about `size` bytes.
    fn record(n: usize, size: usize) -> Vec<u8> {
        let body = Body::Opaque {
            kind: KindCode(999),
            bytes: vec![7; size],
        };
        let draft = Draft::new(body, format!("r-{n}"), 1, samples::NOW);
        draft.sign(&samples::secret(1)).unwrap().into_bytes()
    }

    fn id_of(bytes: &[u8]) -> RecordId {
        SignedRecord::decode(bytes).unwrap().id()
    }

    #[test]
    fn a_full_page_asks_again_for_what_it_left_out() {
        let records: Vec<Vec<u8>> = (0..8).map(|n| record(n, 60_000)).collect();
        let asked = Wanted::Ids(records.iter().map(|r| id_of(r)).collect());
        // What fits in one frame, as a responder cuts it.
        let page = super::super::sync_handlers::page(records.clone());
        assert!(page.len() < records.len());
        let Some(Wanted::Ids(rest)) = asked.rest(&page) else {
            panic!("nothing asked again");
        };
        let expected: Vec<RecordId> = records[page.len()..].iter().map(|r| id_of(r)).collect();
        assert_eq!(rest, expected);
    }

    #[test]
    fn a_page_with_room_to_spare_left_out_only_what_the_peer_lacks() {
        let records: Vec<Vec<u8>> = (0..4).map(|n| record(n, 100)).collect();
        let asked = Wanted::Ids(records.iter().map(|r| id_of(r)).collect());
        assert!(asked.rest(&records[..2]).is_none());
    }

    #[test]
    fn a_full_page_of_keys_asks_again_by_key() {
        let salt = [9; SALT_LEN];
        let records: Vec<Vec<u8>> = (0..6).map(|n| record(n, 60_000)).collect();
        let keys = records
            .iter()
            .map(|r| Symbol::of(&salt, &id_of(r)).key)
            .collect();
        let page = super::super::sync_handlers::page(records.clone());
        let Some(Wanted::Keys(_, rest)) = Wanted::Keys(salt, keys).rest(&page) else {
            panic!("nothing asked again");
        };
        let expected: Vec<u64> = records[page.len()..]
            .iter()
            .map(|r| Symbol::of(&salt, &id_of(r)).key)
            .collect();
        assert_eq!(rest, expected);
    }
}
