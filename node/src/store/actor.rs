//! The store's thread: it owns the writing connection, drains the command
//! queue in batches, applies each batch's writes in one transaction, then
//! runs the batch's reads (a store in memory only: a file-backed store's
//! reads go to its reader threads, `readers.rs`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use coopnet_protocol::{Timestamp, VerifiedRecord};
use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot, watch};

use super::{IngestOutcome, Origin, StoreError, db, schema};

/// Most commands taken into one batch.
const MAX_BATCH_COMMANDS: usize = 64;
/// Once a batch holds this many records, no more commands join it.
const MAX_BATCH_RECORDS: usize = 1_000;

/// A read, run on the store's thread; it sends its own answer.
pub(super) type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// A write other than ingesting records (accounts, sessions), run in the
/// batch's transaction in its own savepoint and answered once the batch
/// has committed.
pub(super) trait WriteJob: Send {
    /// Does the work against the open transaction at `now` (our clock);
    /// `false` (the work failed) rolls its savepoint back.
    fn run(&mut self, conn: &Connection, now: Timestamp) -> bool;
    /// Answers the caller: the work's result if the batch committed, else
    /// the commit's error.
    fn answer(self: Box<Self>, committed: Result<(), StoreError>);
}

/// A [`WriteJob`] made of a closure and the channel its answer goes to.
pub(super) struct Job<T, F> {
    work: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: Reply<T>,
}

impl<T, F> Job<T, F> {
    pub(super) fn new(work: F, reply: Reply<T>) -> Self {
        Self {
            work: Some(work),
            result: None,
            reply,
        }
    }
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send,
    F: FnOnce(&Connection, Timestamp) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &Connection, now: Timestamp) -> bool {
        let result = match self.work.take() {
            Some(work) => work(conn, now),
            None => Err(StoreError::Corrupt("a write job ran twice".to_owned())),
        };
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn answer(self: Box<Self>, committed: Result<(), StoreError>) {
        let Job { result, reply, .. } = *self;
        let answer = committed.and_then(|()| {
            result.unwrap_or_else(|| Err(StoreError::Corrupt("a write job never ran".to_owned())))
        });
        // The caller may have gone; the answer is then simply dropped.
        let _ = reply.send(answer);
    }
}

/// What a [`super::Store`] handle asks of the thread.
pub(super) enum Command {
    /// Store verified records with this origin; one outcome per record.
    Ingest {
        records: Vec<VerifiedRecord>,
        origin: Origin,
        reply: Reply<Vec<IngestOutcome>>,
    },
    /// Run a write job; `durable` commits its batch at `synchronous=FULL`.
    Write {
        job: Box<dyn WriteJob>,
        durable: bool,
    },
    /// Run a read.
    Read(ReadJob),
    /// Finish the queued work, checkpoint and stop.
    Close(Reply<()>),
}

impl Command {
    fn records(&self) -> usize {
        match self {
            Command::Ingest { records, .. } => records.len(),
            Command::Write { .. } => 1,
            Command::Read(_) | Command::Close(_) => 0,
        }
    }
}

/// One write command of a batch.
enum Write {
    /// Ingest records.
    Records {
        records: Vec<VerifiedRecord>,
        origin: Origin,
        reply: Reply<Vec<IngestOutcome>>,
    },
    /// Run a job.
    Job {
        job: Box<dyn WriteJob>,
        durable: bool,
    },
}

impl Write {
    /// Whether the batch holding this write must commit at `synchronous=FULL`.
    fn durable(&self) -> bool {
        match self {
            Write::Records { origin, .. } => *origin == Origin::Local,
            Write::Job { durable, .. } => *durable,
        }
    }

    fn records(&self) -> usize {
        match self {
            Write::Records { records, .. } => records.len(),
            Write::Job { .. } => 0,
        }
    }

    /// Answers the caller: `outcome` for records (ignored by a job, which
    /// kept its own result), or the batch's error.
    fn answer(
        self,
        committed: Result<(), StoreError>,
        outcome: Option<Result<Vec<IngestOutcome>, StoreError>>,
    ) {
        match self {
            Write::Records { reply, .. } => {
                let answer = committed.and_then(|()| {
                    outcome.unwrap_or_else(|| {
                        Err(StoreError::Corrupt("no outcome for an ingest".to_owned()))
                    })
                });
                let _ = reply.send(answer);
            }
            Write::Job { job, .. } => job.answer(committed),
        }
    }
}

