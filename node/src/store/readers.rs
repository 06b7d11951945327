//! Reader threads: reads run on connections of their own, opened read-only
//! on the store's file, so that they run side by side on the cores and
//! never wait behind a write batch (WAL lets readers and the one writer
//! work at once; each read sees the last commit made before it began).
//!
//! A file-backed store has [`THREADS`] of them; an in-memory store has none
//! (another connection would open another, empty database), and its reads
//! run on the store's thread.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::mpsc;

use super::StoreError;
use super::actor::ReadJob;
use super::schema::READER_CACHE_KIB;

/// Reader threads per store.
pub const THREADS: usize = 2;
/// Reads that may wait for a reader.
const QUEUE: usize = 256;

/// Starts the reader threads on the store file at `path` (already created
/// and migrated by the store's thread); returns where to send reads.
pub(super) fn spawn(path: &Path) -> Result<mpsc::Sender<ReadJob>, StoreError> {
    let (jobs, receiver) = mpsc::channel::<ReadJob>(QUEUE);
    let receiver = Arc::new(Mutex::new(receiver));
    for i in 0..THREADS {
        let conn = open(path)?;
        let receiver = Arc::clone(&receiver);
        std::thread::Builder::new()
            .name(format!("coopnet-read-{i}"))
            .spawn(move || serve(&conn, &receiver))
            .map_err(|e| StoreError::Thread(Arc::new(e)))?;
    }
    Ok(jobs)
}

/// A read-only connection with the store's settings for readers.
fn open(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(64);
    conn.pragma_update(None, "query_only", true)?;
    conn.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
    Ok(conn)
}

/// Runs reads until every sender is gone.
fn serve(conn: &Connection, receiver: &Mutex<mpsc::Receiver<ReadJob>>) {
    loop {
        // One thread waits on the queue while the others wait for the lock.
        let job = match receiver.lock() {
            Ok(mut jobs) => jobs.blocking_recv(),
            Err(_) => None,
        };
        match job {
            Some(job) => job(conn),
            None => return,
        }
    }
}
