//! The store's SQL, as plain functions over a connection: no threads, no
//! channels, so they can be tested and benchmarked directly.
//!
//! Writers ([`ingest`]) expect to run inside a transaction (or savepoint)
//! the caller commits; readers run anywhere. `u64` columns are bit-cast to
//! `i64` (see [`super::schema`]), so versions are compared here, never in SQL.

use std::cmp::Reverse;

use coopnet_protocol::{KindCode, PublicKey, RecordId, SignedRecord, Timestamp, VerifiedRecord};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use super::partners;
use super::text::{fts_query, searchable_text};
use super::{Counts, IngestOutcome, ListFilter, Origin, StoreError, StoredRecord};

/// A `u64` as the `i64` with the same bits, for an SQLite column.
pub fn to_column(value: u64) -> i64 {
    value as i64
}

/// The `u64` a column written with [`to_column`] holds.
pub fn from_column(value: i64) -> u64 {
    value as u64
}

/// Last-writer-wins (SPEC §2.4): whether a record of `(version, id)` beats
/// the slot's current `(version, id)`. The same order as
/// [`SignedRecord::precedence`], computed from stored columns so that the
/// current record need not be read and decoded.
pub fn wins(version: u64, id: RecordId, current_version: u64, current_id: RecordId) -> bool {
    (version, Reverse(id)) > (current_version, Reverse(current_id))
}

/// Stores one verified record (see [`IngestOutcome`]), keeping `records`,
/// `seen`, `search` and the partner-search tables consistent. Run it inside
/// a transaction.
pub fn ingest(
    conn: &Connection,
    verified: &VerifiedRecord,
    origin: Origin,
    now: Timestamp,
) -> Result<IngestOutcome, StoreError> {
    let record = verified.record();
    let id = record.id();
    // Marking it seen is the duplicate check: one probe of `seen`, not two.
    // Should what follows fail, the caller's savepoint takes the mark back.
    let marked = conn
        .prepare_cached("INSERT OR IGNORE INTO seen (id) VALUES (?1)")?
        .execute([&id.0[..]])?;
    if marked == 0 {
        return Ok(IngestOutcome::Duplicate);
    }
    // A slot's first record is the common case (a cold sync is nothing
    // else): try the insert before looking for a current record.
    if write_record(conn, None, verified, origin, now)? {
        return Ok(IngestOutcome::Inserted);
    }
    let header = record.header();
    let current = conn
        .prepare_cached(
            "SELECT slot, id, version FROM records WHERE author = ?1 AND kind = ?2 AND key = ?3",
        )?
        .query_row(
            params![&header.author.as_bytes()[..], header.kind.0, header.key],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, [u8; 32]>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            },
        )
        .optional()?;
    let outcome = match current {
        None => {
            return Err(StoreError::Corrupt(format!(
                "no record holds the slot record {id} collided with"
            )));
        }
        Some((slot, current_id, current_version)) => {
            let current_id = RecordId(current_id);
            if wins(header.version, id, from_column(current_version), current_id) {
                write_record(conn, Some(slot), verified, origin, now)?;
                IngestOutcome::Replaced {
                    previous: current_id,
                }
            } else {
                IngestOutcome::Stale
            }
        }
    };
    Ok(outcome)
}

