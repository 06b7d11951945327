//! The store's public data types: what ingesting did, what a stored record
//! looks like, how to list and count.

use std::collections::BTreeMap;

use coopnet_protocol::{KindCode, PublicKey, RecordId, SignedRecord, Timestamp};

/// Where a stored record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Received from another node.
    Remote = 0,
    /// Published by this node's own co-op.
    Local = 1,
}

/// What ingesting one verified record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    /// It is the first record of its slot.
    Inserted,
    /// It won its slot over the record that held it (SPEC §2.4).
    Replaced {
        /// The id of the record it replaced.
        previous: RecordId,
    },
    /// It lost to the slot's current record (an older version, or an equal
    /// version with a higher id); nothing changed but the seen-cache.
    Stale,
    /// Its id was seen before; nothing changed.
    Duplicate,
}

impl IngestOutcome {
    /// Whether the record is now the current one of its slot.
    pub fn is_current(self) -> bool {
        matches!(self, Self::Inserted | Self::Replaced { .. })
    }
}

/// A current record as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// The record, decoded from its stored bytes (verified when it arrived).
    pub record: SignedRecord,
    /// When this node stored it, by our clock.
    pub received_at: Timestamp,
    /// Where it came from.
    pub origin: Origin,
}

impl StoredRecord {
    /// The cursor that makes [`ListFilter::after`] continue after this record.
    pub fn cursor(&self) -> ListCursor {
        ListCursor {
            issued_at: self.record.header().issued_at,
            id: self.record.id(),
        }
    }
}

/// A position in [`Store::list`](super::Store::list)'s order (newest `issued_at` first, then
/// descending id). It holds values, not a reference, so paging stays
/// well-defined even if the record it came from has since been replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListCursor {
    /// The `issued_at` of the last record of the previous page.
    pub issued_at: Timestamp,
    /// Its id.
    pub id: RecordId,
}

/// Which current records [`Store::list`](super::Store::list) returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only records by this co-op.
    pub author: Option<PublicKey>,
    /// Only records of this kind.
    pub kind: Option<KindCode>,
    /// Whether to include tombstones.
    pub include_tombstones: bool,
    /// At most this many records.
    pub limit: usize,
    /// Start after this position (from [`StoredRecord::cursor`]).
    pub after: Option<ListCursor>,
}

/// How much the store holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Current records (one per slot), tombstones included.
    pub records: u64,
    /// Current records that are tombstones.
    pub tombstones: u64,
    /// Current records per kind, tombstones included (sums to `records`).
    pub by_kind: BTreeMap<KindCode, u64>,
    /// Current records per kind that are not tombstones (kinds with some).
    pub live_by_kind: BTreeMap<KindCode, u64>,
    /// Record ids in the seen-cache (every version ever accepted).
    pub seen: u64,
}
