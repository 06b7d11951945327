//! Anti-entropy by range-based set reconciliation (negentropy): the set of
//! current records, as (issued_at, id) pairs, and the client side of one
//! reconciliation with a peer. Its cost grows with the difference between
//! the two sets, not with their size.
//!
//! A session runs in *legs* of at most [`MAX_ROUNDS`] rounds. One round
//! carries at most one frame of ids (about [`IDS_PER_FRAME`]), so a large
//! difference (a cold start against a big federation) needs more rounds than
//! one leg allows. A leg that runs out of rounds is not a failure: it pauses,
//! the caller fetches the ids learned so far, and the next leg resumes from
//! the message the session would have sent. Negentropy messages carry every
//! range they are about, so the next leg can use the set as it is by then.

use std::collections::HashMap;
use std::sync::Arc;

use coopnet_protocol::RecordId;
use negentropy::{Id, Negentropy, NegentropyStorageVector};

/// Largest negentropy message we send (the library's frame size limit).
pub const FRAME_LIMIT: u64 = 60_000;
/// About how many ids one reconciliation message can carry: the frame,
/// less the library's 200-byte margin, in 32-byte ids.
pub const IDS_PER_FRAME: usize = (FRAME_LIMIT as usize - 200) / 32;
/// Most rounds one leg of a session takes before it pauses so that the ids
/// learned so far are fetched (about 119,000 ids per leg).
pub const MAX_ROUNDS: u32 = 64;
/// Most legs one session takes (about 1.9 million ids); a session that needs
/// more ends unfinished, and the next one starts from a set that by then
/// holds what this one fetched.
pub const MAX_LEGS: u32 = 16;

/// Why a reconciliation step failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The peer's message is not a valid negentropy message.
    #[error("invalid reconciliation message: {0}")]
    Protocol(String),
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
    /// The ids alone, for sketches; shared until the set changes.
    ids: Option<Arc<[RecordId]>>,
}

impl SyncIndex {
    /// Builds the index from the store's current records.
    pub fn from_items(items: impl IntoIterator<Item = (u64, RecordId)>) -> Self {
        let items = items.into_iter().map(|(ts, id)| (id, ts)).collect();
        Self {
            items,
            sealed: None,
            ids: None,
        }
    }

    /// Adds a current record.
    pub fn insert(&mut self, id: RecordId, issued_at: u64) {
        if self.items.insert(id, issued_at).is_none() {
            self.changed();
        }
    }

    /// Removes a record that was superseded.
    pub fn remove(&mut self, id: &RecordId) {
        if self.items.remove(id).is_some() {
            self.changed();
        }
    }

    fn changed(&mut self) {
        self.sealed = None;
        self.ids = None;
    }

    /// The ids of the set (in no particular order), shared until the set
    /// changes.
    pub fn ids(&mut self) -> Arc<[RecordId]> {
        let items = &self.items;
        Arc::clone(
            self.ids
                .get_or_insert_with(|| items.keys().copied().collect()),
        )
    }

    /// Whether `id` is in the set.
    pub fn contains(&self, id: &RecordId) -> bool {
        self.items.contains_key(id)
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

/// What [`Session::step`] says to do next.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Send this message to the peer and pass its reply to `step`.
    Send(Vec<u8>),
    /// The sets are reconciled; [`Session::take_need`] holds the last ids.
    Done,
    /// This leg used its [`MAX_ROUNDS`]: fetch [`Session::take_need`], then
    /// call [`Session::resume`] for the next leg's first message.
    Paused,
    /// The session ends unfinished: it used its [`MAX_LEGS`], or a whole leg
    /// found no difference. Not the peer's fault (a big difference is not
    /// misbehaviour); fetch [`Session::take_need`] and start afresh later.
    Exhausted,
}

/// The initiating side of one reconciliation with one peer.
pub struct Session {
    snapshot: Arc<NegentropyStorageVector>,
    /// Rounds taken in the current leg.
    rounds: u32,
    /// Legs started, the current one included.
    legs: u32,
    /// Whether the current leg has found any difference.
    progress: bool,
    /// The message the next leg starts with, while paused.
    resume_with: Option<Vec<u8>>,
    need: Vec<RecordId>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("rounds", &self.rounds)
            .field("legs", &self.legs)
            .field("paused", &self.resume_with.is_some())
            .field("need", &self.need.len())
            .finish()
    }
}

impl Session {
    /// Starts a session over `snapshot`; returns the first message.
    pub fn start(snapshot: Arc<NegentropyStorageVector>) -> Result<(Session, Vec<u8>), SyncError> {
        let first = Negentropy::borrowed(&*snapshot, FRAME_LIMIT)
            .and_then(|mut negentropy| negentropy.initiate())
            .map_err(protocol)?;
        let session = Session {
            snapshot,
            rounds: 0,
            legs: 1,
            progress: false,
            resume_with: None,
            need: Vec::new(),
        };
        Ok((session, first))
    }

