//! The node's SQLite replica of the federation's public records, run as an
//! actor.
//!
//! One SQLite file per node (WAL, numbered migrations: [`schema`]) holds the
//! current winner of every slot (author, kind, key) with its raw signed
//! bytes, the permanent seen-cache of record ids, and a full-text index.
//! [`Store`] is a cheap, cloneable handle: one dedicated thread owns the
//! only connection and serves commands from a bounded channel. Writes that
//! queue up together are applied in one transaction (each command in its
//! own savepoint, so a failing command fails alone); reads run on the same
//! thread after the writes they queued with, so a read always sees every
//! write whose reply was received before it was sent.
//!
//! The SQL lives in [`db`] as plain functions over a connection, usable
//! without the actor (tests, benchmarks).
//!
//! **Cancel safety.** Every method is cancel-safe in the same sense: a
//! command is either never queued (the future was dropped while waiting for
//! room in the channel) or queued whole, and a queued command is carried out
//! whole or not at all whether or not anyone still awaits its reply. A
//! dropped write may therefore still commit; it never half-commits.

pub mod accounts;
mod actor;
pub mod backup;
pub mod bid_messages;
pub mod bids;
pub mod db;
pub mod network;
pub mod partners;
mod readers;
pub mod schema;
#[cfg(test)]
mod tests;
pub mod text;
mod types;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use coopnet_protocol::{KindCode, PublicKey, RecordId, Timestamp, VerifiedRecord};
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot, watch};

pub use accounts::{ApiToken, Role, User};
use actor::Command;
pub use partners::{CoopHit, CoopPage, CoopQuery};
pub use types::{Counts, IngestOutcome, ListCursor, ListFilter, Origin, StoredRecord};

/// Why the store could not do what was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error (I/O, a full disk, a locked or damaged file).
    #[error("SQLite: {0}")]
    Sqlite(#[source] Arc<rusqlite::Error>),
    /// The file was written by a newer coopnet, whose schema this code does
    /// not know; it is left untouched.
    #[error(
        "the store's schema is version {found}, newer than the {supported} this coopnet \
         supports; upgrade coopnet to open it"
    )]
    NewerSchema {
        /// The file's `user_version`.
        found: i64,
        /// The newest schema version this code knows.
        supported: i64,
    },
    /// The file holds something this code never writes (a stored record
    /// that does not decode, an impossible column value).
    #[error("the store is corrupt: {0}")]
    Corrupt(String),
    /// The write would break a uniqueness rule (a username already taken).
    #[error("{0}")]
    Conflict(String),
    /// The request is outside what the store accepts (too many skills in a
    /// partner search).
    #[error("{0}")]
    Invalid(String),
    /// The store's thread could not be started.
    #[error("could not start the store's thread: {0}")]
    Thread(#[source] Arc<std::io::Error>),
    /// The store has been closed, or its thread has stopped.
    #[error("the store is closed")]
    Closed,
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Sqlite(Arc::new(error))
    }
}

/// Commands waiting for the store's thread; senders wait when it is full.
const QUEUE: usize = 256;

/// A handle to the store's thread. Cloning is cheap; every clone talks to
/// the same thread. The thread stops when [`Store::close`] is called or the
/// last handle is dropped, after finishing the work already queued.
#[derive(Clone, Debug)]
pub struct Store {
    commands: mpsc::Sender<Command>,
    /// The reader threads of a file-backed store.
    reads: Option<mpsc::Sender<actor::ReadJob>>,
    /// Bumped by the store's thread after each commit that changed the
    /// current records.
    generation: Arc<AtomicU64>,
    /// The last counts read, with the generation they were read at: every
    /// page shows them, and counting 100,000 rows each time is not free.
    counts: Arc<std::sync::Mutex<Option<(u64, Counts)>>>,
    stopped: watch::Receiver<bool>,
    path: Option<Arc<Path>>,
}

impl Store {
    /// Opens (creating if needed, readable by its owner only: SQLite gives
    /// `-wal` and `-shm` the same mode) and migrates the store at `path`,
    /// and starts its thread. Refuses a file from a newer coopnet with
    /// [`StoreError::NewerSchema`]. The blocking work happens on the
    /// store's thread, not the caller's.
    pub async fn open(path: impl Into<PathBuf>) -> Result<Store, StoreError> {
        let path: PathBuf = path.into();
        let opener = path.clone();
        let open = move || {
            // If this fails, opening fails too, and says why.
            let _ = crate::private::create_file(&opener);
            Connection::open(opener)
        };
        Self::start(open, Some(path.into())).await
    }

