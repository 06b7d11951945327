//! The store's schema: numbered migrations applied on `PRAGMA user_version`.
//!
//! `MIGRATIONS[i]` takes a file from `user_version = i` to `i + 1`, in one
//! transaction: its SQL, then its Rust step if it has one (to fill new
//! tables from what the file already holds). A migration, once released, is
//! never edited: a change is a new entry at the end. A file whose `user_version` is beyond
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

use super::{StoreError, partners};

/// A migration's Rust step, run on the migration's transaction.
pub type RustStep = fn(&Connection) -> Result<(), StoreError>;

/// One step of the schema: SQL, then optionally Rust, in one transaction.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The statements, run first.
    pub sql: &'static str,
    /// Run after `sql` in the same transaction, e.g. to backfill new tables
    /// from stored records (whose bytes only Rust can decode).
    pub then: Option<RustStep>,
}

impl Migration {
    /// Applies the step on `conn`, which the caller has put in a
    /// transaction; `user_version` is the caller's to set.
    pub fn apply(&self, conn: &Connection) -> Result<(), StoreError> {
        conn.execute_batch(self.sql)?;
        match self.then {
            Some(step) => step(conn),
            None => Ok(()),
        }
    }
}

/// The migrations, in order; `user_version` is how many have been applied.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        sql: V1,
        then: None,
    },
    Migration {
        sql: V2,
        // Its tables are filled by `partners::refresh` once every migration
        // has run (the fill writes the tables of later migrations too).
        then: None,
    },
    Migration {
        sql: V3,
        then: None,
    },
    Migration {
        sql: V4,
        then: None,
    },
    Migration {
        sql: V5,
        then: None,
    },
    Migration {
        sql: V6,
        then: Some(super::network::backfill),
    },
];

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

/// Version 2: partner search and local accounts.
///
/// `coops`, `coop_skills` and `coop_windows` are derived from the current
/// profile, skills and capacity records (the empty-key slot of each), kept
/// in step by `db::ingest` in the same transaction (see
/// [`partners`](super::partners)), and rebuilt from `records` by this
/// migration's Rust step. `users`, `sessions` and `api_tokens` are the web
/// app's accounts: local only, never gossiped.
const V2: &str = "
-- One row per co-op that has a current profile, skills or capacity record.
-- `id` is a local integer handle (joins on it are much cheaper than on the
-- 32-byte key); it lasts as long as the row. The profile columns are empty
-- ('' or NULL) until its profile arrives; `issued_at` is the profile's,
-- NULL without one. `days_total`, `rate_min` and `rate_currency` summarise
-- all its capacity windows (the sum of person-days; the lowest minimum
-- rate and that window's currency), for searches without a date window.
CREATE TABLE coops (
    id            INTEGER PRIMARY KEY,
    author        BLOB    NOT NULL UNIQUE CHECK (length(author) = 32),
    name          TEXT    NOT NULL DEFAULT '',
    summary       TEXT    NOT NULL DEFAULT '',
    region        TEXT    NOT NULL DEFAULT '',
    region_key    TEXT    NOT NULL DEFAULT '',  -- region, trimmed and lower-cased
    country       TEXT    NOT NULL DEFAULT '',
    member_count  INTEGER,
    issued_at     INTEGER,                      -- Unix ms, bit-cast; NULL = no profile
    days_total    INTEGER NOT NULL DEFAULT 0,
    rate_min      INTEGER,
    rate_currency TEXT
) STRICT;
CREATE INDEX coops_by_region ON coops (region_key);

-- A co-op's skills, keyed by the folded name (`taxonomy::fold`).
CREATE TABLE coop_skills (
    coop      INTEGER NOT NULL,              -- coops.id
    skill     TEXT    NOT NULL,              -- folded
    name      TEXT    NOT NULL,              -- as the co-op wrote it
    level     INTEGER NOT NULL CHECK (level IN (0, 1, 2)), -- working, proficient, expert
    headcount INTEGER NOT NULL,
    PRIMARY KEY (coop, skill)
) STRICT, WITHOUT ROWID;
-- Who has a skill; covering, so matching never visits the table.
CREATE INDEX coop_skills_by_skill ON coop_skills (skill, coop);

-- A co-op's capacity windows, clustered by co-op.
CREATE TABLE coop_windows (
    coop        INTEGER NOT NULL,            -- coops.id
    seq         INTEGER NOT NULL,            -- position in the record
    from_day    INTEGER NOT NULL,            -- days since 1970-01-01, inclusive
    to_day      INTEGER NOT NULL,            -- inclusive
    person_days INTEGER NOT NULL,
    rate_min    INTEGER NOT NULL,
    rate_max    INTEGER NOT NULL,
    currency    TEXT    NOT NULL,
    PRIMARY KEY (coop, seq)
) STRICT, WITHOUT ROWID;

-- Which co-op the `search` rows of its profile, skills and capacity
-- records belong to (slot = records.slot = search.rowid), so free text is
-- matched per co-op without reading the text's stored columns.
CREATE TABLE coop_slots (
    slot INTEGER PRIMARY KEY,
    coop INTEGER NOT NULL                   -- coops.id
) STRICT;
CREATE INDEX coop_slots_by_coop ON coop_slots (coop);

-- The web app's accounts. Passwords are argon2id PHC strings and tokens
-- SHA-256 digests, both made by the web layer.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'member')),
    created_at    INTEGER NOT NULL           -- Unix ms
) STRICT;