/// Inserts a slot's first record (`slot` is `None`; returns `false`, having
/// written nothing, if the slot already has a record), or overwrites slot
/// `slot` in place; then re-indexes its text and, for a co-op's profile,
/// skills or capacity, its partner-search rows.
fn write_record(
    conn: &Connection,
    slot: Option<i64>,
    verified: &VerifiedRecord,
    origin: Origin,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let record = verified.record();
    let header = record.header();
    let columns = params![
        &record.id().0[..],
        to_column(header.version),
        to_column(header.issued_at.0),
        header.expires_at.map(|t| to_column(t.0)),
        record.is_tombstone(),
        to_column(now.0),
        origin as i64,
        record.bytes(),
        slot,
        &header.author.as_bytes()[..],
        header.kind.0,
        header.key,
    ];
    let slot = match slot {
        Some(slot) => {
            let changed = conn
                .prepare_cached(
                    "UPDATE records SET id = ?1, version = ?2, issued_at = ?3, expires_at = ?4, \
                 tombstone = ?5, received_at = ?6, origin = ?7, bytes = ?8 \
                 WHERE slot = ?9 AND author = ?10 AND kind = ?11 AND key = ?12",
                )?
                .execute(columns)?;
            if changed != 1 {
                return Err(StoreError::Corrupt(format!(
                    "slot {slot} moved while in use"
                )));
            }
            conn.prepare_cached("DELETE FROM search WHERE rowid = ?1")?
                .execute([slot])?;
            slot
        }
        None => {
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO records (id, version, issued_at, expires_at, tombstone, \
                     received_at, origin, bytes, slot, author, kind, key) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
                     ON CONFLICT (author, kind, key) DO NOTHING",
                )?
                .execute(columns)?;
            if inserted == 0 {
                return Ok(false);
            }
            conn.last_insert_rowid()
        }
    };
    if let Some(text) = verified.body().and_then(searchable_text) {
        conn.prepare_cached(
            "INSERT INTO search (rowid, id, author, kind, text) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            slot,
            &record.id().0[..],
            &header.author.as_bytes()[..],
            header.kind.0,
            text
        ])?;
    }
    partners::reindex(conn, slot, header, verified.body())?;
    super::network::reindex(conn, slot, header, verified.body())?;
    Ok(true)
}

fn is_seen(conn: &Connection, id: RecordId) -> Result<bool, StoreError> {
    let mut query = conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM seen WHERE id = ?1)")?;
    Ok(query.query_row([&id.0[..]], |row| row.get(0))?)
}

/// For each id, whether it is in the seen-cache.
pub fn known(conn: &Connection, ids: &[RecordId]) -> Result<Vec<bool>, StoreError> {
    ids.iter().map(|&id| is_seen(conn, id)).collect()
}

/// The bytes of the current records with these ids, skipping the others.
pub fn get_bytes(conn: &Connection, ids: &[RecordId]) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut query = conn.prepare_cached("SELECT bytes FROM records WHERE id = ?1")?;
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(bytes) = query.query_row([&id.0[..]], |row| row.get(0)).optional()? {
            found.push(bytes);
        }
    }
    Ok(found)
}

