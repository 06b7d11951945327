//! Pushing records to a peer, and taking the pushes of peers.
//!
//! One side of each pair of peers runs the reconciliation (see
//! [`EventLoop::initiates_with`]); it learns both what it lacks (fetched)
//! and what the peer lacks (`have` ids). The latter it pushes: the records
//! are read from the store in chunks, cut into pages of at most
//! [`MAX_PUSH_BYTES`], and sent a few at a time. The receiver treats a push
//! like a fetched page (verified, stored, the sender blamed for invalid
//! records) and answers once the page has a place in its ingest pipeline,
//! so the pusher goes at the pace the receiver stores; it refuses a push
//! when too many already wait, and a refused page is sent again after a
//! pause. A peer that is not a member is pushed only
//! membership and revocation records, as it would be served.
//!
//! When the initiator has fetched everything its session found, it tells
//! the peer so (`Reconciled`): the peer then knows it holds all its records,
//! which is how a node that did not initiate learns who holds its own.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use coopnet_protocol::{RecordId, SignedRecord};
use libp2p::PeerId;
use libp2p::request_response::ResponseChannel;
use tokio::sync::Semaphore;

use super::membership::is_roster;
use super::{EventLoop, Pending, framed};
use crate::ingest::{IngestJob, IngestSender, Source};
use crate::net::Feedback;
use crate::net::PushPage;
use crate::net::codec::MAX_PUSH_BYTES;
use crate::net::codec::{SyncRequest, SyncResponse};

/// Ids read from the store per chunk of a push.
const PUSH_CHUNK: usize = 256;
/// Pushes awaiting an answer, per peer.
const PUSHES_IN_FLIGHT: usize = 2;
/// How long to wait before pushing again to a peer that refused.
const PUSH_RETRY_AFTER: Duration = Duration::from_secs(1);
/// Pushes from all peers that may wait for a place in the ingest pipeline
/// (each a page of at most [`MAX_PUSH_BYTES`]); more are refused at once.
pub(super) const PUSHES_WAITING: usize = 16;
/// How long a push waits for a place before it is refused.
const PUSH_WAIT: Duration = Duration::from_secs(10);

/// What remains to push to one peer.
#[derive(Debug, Default)]
pub(super) struct PushQueue {
    /// Ids not yet read from the store.
    chunks: VecDeque<Vec<RecordId>>,
    /// Pages read and ready to send.
    pages: VecDeque<PushPage>,
    /// A store read is under way.
    reading: bool,
    in_flight: usize,
    /// The peer refused a push: wait until then.
    paused_until: Option<Instant>,
}

impl PushQueue {
    fn is_idle(&self) -> bool {
        self.chunks.is_empty() && self.pages.is_empty() && !self.reading && self.in_flight == 0
    }
}

impl EventLoop {
    /// Whether this node runs the reconciliation with `peer` on connect and
    /// on the timer: the side with the lower peer id does, so each pair
    /// runs one session, not two. With a peer it does not count as a member
    /// (yet) it always does, since that peer may not count us either.
    pub(super) fn initiates_with(&self, peer: &PeerId) -> bool {
        self.swarm.local_peer_id() < peer || !self.is_member(peer)
    }

    /// Queues records the peer lacks (as a reconciliation found) for pushing.
    pub(super) fn queue_pushes(&mut self, peer: PeerId, have: Vec<RecordId>) {
        if have.is_empty() {
            return;
        }
        let queue = self.sync.pushes.entry(peer).or_default();
        queue
            .chunks
            .extend(have.chunks(PUSH_CHUNK).map(<[RecordId]>::to_vec));
        self.pump_pushes(peer);
    }

    /// Sends ready pages up to the in-flight limit, and reads the next
    /// chunk when none are ready.
    pub(super) fn pump_pushes(&mut self, peer: PeerId) {
        loop {
            let Some(queue) = self.sync.pushes.get_mut(&peer) else {
                return;
            };
            match queue.paused_until {
                Some(until) if until > Instant::now() => return,
                _ => queue.paused_until = None,
            }
            if queue.in_flight >= PUSHES_IN_FLIGHT {
                break;
            }
            let Some(page) = queue.pages.pop_front() else {
                break;
            };
            queue.in_flight += 1;
            self.send_push(peer, page);
        }
        let roster_only = !self.is_member(&peer);
        let Some(queue) = self.sync.pushes.get_mut(&peer) else {
            return;
        };
        if !queue.pages.is_empty() || queue.reading {
            return;
        }
        let Some(chunk) = queue.chunks.pop_front() else {
            if queue.is_idle() {
                self.sync.pushes.remove(&peer);
            }
            return;
        };
        queue.reading = true;
        let (store, feedback) = (self.store.clone(), self.feedback_tx.clone());
        tokio::spawn(async move {
            let pages = match store.get_bytes(chunk).await {
                Ok(records) => pages(records, roster_only),
                Err(e) => {
                    tracing::warn!("cannot read records to push: {e}");
                    Vec::new()
                }
            };
            let _ = feedback.send(Feedback::PushPages { peer, pages }).await;
        });
    }