CREATE TABLE sessions (
    token_hash BLOB    PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,             -- Unix ms
    expires_at INTEGER NOT NULL              -- Unix ms
) STRICT;
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
    token_hash   BLOB    PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,           -- Unix ms
    last_used_at INTEGER                     -- Unix ms; NULL = never
) STRICT;
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
";

/// Version 3: skills are matched through the taxonomy's terms.
///
/// `coop_skills.skill` becomes the skill's key by the taxonomy
/// (`Taxonomy::resolve`: `concept:<uuid>` or a folded name) and
/// `coop_terms` lists every term each skill is found by (its key, its
/// concept's and every broader concept's). Both depend on the taxonomy the
/// node was built with, so `meta` remembers its fingerprint and
/// `partners::refresh` rebuilds them when it changes (and fills them the
/// first time).
const V3: &str = "
DROP INDEX coop_skills_by_skill;

CREATE TABLE coop_terms (
    coop  INTEGER NOT NULL,                 -- coops.id
    skill TEXT    NOT NULL,                 -- coop_skills.skill
    term  TEXT    NOT NULL,                 -- a key it is found by
    PRIMARY KEY (coop, skill, term)
) STRICT, WITHOUT ROWID;
-- Who has a term, and through which skill; covering, so matching and the
-- matched names never visit the table.
CREATE INDEX coop_terms_by_term ON coop_terms (term, coop, skill);

-- Facts about the file's derived tables, e.g. `taxonomy`: the fingerprint
-- of the taxonomy `coop_skills` and `coop_terms` were built with.
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
";

/// Version 4: joint bids on the lead's node (issue 17), local only, never
/// gossiped. `contract_needs` holds the person-days our bid managers said
/// a contract's skills need; `bids` each bid's current plan (JSON of
/// `coopnet_bids::plan::BidPlan`) and status, and `bid_versions` every
/// version of it: who changed what, when.
const V4: &str = "
CREATE TABLE contract_needs (
    contract_author BLOB    NOT NULL CHECK (length(contract_author) = 32),
    contract_key    TEXT    NOT NULL,
    skill           TEXT    NOT NULL,  -- as the contract names it
    days            INTEGER NOT NULL CHECK (days BETWEEN 1 AND 100000),
    PRIMARY KEY (contract_author, contract_key, skill)
) STRICT, WITHOUT ROWID;