    /// Takes the peer's reply. Ids the peer lacks and we have are passed to
    /// `on_have` as they are found; ids it has and we lack gather in
    /// [`Session::take_need`].
    pub fn step(
        &mut self,
        reply: &[u8],
        mut on_have: impl FnMut(RecordId),
    ) -> Result<Step, SyncError> {
        if self.resume_with.is_some() {
            return Err(SyncError::Protocol("a reply to a paused session".into()));
        }
        self.rounds += 1;
        let mut negentropy =
            Negentropy::borrowed(&*self.snapshot, FRAME_LIMIT).map_err(protocol)?;
        // The library keeps no state between rounds but this flag.
        negentropy.set_initiator();
        let (mut have, mut need) = (Vec::new(), Vec::new());
        let next = negentropy
            .reconcile_with_ids(reply, &mut have, &mut need)
            .map_err(protocol)?;
        self.progress |= !have.is_empty() || !need.is_empty();
        for id in have {
            on_have(RecordId(id.to_bytes()));
        }
        self.need
            .extend(need.into_iter().map(|id| RecordId(id.to_bytes())));
        Ok(match next {
            None => Step::Done,
            Some(next) if self.rounds < MAX_ROUNDS => Step::Send(next),
            Some(_) if self.legs >= MAX_LEGS || !self.progress => Step::Exhausted,
            Some(next) => {
                self.resume_with = Some(next);
                Step::Paused
            }
        })
    }

    /// Starts the next leg of a paused session over `snapshot` (the set as
    /// it is now, with what the last leg fetched); returns its first
    /// message, or `None` if the session is not paused.
    pub fn resume(&mut self, snapshot: Arc<NegentropyStorageVector>) -> Option<Vec<u8>> {
        let next = self.resume_with.take()?;
        self.snapshot = snapshot;
        self.rounds = 0;
        self.legs += 1;
        self.progress = false;
        Some(next)
    }

    /// Whether the session waits for [`Session::resume`].
    pub fn is_paused(&self) -> bool {
        self.resume_with.is_some()
    }

    /// Takes the ids the peer has and we lack, found since the last take.
    pub fn take_need(&mut self) -> Vec<RecordId> {
        std::mem::take(&mut self.need)
    }

    /// Rounds taken in the current leg.
    pub fn rounds(&self) -> u32 {
        self.rounds
    }