    fn send_push(&mut self, peer: PeerId, page: PushPage) {
        let records = page.records.clone();
        self.stats.push_bytes_sent += framed(records.iter().map(|r| 4 + r.len()).sum());
        self.stats.records_pushed += records.len() as u64;
        self.send_sync(peer, SyncRequest::Push(records), Pending::Push(page));
    }

    /// Pages read from the store for `peer`.
    pub(super) fn push_pages_read(&mut self, peer: PeerId, pages: Vec<PushPage>) {
        let Some(queue) = self.sync.pushes.get_mut(&peer) else {
            return;
        };
        queue.reading = false;
        queue.pages.extend(pages);
        self.pump_pushes(peer);
    }

    /// The peer took a page: our own records on it are now its too.
    pub(super) fn push_done(&mut self, peer: PeerId, page: &PushPage) {
        let holders = &self.holders;
        let own: Vec<RecordId> = page
            .ids
            .iter()
            .copied()
            .filter(|id| holders.is_own(id))
            .collect();
        self.holders.fetched(peer, own);
        if let Some(queue) = self.sync.pushes.get_mut(&peer) {
            queue.in_flight = queue.in_flight.saturating_sub(1);
        }
        self.pump_pushes(peer);
    }

    /// A push the peer refused or that failed: sent again after a pause.
    pub(super) fn push_again_later(&mut self, peer: PeerId, page: PushPage) {
        if let Some(queue) = self.sync.pushes.get_mut(&peer) {
            queue.in_flight = queue.in_flight.saturating_sub(1);
            queue.pages.push_front(page);
            queue.paused_until = Some(Instant::now() + PUSH_RETRY_AFTER);
        }
    }

    /// Push queues whose pause is over go on.
    pub(super) fn retry_pushes(&mut self) {
        let now = Instant::now();
        let due: Vec<PeerId> = self
            .sync
            .pushes
            .iter()
            .filter(|(_, q)| q.paused_until.is_some_and(|t| t <= now))
            .map(|(peer, _)| *peer)
            .collect();
        for peer in due {
            self.pump_pushes(peer);
        }
    }

    /// Takes a member's push into the ingest pipeline. The answer waits
    /// (in a task) until the page has a place in the pipeline, so a pushing
    /// peer goes at the pace this node stores; it is a refusal (the sender
    /// tries again later) when [`PUSHES_WAITING`] pushes already wait or no
    /// place came free within [`PUSH_WAIT`].
    pub(super) fn take_push(
        &mut self,
        peer: PeerId,
        records: Vec<Vec<u8>>,
        channel: ResponseChannel<SyncResponse>,
    ) {
        const BUSY: &str = "busy storing records: push again shortly";
        let Ok(waiting) = self.sync.pushes_waiting.clone().try_acquire_owned() else {
            self.refuse(channel, BUSY);
            return;
        };
        let (places, ingest) = (self.sync.pages.clone(), self.ingest.clone());
        let feedback = self.feedback_tx.clone();
        tokio::spawn(async move {
            let taken = take_when_placed(peer, records, places, ingest, waiting).await;
            let response = match taken {
                Ok((bytes, records)) => {
                    let _ = feedback.send(Feedback::PushTaken { bytes, records }).await;
                    SyncResponse::Received
                }
                Err(()) => SyncResponse::Refused(BUSY.into()),
            };
            let _ = feedback.send(Feedback::Respond { channel, response }).await;
        });
    }

    /// A push was taken into the pipeline: `bytes` of records, framed.
    pub(super) fn push_taken(&mut self, bytes: u64, records: u64) {
        self.stats.push_bytes_received += bytes;
        self.stats.records_received_by_push += records;
    }

    /// Tells the peer our session with it is over and its fetches done,
    /// once both are true.
    pub(super) fn tell_reconciled_if_done(&mut self, peer: PeerId) {
        let (fetching, dropped) = self
            .sync
            .fetches
            .get(&peer)
            .map_or((false, false), |queue| {
                (
                    !queue.chunks.is_empty() || queue.in_flight > 0,
                    queue.dropped,
                )
            });
        if fetching || self.sync.sessions.contains_key(&peer) || !self.sync.reconciled.remove(&peer)
        {
            return;
        }
        if dropped {
            return;
        }
        self.send_sync(peer, SyncRequest::Reconciled, Pending::Reconciled);
    }
}

