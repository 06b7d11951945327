//! The ingest pipeline: records from peers are verified in batches on a
//! blocking thread, stored in one transaction per batch, and the verdicts
//! flow back to the event loop (gossip acceptance, penalties, index).
//!
//! Order per batch: verify → store (last-writer-wins) → report, with the
//! next batch verified while one is stored. Gossip is
//! relayed only for records that verified *and* became current, so a
//! replayed old version is not spread.
//!
//! Between verifying and storing, gossip passes the per-author rate limit
//! ([`crate::net::limits`]); and records that sync, a push or the
//! quarantine made current are handed back to be forwarded by gossip
//! (recent ones, at a bounded rate), so a line of nodes converges in
//! seconds rather than sync intervals.

use std::time::Instant;

use coopnet_protocol::{PublicKey, RecordError, Timestamp, VerifiedRecord, verify_bytes};
use libp2p::PeerId;
use libp2p::gossipsub::{MessageAcceptance, MessageId};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::intake::{Intake, Outcome};
use crate::net::Feedback;
use crate::net::limits::{Bucket, Buckets, LogOnce, REGOSSIP, Rate};

mod queue;

pub use queue::{GOSSIP_QUEUED, IngestReceiver, IngestSender, Offer, queue};
/// Pages of sync records (fetched or pushed), from all peers together,
/// that may wait in the queue or the pipeline at once. A page is at most
/// 256 KiB (`MAX_RESPONSE_LEN`), so however large a difference sync finds,
/// it makes this node hold at most 16 MiB of records awaiting storage.
pub const SYNC_PAGES_IN_PIPELINE: usize = 64;

/// Records issued longer ago than this are not forwarded by gossip when
/// sync brings them (they are old news; sync spreads them).
pub const REGOSSIP_WINDOW_MS: u64 = 3_600_000;
/// Most records one batch hands back for forwarding.
const FORWARD_PER_BATCH: usize = 64;

/// One sync page's place in the pipeline, given back once it is stored.
pub type PageSlot = tokio::sync::OwnedSemaphorePermit;

/// Records to ingest, and where they came from.
#[derive(Debug)]
pub struct IngestJob {
    /// Raw signed records.
    pub records: Vec<Vec<u8>>,
    /// Who sent them.
    pub from: Source,
    /// A sync page's place (see [`SYNC_PAGES_IN_PIPELINE`]), held until
    /// its records are stored.
    pub slot: Option<PageSlot>,
}

/// Where records came from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A gossip message, awaiting its validation verdict.
    Gossip {
        /// Gossipsub's id for it.
        message_id: MessageId,
        /// The peer that relayed it.
        peer: PeerId,
    },
    /// A sync fetch or push from a member.
    Sync {
        /// The peer that served it.
        peer: PeerId,
    },
    /// A sync fetch from a peer that is not a member (yet): only its
    /// membership and revocation records are taken (SPEC §9.4), the rest
    /// is dropped unstored, unheld and unblamed.
    Probation {
        /// The peer that served it.
        peer: PeerId,
    },
}

/// Starts the pipeline, taking gossip of each author at most at
/// `per_author`; returns the queue to feed it.
pub fn spawn(
    intake: Intake,
    per_author: Rate,
    feedback: mpsc::Sender<Feedback>,
) -> (IngestSender, JoinHandle<()>) {
    let (jobs_tx, jobs) = queue();
    let limits = Limits::new(per_author);
    let task = tokio::spawn(run(jobs, intake, limits, feedback));
    (jobs_tx, task)
}

/// The store stage's rate limits.
#[derive(Debug)]
struct Limits {
    /// Each author's records taken by gossip, whoever relayed them.
    per_author: Buckets<PublicKey>,
    /// Each author's records sent by the author's own node: an honest node
    /// sends its own at half this rate, so only a flooder exceeds it.
    author_sends: Buckets<PublicKey>,
    regossip: Bucket,
    log: LogOnce,
}

impl Limits {
    fn new(per_author: Rate) -> Self {
        Self {
            per_author: Buckets::new(per_author),
            author_sends: Buckets::new(per_author),
            regossip: Bucket::full(REGOSSIP, Instant::now()),
            log: LogOnce::default(),
        }
    }

    /// Logs refusals of `author`'s records, at most once a second.
    fn log_over_rate(&mut self, author: &PublicKey, peer: &PeerId, now: Instant) {
        if self.log.due(now) {
            let rate = self.per_author.rate().per_second;
            tracing::warn!(%author, %peer, "gossip refused: over the author's rate of {rate} records/s");
        }
    }
}