    /// Legs started, the current one included.
    pub fn legs(&self) -> u32 {
        self.legs
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

    /// What one session (all its legs) found.
    #[derive(Debug, Default)]
    struct Outcome {
        need: Vec<RecordId>,
        have: Vec<RecordId>,
        bytes: usize,
        legs: u32,
        done: bool,
    }

    /// Runs one session of `ours` against `theirs`. A paused leg "fetches"
    /// what it learned into `ours` (as the event loop does) and resumes if
    /// `resume`, else ends the session there.
    fn reconcile(ours: &mut SyncIndex, theirs: &mut SyncIndex, resume: bool) -> Outcome {
        let (mut session, mut message) = Session::start(ours.snapshot().unwrap()).unwrap();
        let mut out = Outcome {
            bytes: message.len(),
            ..Outcome::default()
        };
        loop {
            let reply = answer(&theirs.snapshot().unwrap(), &message).unwrap();
            out.bytes += reply.len();
            let step = session.step(&reply, |id| out.have.push(id)).unwrap();
            let learned = session.take_need();
            for id in &learned {
                ours.insert(
                    *id,
                    u64::from(u32::from_be_bytes(id.0[..4].try_into().unwrap())) * 10,
                );
            }
            out.need.extend(learned);
            match step {
                Step::Send(next) => message = next,
                Step::Paused if resume => {
                    assert_eq!(session.rounds(), MAX_ROUNDS);
                    message = session.resume(ours.snapshot().unwrap()).unwrap();
                }
                Step::Done => {
                    out.done = true;
                    break;
                }
                Step::Paused | Step::Exhausted => break,
            }
            out.bytes += message.len();
        }
        out.legs = session.legs();
        out.need.sort();
        out.have.sort();
        out
    }

    #[test]
    fn a_late_joiner_learns_every_id_it_lacks() {
        let out = reconcile(&mut index(0..0), &mut index(0..5_000), false);
        assert!(out.done);
        assert_eq!(out.need.len(), 5_000);
    }

    #[test]
    fn equal_sets_reconcile_in_one_round_trip_under_a_kibibyte() {
        let out = reconcile(&mut index(0..100_000), &mut index(0..100_000), false);
        assert!(out.done && out.need.is_empty() && out.have.is_empty());
        assert!(out.bytes <= 1024, "{} bytes", out.bytes);
    }

    #[test]
    fn a_small_difference_finds_exactly_the_missing_ids_both_ways() {
        let (mut ours, mut theirs) = (index(0..10_000), index(0..10_000));
        for n in (0..10_000).step_by(100) {
            ours.remove(&id(n));
            theirs.remove(&id(n + 1));
        }
        let out = reconcile(&mut ours, &mut theirs, false);
        let expected: Vec<_> = (0..10_000).step_by(100).map(id).collect();
        assert_eq!(out.need, expected);
        let expected: Vec<_> = (1..10_000).step_by(100).map(id).collect();
        assert_eq!(out.have, expected);
    }

    /// More ids than one leg of `MAX_ROUNDS` rounds can carry.
    const BEYOND_ONE_LEG: u32 = MAX_ROUNDS * IDS_PER_FRAME as u32 + 10_000;

    #[test]
    fn a_set_larger_than_one_leg_converges_over_legs_without_error() {
        let (mut ours, mut theirs) = (index(0..0), index(0..BEYOND_ONE_LEG));
        let out = reconcile(&mut ours, &mut theirs, true);
        assert!(out.done);
        assert_eq!(out.legs, 2);
        assert_eq!(out.need.len(), BEYOND_ONE_LEG as usize);
        assert_eq!(ours.len(), theirs.len());
        assert!(reconcile(&mut ours, &mut theirs, false).need.is_empty());
    }

    #[test]
    fn a_set_larger_than_one_leg_converges_over_successive_sessions() {
        let (mut ours, mut theirs) = (index(0..0), index(0..BEYOND_ONE_LEG));
        let first = reconcile(&mut ours, &mut theirs, false);
        assert!(!first.done, "one leg cannot carry it all");
        assert!(first.need.len() >= (MAX_ROUNDS as usize - 2) * IDS_PER_FRAME);
        // The next session starts from what the first one fetched.
        let second = reconcile(&mut ours, &mut theirs, false);
        assert!(second.done);
        assert_eq!(
            first.need.len() + second.need.len(),
            BEYOND_ONE_LEG as usize
        );
        assert_eq!(ours.len(), theirs.len());
    }

    #[test]
    fn a_peer_that_never_lets_a_leg_progress_exhausts_the_session_without_error() {
        // A reply that says "the whole range differs" and nothing else:
        // version 0x61, bound (infinity, empty id), fingerprint mode, 16 bytes.
        let reply = [&[0x61, 0, 0, 1][..], &[0xab; 16]].concat();
        let (mut session, _) = Session::start(index(0..0).snapshot().unwrap()).unwrap();
        let mut steps = Vec::new();
        for _ in 0..MAX_ROUNDS {
            steps.push(session.step(&reply, |_| {}).unwrap());
        }
        assert!(
            steps[..MAX_ROUNDS as usize - 1]
                .iter()
                .all(|s| matches!(s, Step::Send(_)))
        );
        assert_eq!(steps.last(), Some(&Step::Exhausted));
        assert!(!session.is_paused());
    }

    #[test]
    fn garbage_from_a_peer_is_an_error() {
        let snapshot = index(0..10).snapshot().unwrap();
        assert!(answer(&snapshot, b"\x00garbage").is_err());
        let (mut session, _) = Session::start(snapshot).unwrap();
        assert!(session.step(b"\x00garbage", |_| {}).is_err());
    }

    /// The `negentropy` vectors of `protocol/testdata/wire.json` (SPEC §7):
    /// the first message and the reply pin negentropy's version and
    /// encoding.
    #[test]
    fn the_wire_vectors_give_the_same_negentropy_messages() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../../protocol/testdata/wire.json")).unwrap();
        let v = &doc["negentropy"];
        let index = |items: &serde_json::Value| {
            SyncIndex::from_items(items.as_array().unwrap().iter().map(|i| {
                let id: RecordId = i["id"].as_str().unwrap().parse().unwrap();
                (i["timestamp"].as_u64().unwrap(), id)
            }))
        };
        let mut ours = index(&v["initiator_items"]);
        let mut theirs = index(&v["responder_items"]);
        let (_, first) = Session::start(ours.snapshot().unwrap()).unwrap();
        assert_eq!(hex::encode(&first), v["initiate_hex"].as_str().unwrap());
        let reply = answer(&theirs.snapshot().unwrap(), &first).unwrap();
        assert_eq!(hex::encode(&reply), v["reply_hex"].as_str().unwrap());
    }
}