/// Cuts records into pages of at most [`MAX_PUSH_BYTES`], each with its
/// records' ids (decoded here, in the reading task, not on the event loop);
/// with `roster_only`, keeps only membership and revocation records. Bytes
/// that do not decode (none, from our own store) are left out.
fn pages(records: Vec<Vec<u8>>, roster_only: bool) -> Vec<PushPage> {
    let mut pages: Vec<PushPage> = Vec::new();
    let mut size = 0;
    for bytes in records {
        let Ok(record) = SignedRecord::decode(bytes.as_slice()) else {
            continue;
        };
        if roster_only && !is_roster(&record) {
            continue;
        }
        let len = 4 + bytes.len();
        let page = match pages.last_mut() {
            Some(page) if size + len <= MAX_PUSH_BYTES => page,
            _ => {
                size = 0;
                pages.push(PushPage::default());
                pages.last_mut().expect("a page was just pushed")
            }
        };
        page.ids.push(record.id());
        page.records.push(bytes);
        size += len;
    }
    pages
}

/// Waits (up to [`PUSH_WAIT`]) for a place in the pipeline, then queues the
/// pushed page; gives the waiting-room place back either way. `Ok` has the
/// page's framed bytes and its count of records.
async fn take_when_placed(
    peer: PeerId,
    records: Vec<Vec<u8>>,
    places: Arc<Semaphore>,
    ingest: IngestSender,
    waiting: tokio::sync::OwnedSemaphorePermit,
) -> Result<(u64, u64), ()> {
    let placed = tokio::time::timeout(PUSH_WAIT, places.acquire_owned()).await;
    drop(waiting);
    let Ok(Ok(slot)) = placed else {
        return Err(());
    };
    let bytes = framed(records.iter().map(|r| 4 + r.len()).sum());
    let count = records.len() as u64;
    let job = IngestJob {
        records,
        from: Source::Sync { peer },
        slot: Some(slot),
    };
    if !ingest.push(job) {
        return Err(());
    }
    Ok((bytes, count))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use coopnet_protocol::{Body, Draft, samples};

    use super::*;

    /// `n` signed contracts of sample co-op 1.
    fn contracts(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| {
                let draft = Draft::new(
                    Body::Contract(samples::contract(i)),
                    format!("c-{i}"),
                    1,
                    samples::NOW,
                );
                draft.sign(&samples::secret(1)).unwrap().into_bytes()
            })
            .collect()
    }

    #[test]
    fn pages_stay_within_the_push_limit_and_keep_every_record_in_order() {
        let records = contracts(1_200);
        let paged = pages(records.clone(), false);
        assert!(paged.len() > 1);
        for page in &paged {
            assert!(page.records.iter().map(|r| 4 + r.len()).sum::<usize>() <= MAX_PUSH_BYTES);
        }
        let all: Vec<Vec<u8>> = paged.iter().flat_map(|p| p.records.clone()).collect();
        assert_eq!(all, records);
    }

    #[test]
    fn a_non_member_is_pushed_no_record_but_roster_ones() {
        assert!(pages(contracts(3), true).is_empty());
    }

    /// A pipeline with one place, taken; a waiting room of one, entered.
    fn full_pipeline() -> (
        Arc<Semaphore>,
        Arc<Semaphore>,
        tokio::sync::OwnedSemaphorePermit,
    ) {
        let places = Arc::new(Semaphore::new(1));
        let waiting = Arc::new(Semaphore::new(1));
        let entered = waiting.clone().try_acquire_owned().unwrap();
        (places, waiting, entered)
    }

    #[tokio::test(start_paused = true)]
    async fn a_push_waits_for_a_place_and_is_queued_holding_it() {
        let (places, waiting, entered) = full_pipeline();
        let taken = places.clone().try_acquire_owned().unwrap();
        let (ingest, mut queued) = crate::ingest::queue();
        let push = tokio::spawn(take_when_placed(
            PeerId::random(),
            contracts(2),
            places.clone(),
            ingest,
            entered,
        ));
        tokio::time::sleep(PUSH_WAIT / 2).await;
        assert!(!push.is_finished(), "answered before a place came free");
        drop(taken);
        let (bytes, records) = push.await.unwrap().unwrap();
        assert_eq!(records, 2);
        assert!(bytes > 0);
        let batch = queued.next_batch().await.unwrap();
        let job = &batch[0];
        assert_eq!(job.records, contracts(2));
        assert!(job.slot.is_some());
        assert_eq!(
            places.available_permits(),
            0,
            "the queued page holds its place"
        );
        assert_eq!(waiting.available_permits(), 1, "the waiting room is left");
    }

    #[tokio::test(start_paused = true)]
    async fn a_push_that_finds_no_place_in_time_is_refused_and_queues_nothing() {
        let (places, waiting, entered) = full_pipeline();
        let _taken = places.clone().try_acquire_owned().unwrap();
        let (ingest, mut queued) = crate::ingest::queue();
        let taken = take_when_placed(PeerId::random(), contracts(2), places, ingest, entered);
        assert_eq!(taken.await, Err(()));
        // Its sender gone, the queue ends without a job.
        assert!(queued.next_batch().await.is_none());
        assert_eq!(waiting.available_permits(), 1, "the waiting room is left");
    }
}
