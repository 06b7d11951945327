//! Anti-entropy by range-based set reconciliation (negentropy): the set of
//! current records, as (issued_at, id) pairs, and the client side of one
//! reconciliation with a peer. Its cost grows with the difference between
//! the two sets, not with their size.

use std::collections::HashMap;
use std::sync::Arc;

use coopnet_protocol::RecordId;
use negentropy::{Id, Negentropy, NegentropyStorageVector};

/// Largest negentropy message we send (the library's frame size limit).
pub const FRAME_LIMIT: u64 = 60_000;
/// Most reconciliation rounds one session may take before giving up.
pub const MAX_ROUNDS: u32 = 64;

/// Why a reconciliation step failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The peer's message is not a valid negentropy message.
    #[error("invalid reconciliation message: {0}")]
    Protocol(String),
    /// The session took more rounds than [`MAX_ROUNDS`].
    #[error("reconciliation did not finish within {MAX_ROUNDS} rounds")]
    TooManyRounds,
}

fn protocol(error: negentropy::Error) -> SyncError {
    SyncError::Protocol(error.to_string())
}

/// The set this node reconciles: every current record's (issued_at, id).
///
/// Kept in memory beside the store and updated as records are ingested; a
/// sealed (sorted) snapshot is rebuilt lazily when the set has changed.
#[derive(Debug, Default)]
pub struct SyncIndex {
    items: HashMap<RecordId, u64>,
    sealed: Option<Arc<NegentropyStorageVector>>,
}

impl SyncIndex {
    /// Builds the index from the store's current records.
    pub fn from_items(items: impl IntoIterator<Item = (u64, RecordId)>) -> Self {
        let items = items.into_iter().map(|(ts, id)| (id, ts)).collect();
        Self {
            items,
            sealed: None,
        }
    }

    /// Adds a current record.
    pub fn insert(&mut self, id: RecordId, issued_at: u64) {
        if self.items.insert(id, issued_at).is_none() {
            self.sealed = None;
        }
    }

    /// Removes a record that was superseded.
    pub fn remove(&mut self, id: &RecordId) {
        if self.items.remove(id).is_some() {
            self.sealed = None;
        }
    }

    /// Number of records in the set.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// A sealed snapshot of the set, shared until the set changes.
    pub fn snapshot(&mut self) -> Result<Arc<NegentropyStorageVector>, SyncError> {
        if let Some(sealed) = &self.sealed {
            return Ok(Arc::clone(sealed));
        }
        let mut storage = NegentropyStorageVector::with_capacity(self.items.len());
        for (id, ts) in &self.items {
            storage
                .insert(*ts, Id::from_byte_array(id.0))
                .map_err(protocol)?;
        }
        storage.seal().map_err(protocol)?;
        let sealed = Arc::new(storage);
        self.sealed = Some(Arc::clone(&sealed));
        Ok(sealed)
    }
}

/// Answers one reconciliation message as the responding side. Stateless:
/// each message carries the ranges it is about.
pub fn answer(snapshot: &NegentropyStorageVector, message: &[u8]) -> Result<Vec<u8>, SyncError> {
    let mut negentropy = Negentropy::borrowed(snapshot, FRAME_LIMIT).map_err(protocol)?;
    negentropy.reconcile(message).map_err(protocol)
}

/// The initiating side of one reconciliation with one peer.
pub struct Session {
    negentropy: Negentropy<'static, NegentropyStorageVector>,
    rounds: u32,
    need: Vec<RecordId>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("rounds", &self.rounds)
            .field("need", &self.need.len())
            .finish()
    }
}

impl Session {
    /// Starts a session over a copy of `snapshot`; returns the first message.
    pub fn start(snapshot: &NegentropyStorageVector) -> Result<(Session, Vec<u8>), SyncError> {
        let mut negentropy = Negentropy::owned(snapshot.clone(), FRAME_LIMIT).map_err(protocol)?;
        let first = negentropy.initiate().map_err(protocol)?;
        Ok((
            Session {
                negentropy,
                rounds: 0,
                need: Vec::new(),
            },
            first,
        ))
    }

    /// Takes the peer's reply; returns the next message, or `None` when the
    /// sets are reconciled and [`Session::need`] holds every missing id.
    pub fn step(&mut self, reply: &[u8]) -> Result<Option<Vec<u8>>, SyncError> {
        self.rounds += 1;
        if self.rounds > MAX_ROUNDS {
            return Err(SyncError::TooManyRounds);
        }
        let (mut have, mut need) = (Vec::new(), Vec::new());
        let next = self
            .negentropy
            .reconcile_with_ids(reply, &mut have, &mut need)
            .map_err(protocol)?;
        self.need
            .extend(need.into_iter().map(|id| RecordId(id.to_bytes())));
        Ok(next)
    }

    /// Ids the peer has and we lack, found so far.
    pub fn need(&self) -> &[RecordId] {
        &self.need
    }

    /// Rounds taken so far.
    pub fn rounds(&self) -> u32 {
        self.rounds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> RecordId {
        let mut bytes = [0u8; 32];
        bytes[..4].copy_from_slice(&n.to_be_bytes());
        RecordId(bytes)
    }

    fn index(range: std::ops::Range<u32>) -> SyncIndex {
        SyncIndex::from_items(range.map(|n| (u64::from(n) * 10, id(n))))
    }

    fn reconcile(ours: &mut SyncIndex, theirs: &mut SyncIndex) -> (Vec<RecordId>, usize) {
        let (mut session, mut message) = Session::start(&ours.snapshot().unwrap()).unwrap();
        let mut bytes = message.len();
        loop {
            let reply = answer(&theirs.snapshot().unwrap(), &message).unwrap();
            bytes += reply.len();
            match session.step(&reply).unwrap() {
                Some(next) => {
                    bytes += next.len();
                    message = next;
                }
                None => break,
            }
        }
        let mut need = session.need().to_vec();
        need.sort();
        (need, bytes)
    }

    #[test]
    fn a_late_joiner_learns_every_id_it_lacks() {
        let (need, _) = reconcile(&mut index(0..0), &mut index(0..5_000));
        assert_eq!(need.len(), 5_000);
    }

    #[test]
    fn equal_sets_reconcile_in_one_round_trip_under_a_kibibyte() {
        let (need, bytes) = reconcile(&mut index(0..100_000), &mut index(0..100_000));
        assert!(need.is_empty());
        assert!(bytes <= 1024, "{bytes} bytes");
    }

    #[test]
    fn a_small_difference_finds_exactly_the_missing_ids() {
        let mut ours = index(0..10_000);
        for n in (0..10_000).step_by(100) {
            ours.remove(&id(n));
        }
        let (need, _) = reconcile(&mut ours, &mut index(0..10_000));
        let expected: Vec<_> = (0..10_000).step_by(100).map(id).collect();
        assert_eq!(need, expected);
    }

    #[test]
    fn garbage_from_a_peer_is_an_error() {
        let snapshot = index(0..10).snapshot().unwrap();
        assert!(answer(&snapshot, b"\x00garbage").is_err());
        let (mut session, _) = Session::start(&snapshot).unwrap();
        assert!(session.step(b"\x00garbage").is_err());
    }
}
