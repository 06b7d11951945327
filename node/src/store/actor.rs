//! The store's thread: it owns the connection, drains the command queue in
//! batches, applies each batch's writes in one transaction, then runs the
//! batch's reads.

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

/// What a [`super::Store`] handle asks of the thread.
pub(super) enum Command {
    /// Store verified records with this origin; one outcome per record.
    Ingest {
        records: Vec<VerifiedRecord>,
        origin: Origin,
        reply: Reply<Vec<IngestOutcome>>,
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
            Command::Read(_) | Command::Close(_) => 0,
        }
    }
}

/// One ingest command of a batch.
struct Write {
    records: Vec<VerifiedRecord>,
    origin: Origin,
    reply: Reply<Vec<IngestOutcome>>,
}

/// The thread's body: open, serve until closed or abandoned, shut down.
pub(super) fn run(
    open: impl FnOnce() -> rusqlite::Result<Connection>,
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
                } => writes.push(Write {
                    records,
                    origin,
                    reply,
                }),
                Command::Read(job) => reads.push(job),
                Command::Close(reply) => {
                    // Refuse new commands; those already queued still run.
                    commands.close();
                    closers.push(reply);
                }
            }
        }
        if !writes.is_empty() {
            apply(&mut conn, writes);
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

/// Applies a batch of writes in one transaction and answers each.
fn apply(conn: &mut Connection, writes: Vec<Write>) {
    let started = Instant::now();
    let durable = writes.iter().any(|w| w.origin == Origin::Local);
    let mut outcomes = Vec::with_capacity(writes.len());
    let committed = commit_batch(conn, &writes, durable, &mut outcomes);
    tracing::debug!(
        commands = writes.len(),
        records = writes.iter().map(|w| w.records.len()).sum::<usize>(),
        durable,
        elapsed_us = started.elapsed().as_micros() as u64,
        "store batch"
    );
    match committed {
        Ok(()) => {
            for (write, outcome) in writes.into_iter().zip(outcomes) {
                let _ = write.reply.send(outcome);
            }
        }
        Err(error) => {
            tracing::warn!(%error, "store batch failed; nothing of it was written");
            for write in writes {
                let _ = write.reply.send(Err(error.clone()));
            }
        }
    }
}

/// Runs the batch in one transaction, each command in its own savepoint so
/// that a command that fails is rolled back alone (its error goes in
/// `outcomes`). An error returned means the transaction did not commit.
///
/// When `durable`, the commit runs at `synchronous=FULL`: in WAL mode the
/// log is fsynced before the commit returns. The pragma cannot change inside
/// a transaction, so it is toggled around it.
fn commit_batch(
    conn: &mut Connection,
    writes: &[Write],
    durable: bool,
    outcomes: &mut Vec<Result<Vec<IngestOutcome>, StoreError>>,
) -> Result<(), StoreError> {
    let now = now();
    if durable {
        conn.pragma_update(None, "synchronous", "FULL")?;
    }
    let result = (|| {
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for write in writes {
            let mut savepoint = tx.savepoint()?;
            let outcome: Result<Vec<_>, _> = write
                .records
                .iter()
                .map(|record| db::ingest(&savepoint, record, write.origin, now))
                .collect();
            if outcome.is_err() {
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