/// `(issued_at, id)` of every current record, sorted.
pub fn sync_items(conn: &Connection) -> Result<Vec<(u64, RecordId)>, StoreError> {
    let mut query =
        conn.prepare_cached("SELECT issued_at, id FROM records ORDER BY issued_at, id")?;
    let mut items = query
        .query_map([], |row| {
            Ok((from_column(row.get(0)?), RecordId(row.get(1)?)))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    // SQL orders the bit-cast column as signed: only an issue time at or
    // beyond 2^63 ms, which validation never lets in, could upset that.
    if !items.is_sorted() {
        items.sort_unstable();
    }
    Ok(items)
}

const STORED: &str = "SELECT bytes, received_at, origin FROM records";

/// The current record of a slot.
pub fn current(
    conn: &Connection,
    author: &PublicKey,
    kind: KindCode,
    key: &str,
) -> Result<Option<StoredRecord>, StoreError> {
    let sql = format!("{STORED} WHERE author = ?1 AND kind = ?2 AND key = ?3");
    let parts = conn
        .prepare_cached(&sql)?
        .query_row(params![&author.as_bytes()[..], kind.0, key], stored_parts)
        .optional()?;
    parts.map(stored).transpose()
}

/// One page of current records, newest `issued_at` first, then by
/// descending id.
pub fn list(conn: &Connection, filter: &ListFilter) -> Result<Vec<StoredRecord>, StoreError> {
    let mut sql = format!("{STORED} WHERE 1");
    let mut args = Vec::new();
    if let Some(author) = &filter.author {
        sql.push_str(" AND author = ?");
        args.push(Value::Blob(author.as_bytes().to_vec()));
    }
    if let Some(kind) = filter.kind {
        sql.push_str(" AND kind = ?");
        args.push(Value::Integer(kind.0.into()));
    }
    if !filter.include_tombstones {
        sql.push_str(" AND tombstone = 0");
    }
    if let Some(after) = filter.after {
        sql.push_str(" AND (issued_at, id) < (?, ?)");
        args.push(Value::Integer(to_column(after.issued_at.0)));
        args.push(Value::Blob(after.id.0.to_vec()));
    }
    sql.push_str(" ORDER BY issued_at DESC, id DESC LIMIT ?");
    args.push(Value::Integer(
        i64::try_from(filter.limit).unwrap_or(i64::MAX),
    ));
    let mut query = conn.prepare_cached(&sql)?;
    let rows = query.query_map(params_from_iter(args), stored_parts)?;
    rows.map(|parts| stored(parts?)).collect()
}

/// How much the store holds.
pub fn counts(conn: &Connection) -> Result<Counts, StoreError> {
    let mut counts = Counts::default();
    let mut query = conn.prepare_cached(
        "SELECT kind, count(*), sum(tombstone) FROM records GROUP BY kind ORDER BY kind",
    )?;
    let rows = query.query_map([], |row| {
        Ok((
            row.get::<_, u16>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, i64>(2)?,
        ))
    })?;
    for row in rows {
        let (kind, records, tombstones) = row?;
        let (records, tombstones) = (from_column(records), from_column(tombstones));
        counts.by_kind.insert(KindCode(kind), records);
        if records > tombstones {
            counts
                .live_by_kind
                .insert(KindCode(kind), records - tombstones);
        }
        counts.records += records;
        counts.tombstones += tombstones;
    }
    let seen: i64 = conn
        .prepare_cached("SELECT count(*) FROM seen")?
        .query_row([], |row| row.get(0))?;
    counts.seen = from_column(seen);
    Ok(counts)
}

/// The version for our next record in a slot: the greater of the current
/// version + 1 and `now_ms`, and at least 1 (SPEC §2.4). A slot already at
/// `u64::MAX` cannot advance; the answer then equals its current version.
pub fn next_version(
    conn: &Connection,
    author: &PublicKey,
    kind: KindCode,
    key: &str,
    now_ms: u64,
) -> Result<u64, StoreError> {
    let current: Option<i64> = conn
        .prepare_cached("SELECT version FROM records WHERE author = ?1 AND kind = ?2 AND key = ?3")?
        .query_row(params![&author.as_bytes()[..], kind.0, key], |row| {
            row.get(0)
        })
        .optional()?;
    let after_current = current.map_or(1, |v| from_column(v).saturating_add(1));
    Ok(after_current.max(now_ms))
}

/// Live searchable records matching every word of `query`, best first.
pub fn search(
    conn: &Connection,
    query: &str,
    limit: usize,
) -> Result<Vec<StoredRecord>, StoreError> {
    let Some(query) = fts_query(query) else {
        return Ok(Vec::new());
    };
    let mut statement = conn.prepare_cached(
        "SELECT r.bytes, r.received_at, r.origin FROM search \
         JOIN records AS r ON r.slot = search.rowid \
         WHERE search MATCH ?1 AND r.tombstone = 0 \
         ORDER BY search.rank, r.slot LIMIT ?2",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = statement.query_map(params![query, limit], stored_parts)?;
    rows.map(|parts| stored(parts?)).collect()
}

/// The columns a [`StoredRecord`] is made from.
type StoredParts = (Vec<u8>, i64, i64);

fn stored_parts(row: &Row<'_>) -> rusqlite::Result<StoredParts> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

fn stored((bytes, received_at, origin): StoredParts) -> Result<StoredRecord, StoreError> {
    let record = SignedRecord::decode(bytes)
        .map_err(|e| StoreError::Corrupt(format!("a stored record does not decode: {e}")))?;
    let origin = match origin {
        0 => Origin::Remote,
        1 => Origin::Local,
        other => return Err(StoreError::Corrupt(format!("unknown origin {other}"))),
    };
    Ok(StoredRecord {
        record,
        received_at: Timestamp(from_column(received_at)),
        origin,
    })
}