CREATE TABLE bids (
    id              INTEGER PRIMARY KEY,
    bid_id          TEXT    NOT NULL UNIQUE,  -- 32 hex characters, random
    contract_author BLOB    NOT NULL CHECK (length(contract_author) = 32),
    contract_key    TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    currency        TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    version         INTEGER NOT NULL CHECK (version >= 1),
    plan            TEXT    NOT NULL,         -- JSON
    created_at      INTEGER NOT NULL,         -- Unix ms, our clock
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX bids_by_update ON bids (updated_at);

CREATE TABLE bid_versions (
    bid     INTEGER NOT NULL REFERENCES bids (id),
    version INTEGER NOT NULL,
    at      INTEGER NOT NULL,                 -- Unix ms, our clock
    by_user TEXT    NOT NULL,
    status  TEXT    NOT NULL,
    plan    TEXT    NOT NULL,                 -- JSON, as it was then
    changes TEXT    NOT NULL,                 -- JSON list of sentences
    PRIMARY KEY (bid, version)
) STRICT, WITHOUT ROWID;
";

/// Version 5: private bid messages (issue 18, SPEC §11), local only.
/// `bid_ledgers` holds what this node knows of each bid it takes part in
/// (JSON of `coopnet_bids::negotiation::Ledger`: lead, partners, version,
/// frozen document, last sequence number per sender); `bid_messages`
/// every message it took, as received.
const V5: &str = "
CREATE TABLE bid_ledgers (
    bid    BLOB NOT NULL PRIMARY KEY CHECK (length(bid) = 16),
    ledger TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE bid_messages (
    bid         BLOB    NOT NULL CHECK (length(bid) = 16),
    sender      BLOB    NOT NULL CHECK (length(sender) = 32),
    seq         INTEGER NOT NULL,          -- u64, bit-cast
    version     INTEGER NOT NULL,          -- u64, bit-cast
    kind        TEXT    NOT NULL,          -- invite, answer, freeze, sign, outcome
    bytes       BLOB    NOT NULL,          -- the signed message as received
    received_at INTEGER NOT NULL,          -- Unix ms, our clock
    PRIMARY KEY (bid, sender, seq)
) STRICT, WITHOUT ROWID;

-- Messages we signed, until the recipient's node answers: retried with
-- backoff, in `seq` order per (bid, recipient).
CREATE TABLE bid_outbox (
    id           INTEGER PRIMARY KEY,
    bid          BLOB    NOT NULL CHECK (length(bid) = 16),
    recipient    BLOB    NOT NULL CHECK (length(recipient) = 32),
    seq          INTEGER NOT NULL,          -- u64, bit-cast
    bytes        BLOB    NOT NULL,          -- the signed message
    queued_at    INTEGER NOT NULL,          -- Unix ms
    next_attempt INTEGER NOT NULL,          -- Unix ms
    attempts     INTEGER NOT NULL DEFAULT 0,
    answered_at  INTEGER,                   -- Unix ms; NULL while waiting
    status       INTEGER,                   -- the answer's status byte
    reason       TEXT,
    UNIQUE (bid, recipient, seq)
) STRICT;
CREATE INDEX bid_outbox_due ON bid_outbox (answered_at, next_attempt);
";

/// Version 6: the network dashboard (issue 19). `contract_skills`,
/// `node_statuses` and `bid_notices` are derived from the current
/// contract, node-status and bid-notice records, kept in step by
/// `db::ingest` in the same transaction (see [`network`](super::network))
/// and filled from `records` by this migration's Rust step; `event_log` is
/// local only, bounded, and kept across restarts.
const V6: &str = "
-- Each skill an open contract requires, by its taxonomy key (a contract
-- is open while its status says so, as on the contracts page).
CREATE TABLE contract_skills (
    slot  INTEGER NOT NULL,                  -- records.slot
    skill TEXT    NOT NULL,                  -- Taxonomy::key of the name
    PRIMARY KEY (slot, skill)
) STRICT, WITHOUT ROWID;

-- How many open contracts require each skill: kept as contracts come and
-- go, so the dashboard never counts them per request.
CREATE TABLE skill_demand (
    skill     TEXT    NOT NULL PRIMARY KEY,
    name      TEXT    NOT NULL,              -- as a contract first wrote it
    contracts INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Counting records by kind (every page shows the count) reads this
-- small index instead of every record.
CREATE INDEX records_by_kind_tombstone ON records (kind, tombstone);

-- Each co-op's latest heartbeat.
CREATE TABLE node_statuses (
    author      BLOB    NOT NULL PRIMARY KEY CHECK (length(author) = 32),
    issued_at   INTEGER NOT NULL,            -- Unix ms
    expires_at  INTEGER,                     -- Unix ms
    software    TEXT    NOT NULL,
    records     INTEGER NOT NULL,
    peers       INTEGER NOT NULL,
    last_sync   INTEGER,                     -- Unix ms
    uptime      INTEGER NOT NULL             -- seconds
) STRICT, WITHOUT ROWID;

-- Each bid's public notice, as it stands.
CREATE TABLE bid_notices (
    slot      INTEGER NOT NULL PRIMARY KEY,  -- records.slot
    lead      BLOB    NOT NULL CHECK (length(lead) = 32),
    status    TEXT    NOT NULL,              -- forming, submitted, won, lost, withdrawn
    issued_at INTEGER NOT NULL,              -- Unix ms: when it last changed
    partners  INTEGER NOT NULL
) STRICT;

-- Users who may admit and revoke members (on a coordinator co-op's node).
ALTER TABLE users ADD COLUMN coordinator INTEGER NOT NULL DEFAULT 0
    CHECK (coordinator IN (0, 1));

-- What happened on this node that a coordinator follows, newest last;
-- bounded (the oldest rows go).
CREATE TABLE event_log (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,                 -- Unix ms
    kind   TEXT    NOT NULL,
    coop   BLOB    CHECK (coop IS NULL OR length(coop) = 32),
    peer   TEXT,
    detail TEXT    NOT NULL
) STRICT;
";

/// The page cache of a connection, in KiB.
pub const CACHE_KIB: i64 = 16 * 1024;
/// The page cache of each reader connection, in KiB.
pub const READER_CACHE_KIB: i64 = 4 * 1024;

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
    // 16 MiB of page cache (SQLite's default is 2 MiB): a batch of a sync
    // touches pages of several indexes at random places, and a cache that
    // spills mid-transaction writes and rereads them.
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    migrate(conn)?;
    partners::refresh(conn)
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
    migrate_to(conn, MIGRATIONS.len())
}

/// Applies migrations until the file is at version `target` (or beyond:
/// this never goes back), one transaction each. [`migrate`] is this with
/// the newest version; an older target makes files like older code did,
/// for tests of the migrations themselves.
pub fn migrate_to(conn: &mut Connection, target: usize) -> Result<(), StoreError> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version = check_version(&tx)?;
        let Some(migration) = MIGRATIONS.get(version).filter(|_| version < target) else {
            return Ok(());
        };
        migration.apply(&tx)?;
        tx.pragma_update(None, "user_version", version as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = version + 1, "store schema migrated");
    }
}