    /// A store in memory, gone when closed; for tests.
    pub async fn in_memory() -> Result<Store, StoreError> {
        Self::start(Connection::open_in_memory, None).await
    }

    async fn start(
        open: impl FnOnce() -> rusqlite::Result<Connection> + Send + 'static,
        path: Option<Arc<Path>>,
    ) -> Result<Store, StoreError> {
        let (commands, receiver) = mpsc::channel(QUEUE);
        let (stopped_tx, stopped) = watch::channel(false);
        let (ready_tx, ready) = oneshot::channel();
        let generation = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&generation);
        std::thread::Builder::new()
            .name("coopnet-store".to_owned())
            .spawn(move || actor::run(open, counter, receiver, ready_tx, stopped_tx))
            .map_err(|e| StoreError::Thread(Arc::new(e)))?;
        ready.await.map_err(|_| StoreError::Closed)??;
        let reads = match &path {
            Some(path) => Some(readers::spawn(path)?),
            None => None,
        };
        Ok(Store {
            commands,
            reads,
            generation,
            counts: Arc::default(),
            stopped,
            path,
        })
    }

    /// The file this store lives in (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// A number that changes whenever a commit changes the current records
    /// (any record stored or replaced): what a cache of answers derived
    /// from them is keyed by.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores records received from other nodes (verified by the caller),
    /// returning one outcome per record, in order. Batched with other
    /// queued writes into one transaction at `synchronous=NORMAL`: after a
    /// power cut the last batches may be lost (peers will resend them), but
    /// the file is never inconsistent. One call is one transaction whatever
    /// its size, holding the store's thread meanwhile, so callers send up
    /// to about a thousand records at a time. Cancel-safe (see the module
    /// docs).
    pub async fn ingest(
        &self,
        records: Vec<VerifiedRecord>,
    ) -> Result<Vec<IngestOutcome>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        self.write(records, Origin::Remote).await
    }

    /// Stores a record our own co-op just signed, and returns only once it
    /// is durable: its transaction commits with `synchronous=FULL`, which in
    /// WAL mode fsyncs the log before the commit returns. Cancel-safe in the
    /// module's sense: if the future is dropped the record may or may not
    /// be stored, and the caller should ask [`Store::current`].
    pub async fn publish_local(&self, record: VerifiedRecord) -> Result<IngestOutcome, StoreError> {
        let outcomes = self.write(vec![record], Origin::Local).await?;
        outcomes
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Corrupt("no outcome for a published record".to_owned()))
    }

    async fn write(
        &self,
        records: Vec<VerifiedRecord>,
        origin: Origin,
    ) -> Result<Vec<IngestOutcome>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let command = Command::Ingest {
            records,
            origin,
            reply,
        };
        self.commands
            .send(command)
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `query` on a reader thread (on the store's thread for a store
    /// in memory). It sees every write whose call has returned. Cancel-safe:
    /// reads change nothing.
    async fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        if *self.stopped.borrow() {
            return Err(StoreError::Closed);
        }
        let (reply, answer) = oneshot::channel();
        let job: actor::ReadJob = Box::new(move |conn: &Connection| {
            // The caller may have gone; the answer is then simply dropped.
            let _ = reply.send(query(conn));
        });
        let sent = match &self.reads {
            Some(reads) => reads.send(job).await.is_ok(),
            None => self.commands.send(Command::Read(job)).await.is_ok(),
        };
        if !sent {
            return Err(StoreError::Closed);
        }
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `work` on the store's thread inside a write batch's transaction
    /// (in its own savepoint: an error undoes its changes alone), and
    /// answers once the batch has committed: at `synchronous=FULL` when
    /// `durable`, so the change survives a power cut once this returns.
    /// Cancel-safe in the module's sense.
    async fn write_job<T: Send + 'static>(
        &self,
        durable: bool,
        work: impl FnOnce(&Connection, Timestamp) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(actor::Job::new(work, reply));
        self.commands
            .send(Command::Write { job, durable })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// For each id, whether it is in the seen-cache. Cancel-safe.
    pub async fn known(&self, ids: Vec<RecordId>) -> Result<Vec<bool>, StoreError> {
        self.read(move |conn| db::known(conn, &ids)).await
    }

    /// The signed bytes of the current records with these ids, in the order
    /// asked; ids that are not current records are skipped. Cancel-safe.
    pub async fn get_bytes(&self, ids: Vec<RecordId>) -> Result<Vec<Vec<u8>>, StoreError> {
        self.read(move |conn| db::get_bytes(conn, &ids)).await
    }

    /// `(issued_at, id)` of every current record, sorted: the set that
    /// anti-entropy reconciles. Cancel-safe.
    pub async fn sync_items(&self) -> Result<Vec<(u64, RecordId)>, StoreError> {
        self.read(db::sync_items).await
    }

    /// The current record of a slot, if any. Cancel-safe.
    pub async fn current(
        &self,
        author: PublicKey,
        kind: KindCode,
        key: String,
    ) -> Result<Option<StoredRecord>, StoreError> {
        self.read(move |conn| db::current(conn, &author, kind, &key))
            .await
    }

    /// One page of current records, newest first. Cancel-safe.
    pub async fn list(&self, filter: ListFilter) -> Result<Vec<StoredRecord>, StoreError> {
        self.read(move |conn| db::list(conn, &filter)).await
    }

    /// Reads one row: whether the store answers at all (for `/healthz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| {
            conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
                r.get::<_, i64>(0)
            })?;
            Ok(())
        })
        .await
    }

    /// How much the store holds. Cancel-safe.
    pub async fn counts(&self) -> Result<Counts, StoreError> {
        let generation = self.generation();
        let cached = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some((at, counts)) = cached
            && at == generation
        {
            return Ok(counts);
        }
        let counts = self.read(db::counts).await?;
        *self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((generation, counts.clone()));
        Ok(counts)
    }

    /// The version our co-op should give its next record in this slot: the
    /// greater of the current version + 1 and `now_ms` (SPEC §2.4).
    /// Cancel-safe. Two publishes racing for one slot can get the same
    /// answer; the caller serialises its own publishes per slot.
    pub async fn next_version(
        &self,
        author: PublicKey,
        kind: KindCode,
        key: String,
        now_ms: u64,
    ) -> Result<u64, StoreError> {
        self.read(move |conn| db::next_version(conn, &author, kind, &key, now_ms))
            .await
    }

    /// Live profile, skills, capacity and contract records matching every
    /// word of `query`, best match first. Any text is a safe query: words
    /// are matched literally, and a query with no words finds nothing.
    /// Cancel-safe.
    pub async fn search(&self, query: &str, limit: usize) -> Result<Vec<StoredRecord>, StoreError> {
        let query = query.to_owned();
        self.read(move |conn| db::search(conn, &query, limit)).await
    }

    /// Partner search: the co-ops matching `query`, best first (see
    /// [`partners`] for the filters and the ranking). Cancel-safe.
    pub async fn find_coops(&self, query: CoopQuery) -> Result<CoopPage, StoreError> {
        self.read(move |conn| partners::find_coops(conn, &query))
            .await
    }

    /// The co-ops named by revocation records: a superset of the revoked
    /// members, for the caller to check against its roster. Cancel-safe.
    pub async fn revocation_subjects(&self) -> Result<Vec<PublicKey>, StoreError> {
        self.read(partners::revocation_subjects).await
    }

    /// Stops the store for every handle: work already queued is finished,
    /// the WAL is checkpointed into the main file (`wal_checkpoint(TRUNCATE)`)
    /// and the thread exits; this waits for all of that. Later calls on any
    /// handle fail with [`StoreError::Closed`]; closing again is a no-op.
    /// Cancel-safe: once the close is queued, the thread finishes it anyway.
    pub async fn close(&self) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        let result = match self.commands.send(Command::Close(reply)).await {
            Ok(()) => answer.await.unwrap_or(Ok(())),
            Err(_) => Ok(()),
        };
        let mut stopped = self.stopped.clone();
        // An error means the thread is gone without saying so (a panic).
        let _ = stopped.wait_for(|stopped| *stopped).await;
        result
    }
}