/// Verified batches that may wait for the store while the next is verified.
const VERIFIED_AHEAD: usize = 1;
/// Below this many records a batch is verified on one thread: splitting
/// costs more than it saves.
const SPLIT_FROM: usize = 64;

/// Two stages, so that both cores work: batch N+1 is verified (on up to
/// [`verifier_threads`] blocking threads) while batch N is stored. Batches
/// are stored in the order they arrived; the task ends once every queued
/// job is stored and reported.
async fn run(
    jobs: IngestReceiver,
    intake: Intake,
    limits: Limits,
    feedback: mpsc::Sender<Feedback>,
) {
    let (checked_tx, checked) = mpsc::channel(VERIFIED_AHEAD);
    let store_stage = tokio::spawn(store_stage(checked, intake, limits, feedback));
    verify_stage(jobs, checked_tx).await;
    if store_stage.await.is_err() {
        tracing::error!("the ingest store stage failed");
    }
}

/// A verified batch, with the places of the sync pages in it.
type VerifiedBatch = (Checked, Vec<PageSlot>);

async fn verify_stage(mut jobs: IngestReceiver, checked: mpsc::Sender<VerifiedBatch>) {
    while let Some(mut batch) = jobs.next_batch().await {
        let slots: Vec<PageSlot> = batch.iter_mut().filter_map(|j| j.slot.take()).collect();
        let verified = verify_jobs(batch, crate::clock::now()).await;
        if checked.send((verified, slots)).await.is_err() {
            return;
        }
    }
}

async fn store_stage(
    mut checked: mpsc::Receiver<VerifiedBatch>,
    intake: Intake,
    mut limits: Limits,
    feedback: mpsc::Sender<Feedback>,
) {
    while let Some((batch, slots)) = checked.recv().await {
        if let Err(e) = take_and_report(batch, &intake, &mut limits, &feedback).await {
            tracing::error!("ingest failed: {e}");
        }
        drop(slots);
    }
}

type Checked = Vec<(Source, Vec<Result<VerifiedRecord, RecordError>>)>;

/// How many threads verify one batch: the machine's cores.
fn verifier_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Verifies every job's records as of `now`, splitting a large batch into
/// contiguous parts verified on separate blocking threads; results keep
/// the jobs' order.
async fn verify_jobs(jobs: Vec<IngestJob>, now: Timestamp) -> Checked {
    let mut sources = Vec::with_capacity(jobs.len());
    let mut records = Vec::new();
    for job in jobs {
        sources.push((job.from, job.records.len()));
        records.extend(job.records);
    }
    let threads = if records.len() < SPLIT_FROM {
        1
    } else {
        verifier_threads()
    };
    let part = records.len().div_ceil(threads).max(1);
    let mut parts = Vec::with_capacity(threads);
    while !records.is_empty() {
        let rest = records.split_off(part.min(records.len()));
        let mine = std::mem::replace(&mut records, rest);
        let len = mine.len();
        parts.push((
            len,
            tokio::task::spawn_blocking(move || verify_batch(mine, now)),
        ));
    }
    let mut results: Vec<Option<Result<VerifiedRecord, RecordError>>> = Vec::new();
    for (len, part) in parts {
        match part.await {
            Ok(verified) => results.extend(verified.into_iter().map(Some)),
            // A panic in verification is a bug; its records are dropped
            // (neither stored nor relayed) rather than taking the node
            // down, and the other parts keep their places.
            Err(e) => {
                tracing::error!("verification thread failed: {e}");
                results.extend(std::iter::repeat_with(|| None).take(len));
            }
        }
    }
    let mut results = results.into_iter();
    sources
        .into_iter()
        .map(|(from, n)| (from, results.by_ref().take(n).flatten().collect()))
        .collect()
}

/// Verifies raw records as of `now` (CPU-bound: call from a blocking thread).
pub fn verify_batch(
    records: Vec<Vec<u8>>,
    now: Timestamp,
) -> Vec<Result<VerifiedRecord, RecordError>> {
    records
        .into_iter()
        .map(|bytes| verify_bytes(bytes, now))
        .collect()
}

