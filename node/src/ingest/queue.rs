//! The pipeline's queue: one lane per peer, served in turn, so a peer
//! flooding gossip delays only its own messages. A batch takes one job
//! from each waiting peer in turn, and at most [`LANE_SHARE`] from any one
//! peer, so an honest peer's message waits behind at most one batch of
//! another's.
//!
//! Gossip messages waiting, from all peers together, are bounded by
//! [`GOSSIP_QUEUED`]. When that is full, a message from a peer with a
//! shorter lane displaces the newest gossip message of the longest lane
//! (which is answered *Ignore*: sync brings it later, nobody is blamed);
//! otherwise the new message is refused the same way. Sync pages are
//! bounded before they get here (`SYNC_PAGES_IN_PIPELINE`).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use libp2p::PeerId;
use tokio::sync::Notify;

use super::{IngestJob, Source};

/// Gossip messages that may wait, from all peers together.
pub const GOSSIP_QUEUED: usize = 1_024;
/// Most jobs of one peer in one batch.
pub const LANE_SHARE: usize = 64;
/// Jobs taken into one batch.
pub const BATCH_JOBS: usize = 256;
/// Once a batch holds this many records it takes no more jobs: a few
/// sync pages, a fraction of a second to store, so the next batch is
/// verified while this one is stored.
pub const BATCH_RECORDS: usize = 4_096;

/// What became of a gossip message offered to the queue.
#[derive(Debug)]
pub enum Offer {
    /// Queued.
    Taken,
    /// Not queued: the queue is full and this peer's lane is the longest
    /// (or the pipeline has stopped).
    Refused(IngestJob),
    /// Queued, in place of this message of the peer with the longest lane.
    Displaced(IngestJob),
}

#[derive(Debug, Default)]
struct Lanes {
    lanes: HashMap<PeerId, VecDeque<IngestJob>>,
    /// Peers with jobs, in the order they are next served.
    turn: VecDeque<PeerId>,
    /// Gossip jobs queued.
    gossip: usize,
    senders: usize,
    closed: bool,
}

