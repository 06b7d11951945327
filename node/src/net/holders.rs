//! Which connected peers are known to hold our co-op's own records, from
//! what sync shows honestly (gossip delivered to a peer proves nothing):
//!
//! - a reconciliation we initiated with a peer that completed: every own
//!   record in our set when it started, except those negentropy reported the
//!   peer lacks (`have_ids`), is held by the peer;
//! - a peer that fetched an own record from us holds it.
//!
//! Bounded: only our own records are tracked, and per connected peer only
//! the own ids it lacked at its last completed reconciliation and those it
//! fetched. A peer is forgotten when it disconnects.
//!
//! Time is an *epoch*: a counter bumped at every change of our sync set and
//! every fetch served. An own record joined the set at some epoch; a
//! reconciliation covers the set at the epoch it started. A record newer than
//! a peer's last reconciliation is not known to be held (unless the peer
//! fetched it since).

use std::collections::{HashMap, HashSet};

use coopnet_protocol::RecordId;
use libp2p::PeerId;

use crate::intake::IndexChange;

/// What we know of one connected peer.
#[derive(Debug, Default)]
struct Holding {
    /// The epoch its last completed reconciliation started at, and the own
    /// ids it lacked then.
    reconciled: Option<(u64, HashSet<RecordId>)>,
    /// Own ids it fetched from us, with the epoch of each fetch.
    fetched: HashMap<RecordId, u64>,
}

impl Holding {
    fn holds(&self, id: &RecordId, since: u64) -> bool {
        self.fetched.contains_key(id)
            || self
                .reconciled
                .as_ref()
                .is_some_and(|(epoch, lacks)| since <= *epoch && !lacks.contains(id))
    }
}

/// Who holds our own records.
#[derive(Debug, Default)]
pub struct Holders {
    epoch: u64,
    /// Our own current records, and the epoch each joined the set.
    own: HashMap<RecordId, u64>,
    peers: HashMap<PeerId, Holding>,
}

impl Holders {
    /// Notes own records that were already in the set at epoch 0.
    pub fn load_own(&mut self, ids: impl IntoIterator<Item = RecordId>) {
        for id in ids {
            self.own.entry(id).or_insert(0);
        }
    }

    /// The current epoch: what a reconciliation starting now covers.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Whether `id` is one of our own current records.
    pub fn is_own(&self, id: &RecordId) -> bool {
        self.own.contains_key(id)
    }

    /// The set changed; `own` if the added records are our co-op's.
    pub fn changed(&mut self, change: &IndexChange, own: bool) {
        self.epoch += 1;
        for id in &change.removed {
            if self.own.remove(id).is_some() {
                for holding in self.peers.values_mut() {
                    holding.fetched.remove(id);
                    if let Some((_, lacks)) = &mut holding.reconciled {
                        lacks.remove(id);
                    }
                }
            }
        }
        if own {
            for (id, _) in &change.added {
                self.own.insert(*id, self.epoch);
            }
        }
    }

    /// A reconciliation with `peer` that started at `epoch` completed; it
    /// lacked `lacks` (any ids; only our own are kept).
    pub fn reconciled(&mut self, peer: PeerId, epoch: u64, mut lacks: HashSet<RecordId>) {
        lacks.retain(|id| self.own.contains_key(id));
        let holding = self.peers.entry(peer).or_default();
        // Fetches before it started are covered by the newer evidence.
        holding.fetched.retain(|_, at| *at > epoch);
        holding.reconciled = Some((epoch, lacks));
    }

    /// `peer` fetched `ids` from us (any ids; only our own are kept).
    pub fn fetched(&mut self, peer: PeerId, ids: impl IntoIterator<Item = RecordId>) {
        let own: Vec<RecordId> = ids
            .into_iter()
            .filter(|id| self.own.contains_key(id))
            .collect();
        if !own.is_empty() {
            self.epoch += 1;
            let at = self.epoch;
            let fetched = &mut self.peers.entry(peer).or_default().fetched;
            fetched.extend(own.into_iter().map(|id| (id, at)));
        }
    }

    /// Forgets a peer that disconnected.
    pub fn forget(&mut self, peer: &PeerId) {
        self.peers.remove(peer);
    }

    /// For each id, how many peers are known to hold it (0 for an id that
    /// is not one of our own current records).
    pub fn count(&self, ids: &[RecordId]) -> Vec<u32> {
        ids.iter()
            .map(|id| match self.own.get(id) {
                Some(since) => {
                    let holding = self.peers.values().filter(|h| h.holds(id, *since));
                    u32::try_from(holding.count()).unwrap_or(u32::MAX)
                }
                None => 0,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> RecordId {
        RecordId([n; 32])
    }

    fn added(ids: &[u8]) -> IndexChange {
        IndexChange {
            added: ids.iter().map(|n| (id(*n), 0)).collect(),
            removed: Vec::new(),
        }
    }

    #[test]
    fn a_reconciled_peer_holds_what_it_did_not_lack_when_it_started() {
        let mut holders = Holders::default();
        holders.load_own([id(1), id(2)]);
        let (p, q) = (PeerId::random(), PeerId::random());
        let started = holders.epoch();
        holders.changed(&added(&[3]), true);
        holders.changed(&added(&[9]), false);
        holders.reconciled(p, started, [id(2), id(9)].into());
        assert_eq!(holders.count(&[id(1), id(2), id(3), id(9)]), [1, 0, 0, 0]);
        // A later reconciliation covers the newer record; `q` never did one.
        holders.reconciled(p, holders.epoch(), HashSet::new());
        assert_eq!(holders.count(&[id(1), id(2), id(3)]), [1, 1, 1]);
        holders.fetched(q, [id(3), id(9)]);
        assert_eq!(holders.count(&[id(1), id(3), id(9)]), [1, 2, 0]);
        holders.forget(&p);
        assert_eq!(holders.count(&[id(1), id(3)]), [0, 1]);
    }

    #[test]
    fn a_fetch_during_a_reconciliation_outlives_it_an_older_one_does_not() {
        let mut holders = Holders::default();
        holders.load_own([id(1), id(2)]);
        let p = PeerId::random();
        holders.fetched(p, [id(1)]);
        let started = holders.epoch();
        holders.fetched(p, [id(2)]);
        holders.reconciled(p, started, [id(1), id(2)].into());
        assert_eq!(holders.count(&[id(1), id(2)]), [0, 1]);
    }

    #[test]
    fn a_superseded_own_record_is_forgotten() {
        let mut holders = Holders::default();
        holders.load_own([id(1)]);
        let p = PeerId::random();
        holders.fetched(p, [id(1)]);
        let replace = IndexChange {
            added: vec![(id(2), 0)],
            removed: vec![id(1)],
        };
        holders.changed(&replace, true);
        assert!(!holders.is_own(&id(1)));
        assert_eq!(holders.count(&[id(1), id(2)]), [0, 0]);
        assert!(holders.peers[&p].fetched.is_empty());
    }
}
