//! Backing up the store while the node runs, and restoring a backup.
//!
//! A backup is SQLite's online backup API copying every page in one step
//! on its own read-only connection: one read transaction, so the copy is
//! the database as it was when the step began (in WAL mode the node keeps
//! writing meanwhile), holding every write acknowledged before. It goes to
//! a `.partial` file, is checked with `PRAGMA integrity_check`, synced and
//! only then renamed into place, so a crash never leaves a half backup
//! under the name asked for. The identity key is not in it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use super::StoreError;
use super::schema::supported_version;

/// What a backup or a restore holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// Bytes of the file written.
    pub bytes: u64,
    /// Current records in it.
    pub records: u64,
    /// Its schema version.
    pub schema: i64,
    /// How long the copy took.
    pub took: Duration,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Corrupt(format!("{what} {}: {e}", path.display()))
}

/// Checks a store file: `integrity_check`, its schema version (no newer
/// than this code), its records.
pub fn check_file(path: &Path) -> Result<(i64, u64), StoreError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if integrity != "ok" {
        return Err(StoreError::Corrupt(format!(
            "{} fails its integrity check: {integrity}",
            path.display()
        )));
    }
    let schema: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if schema > supported_version() {
        return Err(StoreError::NewerSchema {
            found: schema,
            supported: supported_version(),
        });
    }
    let records: i64 = conn.query_row("SELECT count(*) FROM records", [], |r| r.get(0))?;
    Ok((schema, records.max(0) as u64))
}

/// Copies `from` (a store file, possibly in use) to `to` (which must not
/// exist) through a `.partial` file, checked and synced before the rename.
fn copy(from: &Path, to: &Path) -> Result<Copied, StoreError> {
    let started = Instant::now();
    if to.exists() {
        return Err(StoreError::Invalid(format!(
            "{} exists already: choose another name, or move it away first",
            to.display()
        )));
    }
    let partial = PathBuf::from(format!("{}.partial", to.display()));
    let _ = std::fs::remove_file(&partial);
    crate::private::create_file(&partial).map_err(|e| io("cannot create", &partial, e))?;
    let source = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    source.busy_timeout(Duration::from_secs(30))?;
    {
        let mut target = Connection::open(&partial)?;
        let backup = Backup::new(&source, &mut target)?;
        // Every page in one step: one read transaction, one snapshot.
        match backup.step(-1)? {
            StepResult::Done => {}
            other => {
                return Err(StoreError::Corrupt(format!(
                    "the backup did not finish in one step ({other:?}); try again"
                )));
            }
        }
    }
    let (schema, records) = check_file(&partial)?;
    let file = std::fs::File::open(&partial).map_err(|e| io("cannot open", &partial, e))?;
    file.sync_all()
        .map_err(|e| io("cannot sync", &partial, e))?;
    let bytes = file
        .metadata()
        .map_err(|e| io("cannot read", &partial, e))?
        .len();
    std::fs::rename(&partial, to).map_err(|e| io("cannot rename into", to, e))?;
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The rename is durable once the directory is synced.
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(Copied {
        bytes,
        records,
        schema,
        took: started.elapsed(),
    })
}

/// Backs up the store file `db` (the node may be running) to `out`.
pub fn backup(db: &Path, out: &Path) -> Result<Copied, StoreError> {
    if !db.exists() {
        return Err(StoreError::Invalid(format!(
            "there is no store at {}: is --data the node's data directory?",
            db.display()
        )));
    }
    copy(db, out)
}

/// Restores the backup `from` as the store file `db` of a node that is
/// not running. An existing store is kept beside it as
/// `coopnet.db.before-restore-<Unix ms>` (with its `-wal`), never deleted.
pub fn restore(
    from: &Path,
    db: &Path,
    now_ms: u64,
) -> Result<(Copied, Option<PathBuf>), StoreError> {
    check_file(from)?;
    let mut kept = None;
    if db.exists() {
        let aside = PathBuf::from(format!("{}.before-restore-{now_ms}", db.display()));
        std::fs::rename(db, &aside).map_err(|e| io("cannot move aside", db, e))?;
        for suffix in ["-wal", "-shm"] {
            let old = PathBuf::from(format!("{}{suffix}", db.display()));
            if old.exists() {
                let moved = PathBuf::from(format!("{}{suffix}", aside.display()));
                std::fs::rename(&old, &moved).map_err(|e| io("cannot move aside", &old, e))?;
            }
        }
        kept = Some(aside);
    }
    Ok((copy(from, db)?, kept))
}

/// The federations the store file's current membership records belong to
/// (for `coopnet check`: a store of another federation than the config's).
pub fn roster_federations(
    path: &Path,
) -> Result<Vec<coopnet_protocol::kinds::FederationId>, StoreError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut query = conn.prepare("SELECT bytes FROM records WHERE kind = ?1 AND tombstone = 0")?;
    let code = coopnet_protocol::Kind::Membership.code().0;
    let rows = query.query_map([code], |r| r.get::<_, Vec<u8>>(0))?;
    let mut ids = Vec::new();
    for bytes in rows {
        let record = coopnet_protocol::SignedRecord::decode(bytes?)
            .map_err(|e| StoreError::Corrupt(format!("a stored record: {e}")))?;
        let body = record
            .body_bytes()
            .map(|b| coopnet_protocol::Body::decode(record.header().kind, b));
        if let Some(Ok(coopnet_protocol::Body::Membership(m))) = body
            && !ids.contains(&m.federation)
        {
            ids.push(m.federation);
        }
    }
    Ok(ids)
}
