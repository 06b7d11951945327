//! The ingest pipeline: records from peers are verified in batches on a
//! blocking thread, stored in one transaction per batch, and the verdicts
//! flow back to the event loop (gossip acceptance, penalties, index).
//!
//! Order per batch: verify → store (last-writer-wins) → report. Gossip is
//! relayed only for records that verified *and* became current, so a
//! replayed old version is not spread.

use coopnet_protocol::{RecordError, RecordId, Timestamp, VerifiedRecord, verify_bytes};
use libp2p::PeerId;
use libp2p::gossipsub::{MessageAcceptance, MessageId};
use libp2p::request_response::ResponseChannel;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::intake::{Intake, Outcome};
use crate::net::IndexChange;
use crate::net::codec::SyncResponse;
use crate::store::IngestOutcome;

/// Jobs that may wait for the pipeline.
pub const INGEST_QUEUE: usize = 1_024;
/// Jobs taken into one batch.
const BATCH_JOBS: usize = 256;

/// Records to ingest, and where they came from.
#[derive(Debug)]
pub struct IngestJob {
    /// Raw signed records.
    pub records: Vec<Vec<u8>>,
    /// Who sent them.
    pub from: Source,
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
    /// A sync fetch from a peer.
    Sync {
        /// The peer that served it.
        peer: PeerId,
    },
}

/// What the pipeline (and helper tasks) tell the event loop.
#[derive(Debug)]
pub enum Feedback {
    /// The verdict on a gossip message.
    Gossip {
        /// Gossipsub's id for it.
        message_id: MessageId,
        /// The peer that relayed it.
        source: PeerId,
        /// Accept (relay), Reject (penalise) or Ignore.
        acceptance: MessageAcceptance,
    },
    /// A peer sent an invalid record through sync.
    Invalid {
        /// The peer.
        peer: PeerId,
        /// What was wrong.
        reason: String,
    },
    /// The set of current records changed.
    Indexed(IndexChange),
    /// Records held or refused by the gate: do not fetch them again.
    Skip(Vec<RecordId>),
    /// The roster changed: re-check who may stay connected.
    RosterChanged,
    /// A sync response is ready to send.
    Respond {
        /// Where to send it.
        channel: ResponseChannel<SyncResponse>,
        /// What to send.
        response: SyncResponse,
    },
}

/// A record that became current on this node, for listeners.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// The record's id.
    pub id: coopnet_protocol::RecordId,
    /// When it was stored, by this node's clock.
    pub at: Timestamp,
}

/// Starts the pipeline; returns the queue to feed it.
pub fn spawn(
    intake: Intake,
    feedback: mpsc::Sender<Feedback>,
) -> (mpsc::Sender<IngestJob>, JoinHandle<()>) {
    let (jobs_tx, jobs) = mpsc::channel(INGEST_QUEUE);
    let task = tokio::spawn(run(jobs, intake, feedback));
    (jobs_tx, task)
}

async fn run(
    mut jobs: mpsc::Receiver<IngestJob>,
    intake: Intake,
    feedback: mpsc::Sender<Feedback>,
) {
    let mut batch = Vec::with_capacity(BATCH_JOBS);
    while jobs.recv_many(&mut batch, BATCH_JOBS).await > 0 {
        let jobs_in_batch = std::mem::take(&mut batch);
        let now = crate::clock::now();
        let Ok(checked) = tokio::task::spawn_blocking(move || verify_all(jobs_in_batch, now)).await
        else {
            tracing::error!("verification thread failed");
            continue;
        };
        if let Err(e) = take_and_report(checked, &intake, &feedback).await {
            tracing::error!("ingest failed: {e}");
        }
    }
}

type Checked = Vec<(Source, Vec<Result<VerifiedRecord, RecordError>>)>;

fn verify_all(jobs: Vec<IngestJob>, now: Timestamp) -> Checked {
    jobs.into_iter()
        .map(|job| (job.from, verify_batch(job.records, now)))
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
    feedback: &mpsc::Sender<Feedback>,
) -> Result<(), crate::store::StoreError> {
    let mut valid = Vec::new();
    let mut verdicts: Vec<(Source, Option<RecordError>)> = Vec::new();
    for (from, results) in checked {
        for result in results {
            match result {
                Ok(verified) => {
                    valid.push(verified);
                    verdicts.push((from.clone(), None));
                }
                Err(error) => verdicts.push((from.clone(), Some(error))),
            }
        }
    }
    let taken = intake.take(valid).await?;
    let mut outcomes = taken.outcomes.into_iter();
    for (from, error) in verdicts {
        let verdict = match error {
            Some(error) => Verdict::Invalid(error),
            None => match outcomes.next() {
                Some(outcome) => Verdict::Taken(outcome),
                None => break,
            },
        };
        report(&from, verdict, feedback).await;
    }
    let _ = feedback.send(Feedback::Indexed(taken.change)).await;
    if !taken.skipped.is_empty() {
        let _ = feedback.send(Feedback::Skip(taken.skipped)).await;
    }
    if taken.roster_changed {
        let _ = feedback.send(Feedback::RosterChanged).await;
    }
    Ok(())
}

enum Verdict {
    Taken(Outcome),
    Invalid(RecordError),
}

async fn report(from: &Source, verdict: Verdict, feedback: &mpsc::Sender<Feedback>) {
    let message = match (from, verdict) {
        (Source::Gossip { message_id, peer }, verdict) => {
            let acceptance = match verdict {
                Verdict::Taken(Outcome::Stored(o)) if o.is_current() => MessageAcceptance::Accept,
                Verdict::Taken(Outcome::Stored(IngestOutcome::Duplicate)) => {
                    MessageAcceptance::Ignore
                }
                // An older version replayed: nothing an honest node relays.
                Verdict::Taken(Outcome::Stored(_)) => MessageAcceptance::Reject,
                // Not a member (yet), or revoked: an honest peer with an
                // older roster may relay it, so do not blame, just drop.
                Verdict::Taken(Outcome::Held | Outcome::Refused(_)) => MessageAcceptance::Ignore,
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
        (Source::Sync { peer }, Verdict::Invalid(e)) if !e.is_honest_mistake() => {
            Feedback::Invalid {
                peer: *peer,
                reason: e.to_string(),
            }
        }
        (Source::Sync { .. }, _) => return,
    };
    let _ = feedback.send(message).await;
}