async fn take_and_report(
    checked: Checked,
    intake: &Intake,
    limits: &mut Limits,
    feedback: &mpsc::Sender<Feedback>,
) -> Result<(), crate::store::StoreError> {
    let now = Instant::now();
    let mut valid = Vec::new();
    let mut verdicts: Vec<(Source, Check)> = Vec::new();
    let mut over_rate = 0;
    let mut skipped = Vec::new();
    for (from, results) in checked {
        for result in results {
            let check = match result {
                Ok(verified) if !may_come_from(&from, &verified) => {
                    skipped.push(verified.record().id());
                    Check::NotTaken
                }
                Ok(verified) => match pace(&from, &verified, limits, now) {
                    Pace::Within => {
                        valid.push(verified);
                        Check::Valid
                    }
                    Pace::Over { flooding } => {
                        over_rate += 1;
                        Check::OverRate { flooding }
                    }
                },
                Err(error) => Check::Invalid(error),
            };
            verdicts.push((from.clone(), check));
        }
    }
    let forwardable = forward_candidates(&verdicts, &valid);
    let taken = intake.take(valid).await?;
    let mut outcomes = taken.outcomes.iter().copied();
    let mut forward = Vec::new();
    let mut candidates = forwardable.into_iter();
    for (from, check) in verdicts {
        let verdict = match check {
            Check::Invalid(error) => Verdict::Invalid(error),
            Check::OverRate { flooding } => Verdict::OverRate { flooding },
            Check::NotTaken => continue,
            Check::Valid => match (outcomes.next(), candidates.next()) {
                (Some(outcome), candidate) => {
                    if let (Outcome::Stored(o), Some(Some(bytes))) = (outcome, candidate)
                        && o.is_current()
                    {
                        forward.push(bytes);
                    }
                    Verdict::Taken(outcome)
                }
                (None, _) => break,
            },
        };
        count(&intake.monitor, &from, &verdict);
        report(&from, verdict, feedback).await;
    }
    forward.extend(taken.released);
    let allowed = forward_within_rate(forward, limits, now);
    if !allowed.is_empty() {
        let _ = feedback.send(Feedback::Forward(allowed)).await;
    }
    if over_rate > 0 {
        let _ = feedback.send(Feedback::OverRate(over_rate)).await;
    }
    let _ = feedback.send(Feedback::Indexed(taken.change)).await;
    skipped.extend(taken.skipped);
    if !skipped.is_empty() {
        let _ = feedback.send(Feedback::Skip(skipped)).await;
    }
    if taken.roster_changed {
        let _ = feedback.send(Feedback::RosterChanged).await;
    }
    Ok(())
}

/// A record's check before storing.
enum Check {
    Valid,
    Invalid(RecordError),
    /// Over its author's gossip rate; `flooding` if the author's own node
    /// sent it over its own sending rate.
    OverRate {
        flooding: bool,
    },
    /// Not a record its source may give us (a non-member's, not roster).
    NotTaken,
}

/// Whether a verified record may come from where it came: anything from a
/// member, only roster records from a peer on probation.
fn may_come_from(from: &Source, verified: &VerifiedRecord) -> bool {
    match from {
        Source::Probation { .. } => matches!(
            coopnet_protocol::Kind::from_code(verified.record().header().kind),
            Some(coopnet_protocol::Kind::Membership | coopnet_protocol::Kind::Revocation)
        ),
        Source::Gossip { .. } | Source::Sync { .. } => true,
    }
}

/// A gossip record against its author's rate.
enum Pace {
    /// Within it (or not gossip: sync is not limited per author).
    Within,
    /// Over it; `flooding` if the author's own node sent it over the rate
    /// of what that node sends itself, which no honest node does.
    Over { flooding: bool },
}

/// Whether a verified record is within its author's gossip rate.
fn pace(from: &Source, verified: &VerifiedRecord, limits: &mut Limits, now: Instant) -> Pace {
    let Source::Gossip { peer, .. } = from else {
        return Pace::Within;
    };
    let author = verified.record().header().author;
    // Only the author's own sends count here: records of an honest author
    // that relays forward (after a partition, say) may use up the shared
    // bucket below, and must not make the author look like a flooder.
    let flooding = sent_by_author(from, verified) && !limits.author_sends.take(author, now);
    if limits.per_author.take(author, now) && !flooding {
        return Pace::Within;
    }
    limits.log_over_rate(&author, peer, now);
    Pace::Over { flooding }
}

/// Whether the peer that sent a record by gossip is its author.
fn sent_by_author(from: &Source, verified: &VerifiedRecord) -> bool {
    let Source::Gossip { peer, .. } = from else {
        return false;
    };
    crate::identity::coop_key_of(peer) == Some(verified.record().header().author)
}