/// The thread's body: open, serve until closed or abandoned, shut down.
pub(super) fn run(
    open: impl FnOnce() -> rusqlite::Result<Connection>,
    generation: Arc<AtomicU64>,
    mut commands: mpsc::Receiver<Command>,
    ready: Reply<()>,
    stopped: watch::Sender<bool>,
) {
    let opened = open().map_err(StoreError::from).and_then(|mut conn| {
        schema::prepare(&mut conn)?;
        Ok(conn)
    });
    let mut conn = match opened {
        Ok(conn) => conn,
        Err(error) => {
            let _ = ready.send(Err(error));
            stopped.send_replace(true);
            return;
        }
    };
    // If the opener has gone, its handle went with it and the loop below
    // ends at once.
    let _ = ready.send(Ok(()));
    let mut closers = Vec::new();
    while let Some(first) = commands.blocking_recv() {
        let mut writes = Vec::new();
        let mut reads = Vec::new();
        for command in drain(first, &mut commands) {
            match command {
                Command::Ingest {
                    records,
                    origin,
                    reply,
                } => writes.push(Write::Records {
                    records,
                    origin,
                    reply,
                }),
                Command::Write { job, durable } => writes.push(Write::Job { job, durable }),
                Command::Read(job) => reads.push(job),
                Command::Close(reply) => {
                    // Refuse new commands; those already queued still run.
                    commands.close();
                    closers.push(reply);
                }
            }
        }
        if !writes.is_empty() {
            apply(&mut conn, writes, &generation);
        }
        for job in reads {
            job(&conn);
        }
    }
    let result = shut_down(conn);
    if let Err(error) = &result {
        tracing::warn!(%error, "store did not shut down cleanly");
    }
    for closer in closers {
        let _ = closer.send(result.clone());
    }
    stopped.send_replace(true);
}

/// `first` and whatever else is already queued, within the batch limits.
fn drain(first: Command, commands: &mut mpsc::Receiver<Command>) -> Vec<Command> {
    let mut records = first.records();
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH_COMMANDS && records < MAX_BATCH_RECORDS {
        match commands.try_recv() {
            Ok(command) => {
                records += command.records();
                batch.push(command);
            }
            Err(_) => break,
        }
    }
    batch
}

/// Applies a batch of writes in one transaction and answers each. If it
/// committed a change of the current records, `generation` moves before
/// anyone is answered, so no caller sees its write with the old number.
fn apply(conn: &mut Connection, mut writes: Vec<Write>, generation: &AtomicU64) {
    let started = Instant::now();
    let durable = writes.iter().any(Write::durable);
    let mut outcomes = Vec::with_capacity(writes.len());
    let committed = commit_batch(conn, &mut writes, durable, &mut outcomes);
    tracing::debug!(
        commands = writes.len(),
        records = writes.iter().map(Write::records).sum::<usize>(),
        durable,
        elapsed_us = started.elapsed().as_micros() as u64,
        "store batch"
    );
    if let Err(error) = &committed {
        tracing::warn!(%error, "store batch failed; nothing of it was written");
    }
    let changed = committed.is_ok()
        && outcomes
            .iter()
            .flatten()
            .flatten()
            .flatten()
            .any(|outcome| outcome.is_current());
    if changed {
        generation.fetch_add(1, Ordering::Release);
    }
    let mut outcomes = outcomes.into_iter();
    for write in writes {
        write.answer(committed.clone(), outcomes.next().flatten());
    }
}

/// Runs the batch in one transaction, each command in its own savepoint so
/// that a command that fails is rolled back alone (an ingest's error goes
/// in `outcomes`, `None` for a job, which keeps its own result). An error
/// returned means the transaction did not commit.
///
/// When `durable`, the commit runs at `synchronous=FULL`: in WAL mode the
/// log is fsynced before the commit returns. The pragma cannot change inside
/// a transaction, so it is toggled around it.
fn commit_batch(
    conn: &mut Connection,
    writes: &mut [Write],
    durable: bool,
    outcomes: &mut Vec<Option<Result<Vec<IngestOutcome>, StoreError>>>,
) -> Result<(), StoreError> {
    let now = now();
    if durable {
        conn.pragma_update(None, "synchronous", "FULL")?;
    }
    let result = (|| {
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for write in writes.iter_mut() {
            let mut savepoint = tx.savepoint()?;
            let (ok, outcome) = match write {
                Write::Records {
                    records, origin, ..
                } => {
                    let outcome: Result<Vec<_>, _> = records
                        .iter()
                        .map(|record| db::ingest(&savepoint, record, *origin, now))
                        .collect();
                    (outcome.is_ok(), Some(outcome))
                }
                Write::Job { job, .. } => (job.run(&savepoint, now), None),
            };
            if !ok {
                savepoint.rollback()?;
            }
            savepoint.commit()?;
            outcomes.push(outcome);
        }
        tx.commit()?;
        Ok(())
    })();
    if durable && let Err(error) = conn.pragma_update(None, "synchronous", "NORMAL") {
        tracing::warn!(%error, "could not return the store to synchronous=NORMAL");
    }
    result
}

/// Checkpoints the whole WAL into the main file, truncates it, and closes.
fn shut_down(conn: Connection) -> Result<(), StoreError> {
    let (busy, log, done): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
    if busy != 0 {
        tracing::warn!(log, done, "the final WAL checkpoint was blocked");
    }
    conn.close().map_err(|(_, error)| StoreError::from(error))
}

/// Our clock, in Unix milliseconds.
fn now() -> Timestamp {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
}
