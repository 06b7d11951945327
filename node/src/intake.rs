//! Intake: how verified records enter the replica, whoever brought them
//! (gossip, sync, import). Each is admitted by the federation gate, stored
//! by last-writer-wins, and membership changes are applied to the roster,
//! which may release records held in quarantine.

use coopnet_protocol::federation::Admission;
use coopnet_protocol::{Kind, RecordId, Timestamp, VerifiedRecord};
use tokio::sync::broadcast;

use crate::gate::Gate;
use crate::store::{IngestOutcome, Store, StoreError};

/// A record that became current on this node, for listeners.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// The record's id.
    pub id: coopnet_protocol::RecordId,
    /// When it was stored, by this node's clock.
    pub at: Timestamp,
}

/// A change to the set of current records, for the sync index.
#[derive(Debug, Clone, Default)]
pub struct IndexChange {
    /// Records that became current: (id, issued_at).
    pub added: Vec<(RecordId, u64)>,
    /// Records that stopped being current.
    pub removed: Vec<RecordId>,
}

impl IndexChange {
    /// Records what storing record `id` did; true if it became current.
    pub fn note(&mut self, outcome: IngestOutcome, id: RecordId, issued_at: u64) -> bool {
        if let IngestOutcome::Replaced { previous } = outcome {
            self.removed.push(previous);
        }
        let current = outcome.is_current();
        if current {
            self.added.push((id, issued_at));
        }
        current
    }
}

/// What happened to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stored (or found stale or duplicate) by last-writer-wins.
    Stored(IngestOutcome),
    /// Its author is not a member yet: held until a membership arrives.
    Held,
    /// Its author may not publish it.
    Refused(&'static str),
}

/// What a batch did.
#[derive(Debug, Default)]
pub struct Taken {
    /// One outcome per record, in order.
    pub outcomes: Vec<Outcome>,
    /// How the set of current records changed (released records included).
    pub change: IndexChange,
    /// Whether the roster changed.
    pub roster_changed: bool,
    /// Ids held or refused, which sync should not fetch again.
    pub skipped: Vec<RecordId>,
    /// Records released from quarantine that became current (their bytes,
    /// to be forwarded: they were not relayed when they arrived).
    pub released: Vec<Vec<u8>>,
}

/// The intake: the store, the gate and the arrivals feed.
#[derive(Debug, Clone)]
pub struct Intake {
    /// The replica.
    pub store: Store,
    /// The federation gate.
    pub gate: Gate,
    /// Where records that became current are announced.
    pub arrivals: broadcast::Sender<Arrival>,
    /// Counts what is taken in and refused.
    pub monitor: std::sync::Arc<crate::monitor::Monitor>,
}

impl Intake {
    /// Admits, stores and applies a batch of verified records.
    pub async fn take(&self, records: Vec<VerifiedRecord>) -> Result<Taken, StoreError> {
        let mut taken = Taken {
            outcomes: vec![Outcome::Held; records.len()],
            ..Taken::default()
        };
        let mut admitted = Vec::new();
        let mut positions = Vec::new();
        for (i, record) in records.into_iter().enumerate() {
            match self.gate.admission(&record) {
                Admission::Accept => {
                    positions.push(i);
                    admitted.push(record);
                }
                Admission::Hold => {
                    taken.skipped.push(record.record().id());
                    self.gate.hold(record);
                }
                Admission::Refuse(why) => {
                    taken.skipped.push(record.record().id());
                    taken.outcomes[i] = Outcome::Refused(why);
                }
            }
        }
        let stored = self.store_admitted(admitted, &mut taken).await?;
        for (i, outcome) in positions.into_iter().zip(stored) {
            taken.outcomes[i] = Outcome::Stored(outcome);
        }
        Ok(taken)
    }

    /// Stores admitted records; while roster changes release held records,
    /// stores those too. Returns the outcomes of the first batch.
    async fn store_admitted(
        &self,
        mut batch: Vec<VerifiedRecord>,
        taken: &mut Taken,
    ) -> Result<Vec<IngestOutcome>, StoreError> {
        let mut first = None;
        while !batch.is_empty() {
            let releasing = first.is_some();
            let roster: Vec<VerifiedRecord> =
                batch.iter().filter(|r| is_roster(r)).cloned().collect();
            // A released record's bytes are kept to be forwarded.
            let facts: Vec<_> = batch
                .iter()
                .map(|r| {
                    let record = r.record();
                    let bytes = releasing.then(|| record.bytes().to_vec());
                    (record.id(), record.header().issued_at.0, bytes)
                })
                .collect();
            let outcomes = self.store.ingest(batch).await?;
            let now = crate::clock::now();
            let mut current_roster = Vec::new();
            for (outcome, (id, issued_at, bytes)) in outcomes.iter().zip(facts) {
                if taken.change.note(*outcome, id, issued_at) {
                    let _ = self.arrivals.send(Arrival { id, at: now });
                    taken.released.extend(bytes);
                    current_roster.extend(roster.iter().filter(|r| r.record().id() == id));
                }
            }
            let applied: Vec<_> = current_roster.iter().map(|r| (*r, r.body())).collect();
            batch = if applied.is_empty() {
                Vec::new()
            } else {
                self.gate.apply(&applied, now)
            };
            taken.roster_changed |= !applied.is_empty();
            first.get_or_insert(outcomes);
        }
        Ok(first.unwrap_or_default())
    }
}

fn is_roster(record: &VerifiedRecord) -> bool {
    matches!(
        Kind::from_code(record.record().header().kind),
        Some(Kind::Membership | Kind::Revocation)
    )
}