/// For each valid record in order, its bytes if it came by sync and is
/// recent enough to forward should it become current.
fn forward_candidates(
    verdicts: &[(Source, Check)],
    valid: &[VerifiedRecord],
) -> Vec<Option<Vec<u8>>> {
    let since = crate::clock::now().0.saturating_sub(REGOSSIP_WINDOW_MS);
    let synced = verdicts
        .iter()
        .filter(|(_, check)| matches!(check, Check::Valid))
        .map(|(from, _)| matches!(from, Source::Sync { .. } | Source::Probation { .. }));
    synced
        .zip(valid)
        .map(|(synced, record)| {
            let record = record.record();
            (synced && record.header().issued_at.0 >= since).then(|| record.bytes().to_vec())
        })
        .collect()
}

/// The records to forward that the re-gossip rate allows (at most
/// [`FORWARD_PER_BATCH`]); the rest are left to sync.
fn forward_within_rate(records: Vec<Vec<u8>>, limits: &mut Limits, now: Instant) -> Vec<Vec<u8>> {
    records
        .into_iter()
        .take(FORWARD_PER_BATCH)
        .take_while(|_| limits.regossip.take(REGOSSIP, now))
        .collect()
}

enum Verdict {
    Taken(Outcome),
    Invalid(RecordError),
    OverRate { flooding: bool },
}

/// Counts a verdict for `/metrics`; an invalid record goes to the event
/// log with its reason and the peer that sent it.
fn count(monitor: &crate::monitor::Monitor, from: &Source, verdict: &Verdict) {
    let (source, peer) = match from {
        Source::Gossip { peer, .. } => ("gossip", Some(*peer)),
        Source::Sync { peer } => ("sync", Some(*peer)),
        Source::Probation { peer } => ("probation", Some(*peer)),
    };
    let outcome = match verdict {
        Verdict::Taken(Outcome::Stored(o)) if o.is_current() => "stored",
        Verdict::Taken(Outcome::Stored(_)) => "not-newer",
        Verdict::Taken(Outcome::Held) => "quarantined",
        Verdict::Taken(Outcome::Refused(_)) => "refused",
        Verdict::OverRate { .. } => "over-rate",
        Verdict::Invalid(_) => "invalid",
    };
    monitor.ingest(source, outcome);
    if let Verdict::Invalid(error) = verdict {
        monitor.reject(error.code());
        monitor.event(crate::monitor::Event {
            kind: "rejected",
            coop: None,
            peer: peer.map(|p| p.to_string()),
            detail: format!("a record by {source} was refused: {error}"),
        });
    }
}

async fn report(from: &Source, verdict: Verdict, feedback: &mpsc::Sender<Feedback>) {
    if let (Source::Gossip { peer, .. }, Verdict::OverRate { flooding: true }) = (from, &verdict) {
        let _ = feedback.send(Feedback::Flooded { peer: *peer }).await;
    }
    let message = match (from, verdict) {
        (Source::Gossip { message_id, peer }, verdict) => {
            let acceptance = match verdict {
                Verdict::Taken(Outcome::Stored(o)) if o.is_current() => MessageAcceptance::Accept,
                // Already held, or an older or equal version than the one
                // held: an honest peer relays a version that was current
                // when it relayed it, and a newer one may have overtaken it
                // in flight. Not relayed, nobody blamed (SPEC §8.1).
                Verdict::Taken(Outcome::Stored(_)) => MessageAcceptance::Ignore,
                // Not a member (yet), or revoked: an honest peer with an
                // older roster may relay it, so do not blame, just drop.
                Verdict::Taken(Outcome::Held | Outcome::Refused(_)) => MessageAcceptance::Ignore,
                // Over the author's rate: not relayed, nobody blamed by
                // gossipsub (a Reject would count against every peer that
                // relayed a copy too). The author's own node flooding gets
                // flood points instead, below.
                Verdict::OverRate { .. } => MessageAcceptance::Ignore,
                Verdict::Invalid(e) if e.is_honest_mistake() => MessageAcceptance::Ignore,
                Verdict::Invalid(e) => {
                    tracing::warn!(%peer, "invalid record by gossip: {e}");
                    MessageAcceptance::Reject
                }
            };
            Feedback::Gossip {
                message_id: message_id.clone(),
                source: *peer,
                acceptance,
            }
        }
        (Source::Sync { peer } | Source::Probation { peer }, Verdict::Invalid(e))
            if !e.is_honest_mistake() =>
        {
            Feedback::Invalid {
                peer: *peer,
                reason: e.to_string(),
            }
        }
        (Source::Sync { .. } | Source::Probation { .. }, _) => return,
    };
    let _ = feedback.send(message).await;
}

#[cfg(test)]
mod tests;
