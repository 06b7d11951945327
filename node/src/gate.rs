//! The federation gate: which authors' records this node accepts (SPEC §9),
//! and the bounded quarantine for records whose author's membership has not
//! arrived yet. Without a federation the gate is open (a development mode).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use coopnet_protocol::federation::{Admission, Genesis, Roster, RosterView};
use coopnet_protocol::{Body, Kind, PublicKey, RecordId, Timestamp, VerifiedRecord};
use tokio::sync::watch;

/// Most records held in quarantine.
pub const QUARANTINE_RECORDS: usize = 5_000;
/// Most bytes held in quarantine.
pub const QUARANTINE_BYTES: usize = 16 * 1024 * 1024;

/// The gate, shared by the ingest pipeline, the node and the event loop.
#[derive(Debug, Clone)]
pub struct Gate {
    inner: Option<Arc<Mutex<Inner>>>,
    view: watch::Sender<Option<Arc<RosterView>>>,
}

#[derive(Debug)]
struct Inner {
    roster: Roster,
    held: Quarantine,
}

impl Gate {
    /// An open gate: every valid record is accepted.
    pub fn open() -> Self {
        Self {
            inner: None,
            view: watch::Sender::new(None),
        }
    }

    /// A gate for the federation of `genesis`.
    pub fn closed(genesis: &Genesis, now: Timestamp) -> Self {
        let roster = Roster::new(genesis);
        let view = Arc::new(roster.view(now));
        let inner = Inner {
            roster,
            held: Quarantine::default(),
        };
        Self {
            inner: Some(Arc::new(Mutex::new(inner))),
            view: watch::Sender::new(Some(view)),
        }
    }

    /// Follows the roster as it changes (`None` for an open gate).
    pub fn watch(&self) -> watch::Receiver<Option<Arc<RosterView>>> {
        self.view.subscribe()
    }

    /// The current roster snapshot (`None` for an open gate).
    pub fn view(&self) -> Option<Arc<RosterView>> {
        self.view.borrow().clone()
    }

    /// What to do with a verified record.
    pub fn admission(&self, record: &VerifiedRecord) -> Admission {
        let Some(view) = self.view() else {
            return Admission::Accept;
        };
        let header = record.record().header();
        view.admission(&header.author, Kind::from_code(header.kind))
    }

    /// Whether peers of this co-op key may stay connected.
    pub fn allows_peer(&self, key: Option<&PublicKey>) -> bool {
        match (self.view(), key) {
            (None, _) => true,
            (Some(view), Some(key)) => view.is_member(key),
            (Some(_), None) => false,
        }
    }

    /// Applies stored membership and revocation records; if the roster
    /// changed, publishes a new view and returns the held records that may
    /// now be accepted (those now refused are dropped).
    pub fn apply(
        &self,
        records: &[(&VerifiedRecord, Option<&Body>)],
        now: Timestamp,
    ) -> Vec<VerifiedRecord> {
        let Some(inner) = &self.inner else {
            return Vec::new();
        };
        let mut inner = inner.lock().unwrap_or_else(PoisonError::into_inner);
        let mut changed = false;
        for (record, body) in records {
            match inner.roster.apply(record.record(), *body) {
                Ok(applied) => changed |= applied,
                Err(e) => tracing::warn!("ignoring a roster record: {e}"),
            }
        }
        if !changed {
            return Vec::new();
        }
        self.refresh_locked(&mut inner, now)
    }

    /// Recomputes the view (e.g. when a membership expires).
    pub fn refresh(&self, now: Timestamp) -> Vec<VerifiedRecord> {
        let Some(inner) = &self.inner else {
            return Vec::new();
        };
        let mut inner = inner.lock().unwrap_or_else(PoisonError::into_inner);
        self.refresh_locked(&mut inner, now)
    }

    fn refresh_locked(&self, inner: &mut Inner, now: Timestamp) -> Vec<VerifiedRecord> {
        let view = Arc::new(inner.roster.view(now));
        let released = inner.held.release(&view);
        self.view.send_replace(Some(view));
        released
    }

    /// Holds a record until its author's membership arrives. Returns false
    /// if it was already held.
    pub fn hold(&self, record: VerifiedRecord) -> bool {
        let Some(inner) = &self.inner else {
            return false;
        };
        inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .held
            .put(record)
    }

    /// Whether the record with this id is held in quarantine.
    pub fn is_held(&self, id: &RecordId) -> bool {
        self.inner.as_ref().is_some_and(|i| {
            let inner = i.lock().unwrap_or_else(PoisonError::into_inner);
            inner.held.order.iter().any(|(_, held)| held == id)
        })
    }

    /// The authors whose records are held, with how many each, most
    /// first.
    pub fn held_authors(&self) -> Vec<(PublicKey, usize)> {
        let Some(inner) = &self.inner else {
            return Vec::new();
        };
        let inner = inner.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out: Vec<(PublicKey, usize)> = inner
            .held
            .by_author
            .iter()
            .map(|(k, records)| (*k, records.len()))
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// Records held now.
    pub fn held(&self) -> usize {
        self.inner.as_ref().map_or(0, |i| {
            i.lock().unwrap_or_else(PoisonError::into_inner).held.len()
        })
    }
}

/// Records waiting for their author's membership, oldest evicted first.
#[derive(Debug, Default)]
struct Quarantine {
    by_author: HashMap<PublicKey, Vec<VerifiedRecord>>,
    order: VecDeque<(PublicKey, RecordId)>,
    bytes: usize,
}

impl Quarantine {
    fn len(&self) -> usize {
        self.order.len()
    }

    fn put(&mut self, record: VerifiedRecord) -> bool {
        let author = record.record().header().author;
        let id = record.record().id();
        let list = self.by_author.entry(author).or_default();
        if list.iter().any(|r| r.record().id() == id) {
            return false;
        }
        self.bytes += record.record().bytes().len();
        list.push(record);
        self.order.push_back((author, id));
        while self.order.len() > QUARANTINE_RECORDS || self.bytes > QUARANTINE_BYTES {
            self.evict_oldest();
        }
        true
    }

    fn evict_oldest(&mut self) {
        let Some((author, id)) = self.order.pop_front() else {
            return;
        };
        if let Some(list) = self.by_author.get_mut(&author) {
            if let Some(at) = list.iter().position(|r| r.record().id() == id) {
                self.bytes -= list.swap_remove(at).record().bytes().len();
            }
            if list.is_empty() {
                self.by_author.remove(&author);
            }
        }
    }

    /// Takes out every record the view now admits or refuses; returns the
    /// admitted ones.
    fn release(&mut self, view: &RosterView) -> Vec<VerifiedRecord> {
        let mut released = Vec::new();
        self.by_author.retain(|_, list| {
            list.retain(|record| {
                let header = record.record().header();
                match view.admission(&header.author, Kind::from_code(header.kind)) {
                    Admission::Hold => true,
                    Admission::Accept => {
                        released.push(record.clone());
                        false
                    }
                    Admission::Refuse(_) => false,
                }
            });
            !list.is_empty()
        });
        let kept: std::collections::HashSet<RecordId> = self
            .by_author
            .values()
            .flatten()
            .map(|r| r.record().id())
            .collect();
        self.order.retain(|(_, id)| kept.contains(id));
        self.bytes = self
            .by_author
            .values()
            .flatten()
            .map(|r| r.record().bytes().len())
            .sum();
        released
    }
}