#[derive(Debug, Default)]
struct Shared {
    lanes: Mutex<Lanes>,
    ready: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Lanes> {
        self.lanes.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Puts jobs in the queue; the queue closes when the last one is dropped.
#[derive(Debug)]
pub struct IngestSender(Arc<Shared>);

/// Takes batches from the queue.
#[derive(Debug)]
pub struct IngestReceiver(Arc<Shared>);

/// A new, empty queue.
pub fn queue() -> (IngestSender, IngestReceiver) {
    let shared = Arc::new(Shared::default());
    shared.lock().senders = 1;
    (IngestSender(shared.clone()), IngestReceiver(shared))
}

impl Clone for IngestSender {
    fn clone(&self) -> Self {
        self.0.lock().senders += 1;
        IngestSender(self.0.clone())
    }
}

impl Drop for IngestSender {
    fn drop(&mut self) {
        let mut lanes = self.0.lock();
        lanes.senders -= 1;
        if lanes.senders == 0 {
            lanes.closed = true;
            drop(lanes);
            self.0.ready.notify_one();
        }
    }
}

fn peer_of(source: &Source) -> PeerId {
    match source {
        Source::Gossip { peer, .. } | Source::Sync { peer } | Source::Probation { peer } => *peer,
    }
}

impl Lanes {
    fn push(&mut self, job: IngestJob) {
        let peer = peer_of(&job.from);
        if matches!(job.from, Source::Gossip { .. }) {
            self.gossip += 1;
        }
        let lane = self.lanes.entry(peer).or_default();
        if lane.is_empty() {
            self.turn.push_back(peer);
        }
        lane.push_back(job);
    }

    /// The newest gossip job of the longest lane, if that lane is longer
    /// than `peer`'s would be with one more.
    fn displace_for(&mut self, peer: &PeerId) -> Option<IngestJob> {
        let mine = self.lanes.get(peer).map_or(0, VecDeque::len);
        let (longest, lane) = self.lanes.iter_mut().max_by_key(|(_, lane)| lane.len())?;
        if lane.len() <= mine + 1 {
            return None;
        }
        let at = lane
            .iter()
            .rposition(|job| matches!(job.from, Source::Gossip { .. }))?;
        let job = lane.remove(at)?;
        self.gossip -= 1;
        if lane.is_empty() {
            let longest = *longest;
            self.lanes.remove(&longest);
            self.turn.retain(|p| *p != longest);
        }
        Some(job)
    }

    fn is_empty(&self) -> bool {
        self.turn.is_empty()
    }

    /// Up to [`BATCH_JOBS`] jobs or [`BATCH_RECORDS`] records, one job per
    /// peer in turn, at most [`LANE_SHARE`] per peer.
    fn batch(&mut self) -> Vec<IngestJob> {
        let mut batch = Vec::new();
        let mut records = 0;
        let mut shares: HashMap<PeerId, usize> = HashMap::new();
        let mut served_out = Vec::new();
        while batch.len() < BATCH_JOBS && records < BATCH_RECORDS {
            let Some(peer) = self.turn.pop_front() else {
                break;
            };
            let Some(lane) = self.lanes.get_mut(&peer) else {
                continue;
            };
            let job = lane.pop_front();
            let drained = lane.is_empty();
            if drained {
                self.lanes.remove(&peer);
            }
            let Some(job) = job else {
                continue;
            };
            if matches!(job.from, Source::Gossip { .. }) {
                self.gossip -= 1;
            }
            records += job.records.len();
            batch.push(job);
            let share = shares.entry(peer).or_default();
            *share += 1;
            if drained {
                continue;
            } else if *share < LANE_SHARE {
                self.turn.push_back(peer);
            } else {
                served_out.push(peer);
            }
        }
        self.turn.extend(served_out);
        batch
    }
}

impl IngestSender {
    /// Offers a gossip message (see the module docs for when it is refused
    /// or displaces another).
    pub fn offer(&self, job: IngestJob) -> Offer {
        let mut lanes = self.0.lock();
        if lanes.closed {
            return Offer::Refused(job);
        }
        let outcome = if lanes.gossip < GOSSIP_QUEUED {
            Offer::Taken
        } else {
            match lanes.displace_for(&peer_of(&job.from)) {
                Some(displaced) => Offer::Displaced(displaced),
                None => return Offer::Refused(job),
            }
        };
        lanes.push(job);
        drop(lanes);
        self.0.ready.notify_one();
        outcome
    }

    /// Queues a sync page, which holds a place bounded elsewhere; `false`
    /// if the pipeline has stopped.
    pub fn push(&self, job: IngestJob) -> bool {
        let mut lanes = self.0.lock();
        if lanes.closed {
            return false;
        }
        lanes.push(job);
        drop(lanes);
        self.0.ready.notify_one();
        true
    }
}

impl IngestReceiver {
    /// Waits for jobs, then takes a batch of them; `None` once every
    /// sender is gone and the queue is empty.
    pub async fn next_batch(&mut self) -> Option<Vec<IngestJob>> {
        loop {
            let ready = self.0.ready.notified();
            tokio::pin!(ready);
            ready.as_mut().enable();
            {
                let mut lanes = self.0.lock();
                if !lanes.is_empty() {
                    return Some(lanes.batch());
                }
                if lanes.closed {
                    return None;
                }
            }
            ready.await;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use libp2p::gossipsub::MessageId;

    use super::*;

    fn gossip(peer: PeerId, n: u32) -> IngestJob {
        IngestJob {
            records: vec![n.to_be_bytes().to_vec()],
            from: Source::Gossip {
                message_id: MessageId::new(&n.to_be_bytes()),
                peer,
            },
            slot: None,
        }
    }

    fn sync(records: usize) -> IngestJob {
        IngestJob {
            records: vec![Vec::new(); records],
            from: Source::Sync {
                peer: PeerId::random(),
            },
            slot: None,
        }
    }

    fn peers(batch: &[IngestJob]) -> Vec<PeerId> {
        batch.iter().map(|job| peer_of(&job.from)).collect()
    }

    #[tokio::test]
    async fn a_batch_stops_at_its_job_or_record_limit() {
        let (jobs, mut queue) = queue();
        for records in [3_000, 3_000, 3_000] {
            assert!(jobs.push(sync(records)));
        }
        for _ in 0..300 {
            assert!(jobs.push(sync(1)));
        }
        drop(jobs);
        let mut sizes = Vec::new();
        while let Some(batch) = queue.next_batch().await {
            sizes.push(batch.len());
        }
        // Two pages reach the record limit; the third and 255 single
        // records reach the job limit; 45 remain.
        assert_eq!(sizes, vec![2, BATCH_JOBS, 45]);
    }

    #[tokio::test]
    async fn a_flooding_peer_delays_only_itself() {
        let (flooder, honest) = (PeerId::random(), PeerId::random());
        let (jobs, mut queue) = queue();
        for n in 0..1_000 {
            assert!(matches!(jobs.offer(gossip(flooder, n)), Offer::Taken));
        }
        assert!(matches!(jobs.offer(gossip(honest, 0)), Offer::Taken));
        let first = queue.next_batch().await.unwrap();
        assert_eq!(first.len(), LANE_SHARE + 1);
        assert!(peers(&first).contains(&honest));
        // The flooder's messages keep their order across batches.
        let second = queue.next_batch().await.unwrap();
        assert_eq!(peers(&second), vec![flooder; LANE_SHARE]);
        assert_eq!(second[0].records[0], (LANE_SHARE as u32).to_be_bytes());
    }

    #[tokio::test]
    async fn when_full_the_longest_lane_gives_way_and_nobody_else() {
        let (flooder, honest) = (PeerId::random(), PeerId::random());
        let (jobs, mut queue) = queue();
        for n in 0..GOSSIP_QUEUED as u32 {
            assert!(matches!(jobs.offer(gossip(flooder, n)), Offer::Taken));
        }
        // The flooder's next message is refused...
        let refused = jobs.offer(gossip(flooder, 5_000));
        assert!(matches!(refused, Offer::Refused(job) if job.records[0] == 5_000u32.to_be_bytes()));
        // ...an honest one takes the place of the flooder's newest.
        let displaced = jobs.offer(gossip(honest, 7));
        let Offer::Displaced(job) = displaced else {
            panic!("{displaced:?}")
        };
        assert_eq!(peer_of(&job.from), flooder);
        assert_eq!(job.records[0], (GOSSIP_QUEUED as u32 - 1).to_be_bytes());
        // Sync pages are never refused for gossip's sake.
        assert!(jobs.push(sync(10)));
        let first = queue.next_batch().await.unwrap();
        assert!(peers(&first).contains(&honest));
        assert_eq!(first.iter().filter(|j| j.records.len() == 10).count(), 1);
    }

    #[tokio::test]
    async fn the_queue_closes_when_the_last_sender_goes_after_its_jobs_are_taken() {
        let (jobs, mut queue) = queue();
        let other = jobs.clone();
        assert!(matches!(
            jobs.offer(gossip(PeerId::random(), 1)),
            Offer::Taken
        ));
        drop(jobs);
        assert!(other.push(sync(1)));
        drop(other);
        assert_eq!(queue.next_batch().await.unwrap().len(), 2);
        assert!(queue.next_batch().await.is_none());
    }

    #[tokio::test]
    async fn a_waiting_receiver_wakes_for_a_job() {
        let (jobs, mut queue) = queue();
        let waiting = tokio::spawn(async move { queue.next_batch().await.map(|b| b.len()) });
        tokio::task::yield_now().await;
        assert!(matches!(
            jobs.offer(gossip(PeerId::random(), 1)),
            Offer::Taken
        ));
        let taken = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(taken, Some(1));
    }
}
