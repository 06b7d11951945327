//! The store's schema: numbered migrations applied on `PRAGMA user_version`.
//!
//! `MIGRATIONS[i]` takes a file from `user_version = i` to `i + 1`, in one
//! transaction. A migration, once released, is never edited: a change is a
//! new entry at the end. A file whose `user_version` is beyond
//! `MIGRATIONS.len()` was written by newer code and is refused rather than
//! guessed at.
//!
//! Column encodings shared by every migration:
//!
//! - `u64` values (versions, Unix-millisecond timestamps) are stored as the
//!   `i64` with the same bits (`v as i64`, read back with `as u64`), because
//!   SQLite integers are signed 64-bit and versions may be up to `u64::MAX`.
//!   So **SQL must never compare or order versions**: the store compares
//!   them in Rust (see `db::wins`). `issued_at` is ordered in SQL (sync,
//!   listing); that is sound because validation refuses records issued more
//!   than five minutes after `now`, far below 2^63 ms, and `db::sync_items`
//!   re-checks the order anyway.
//! - Ids and keys are their raw 32 bytes (`BLOB`), compared bytewise, which
//!   is the order of [`coopnet_protocol::RecordId`].

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// The migrations, in order; `user_version` is how many have been applied.
pub const MIGRATIONS: &[&str] = &[V1];

/// The schema version this code writes.
pub fn supported_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Version 1: the replica of public records, the seen-cache and search.
///
/// Later, local-only data gets its own migrations, never edits of this one:
/// `users` and `sessions` (web log-in), `bids` and `invitations` (private
/// negotiation state), and the `outbox` of signed private messages awaiting
/// delivery. None of those are ever gossiped.
const V1: &str = "
-- The current winner of every slot (author, kind, key), per SPEC §2.4.
-- `slot` is an explicit INTEGER PRIMARY KEY so that it survives VACUUM: a
-- replacement UPDATEs the row in place, and `slot` is also the rowid of the
-- slot's row in `search`, so search rows are found without a scan.
CREATE TABLE records (
    slot        INTEGER PRIMARY KEY,
    id          BLOB    NOT NULL UNIQUE CHECK (length(id) = 32),
    author      BLOB    NOT NULL CHECK (length(author) = 32),
    kind        INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 65535),
    key         TEXT    NOT NULL,
    version     INTEGER NOT NULL,          -- u64, bit-cast to i64
    issued_at   INTEGER NOT NULL,          -- Unix ms, bit-cast
    expires_at  INTEGER,                   -- Unix ms, bit-cast; NULL = never
    tombstone   INTEGER NOT NULL CHECK (tombstone IN (0, 1)),
    received_at INTEGER NOT NULL,          -- Unix ms, our clock
    origin      INTEGER NOT NULL CHECK (origin IN (0, 1)), -- 0 remote, 1 local
    bytes       BLOB    NOT NULL,          -- the signed record, as received
    UNIQUE (author, kind, key)
) STRICT;

-- Anti-entropy walks every current record in (issued_at, id) order.
CREATE INDEX records_by_time ON records (issued_at, id);
-- Listing by kind, newest first.
CREATE INDEX records_by_kind ON records (kind, issued_at, id);

-- Every id ever accepted into `records`, superseded ones included: a replayed
-- old version is recognised without verifying it again. Only ids of records
-- that verified are ever written here (SPEC §2.3).
CREATE TABLE seen (
    id BLOB PRIMARY KEY CHECK (length(id) = 32)
) STRICT, WITHOUT ROWID;

-- Full-text search over live profile, skills, capacity and contract records;
-- rowid = records.slot.
CREATE VIRTUAL TABLE search USING fts5 (
    id UNINDEXED,
    author UNINDEXED,
    kind UNINDEXED,
    text,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
";

/// Sets the connection's pragmas and brings its schema up to date.
///
/// A file from newer code is refused before anything is written to it.
/// WAL only applies to files; an in-memory database stays in `memory` mode.
pub fn prepare(conn: &mut Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(64);
    check_version(conn)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
    if mode != "memory" {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt(format!(
                "the database refused WAL mode (it is in {mode} mode)"
            )));
        }
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    migrate(conn)
}

/// The file's schema version, refused if this code does not know it.
fn check_version(conn: &Connection) -> Result<usize, StoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let supported = supported_version();
    if found > supported {
        return Err(StoreError::NewerSchema { found, supported });
    }
    usize::try_from(found)
        .map_err(|_| StoreError::Corrupt(format!("negative schema version {found}")))
}

/// Applies every migration the file has not had, one transaction each. The
/// version is read inside each transaction, so two processes opening the
/// same file at once cannot apply a migration twice.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version = check_version(&tx)?;
        let Some(sql) = MIGRATIONS.get(version) else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = version + 1, "store schema migrated");
    }
}
