//! Ingest throughput (issue 3): records per second verified AND stored by
//! the node's own path, against a bare rusqlite insert of the same rows
//! into the same schema, in the same run (target ratio ≥ 0.7). Two bare
//! baselines are reported: the rows the node writes for every record
//! (`records`, `seen` and the full-text row), and the stricter `records` +
//! `seen` alone.
//!
//! Every path gets a fresh store file (on the same disk, under a temp dir)
//! and the same 100,000 records (2,000 co-ops × 50: profile, skills,
//! capacity, node status, contracts, bid notices) in batches of 1,000:
//!
//! - **node**: the node's own pipeline, `ingest::spawn`, fed the batches
//!   as sync pages from one peer: each batch is verified (`verify_bytes`
//!   on each record, split over the machine's cores) while the batch before
//!   it is taken in by `Intake::take` with an open gate (no federation:
//!   admission is a no-op), i.e. one `Store::ingest`: one transaction on the
//!   store's thread (seen check, slot lookup, insert, full-text row,
//!   partner-search rows, seen row);
//! - **bare**: `schema::prepare` (same WAL / `synchronous=NORMAL` pragmas and
//!   migrations), then one transaction per batch of a prepared INSERT into
//!   `records` and one into `seen`, from column values extracted beforehand;
//! - **store only**: records verified beforehand through `Store::ingest`;
//! - **bare + search**: bare plus the full-text row the store also writes:
//!   the same rows as the node but for the partner-search rows of the 6% of
//!   records that are profiles, skills and capacity;
//! - **verify only**: `verify_batch` alone, on one thread.
//!
//! Three rounds, paths in the same order each round; medians reported.
//! Run: `cargo bench --bench ingest`. Under `cargo test --benches` it runs
//! once over 1,000 records and writes no summary file.

mod common;

use std::path::Path;
use std::time::Instant;

use common::{
    Mode, Summary, cleanup_on_signal, corpus, list, median, runtime, temp_root, verify_all,
};
use coopnet_node::clock;
use coopnet_node::gate::Gate;
use coopnet_node::ingest::{self, IngestJob, Source, verify_batch};
use coopnet_node::intake::Intake;
use coopnet_node::store::text::searchable_text;
use coopnet_node::store::{Store, db, schema};
use coopnet_protocol::{Timestamp, VerifiedRecord};
use rusqlite::{Connection, params};

/// Records per batch, as the node's callers send them.
const BATCH: usize = 1_000;

/// One row of `records`, extracted before the bare insert is timed.
struct Row {
    id: [u8; 32],
    author: [u8; 32],
    kind: u16,
    key: String,
    version: i64,
    issued_at: i64,
    expires_at: Option<i64>,
    tombstone: bool,
    bytes: Vec<u8>,
    text: Option<String>,
}

fn row(v: &VerifiedRecord) -> Row {
    let record = v.record();
    let header = record.header();
    Row {
        id: record.id().0,
        author: *header.author.as_bytes(),
        kind: header.kind.0,
        key: header.key.clone(),
        version: db::to_column(header.version),
        issued_at: db::to_column(header.issued_at.0),
        expires_at: header.expires_at.map(|t| db::to_column(t.0)),
        tombstone: record.is_tombstone(),
        bytes: record.bytes().to_vec(),
        text: v.body().and_then(searchable_text),
    }
}

/// The paths, in the order each round runs them.
const PATHS: [&str; 5] = [
    "node pipeline (ingest::spawn, open gate)",
    "bare rusqlite insert (records + seen)",
    "store only (Store::ingest of verified records)",
    "bare + search row",
    "verify only (1 thread)",
];

fn main() {
    let mode = Mode::detect();
    let (authors, per_author, rounds) = mode.pick((2_000, 50, 3), (20, 50, 1));
    let now = clock::now();
    let records = corpus(authors, per_author, now);
    let verified = verify_all(&records, now);
    let rows: Vec<Row> = verified.iter().map(row).collect();
    let n = records.len();
    let raw: u64 = records.iter().map(|r| r.len() as u64).sum();
    eprintln!("{n} records ready");

    let rt = runtime();
    cleanup_on_signal(&rt);
    let root = temp_root();
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); PATHS.len()];
    for round in 0..rounds {
        for (p, rate) in rates.iter_mut().enumerate() {
            let path = root.path().join(format!("r{round}-p{p}.db"));
            let secs = match p {
                0 => rt.block_on(node_path(&path, &records)),
                1 => bare(&path, &rows, false),
                2 => rt.block_on(store_only(&path, &verified)),
                3 => bare(&path, &rows, true),
                _ => verify_only(&records, now),
            };
            if p != 4 {
                check_rows(&path, n);
            }
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            let r = n as f64 / secs;
            eprintln!("round {round}: {:<48} {r:>10.0} records/s", PATHS[p]);
            rate.push(r);
        }
    }

    let med: Vec<f64> = rates.iter().map(|r| median(r)).collect();
    let mut summary = Summary::new("ingest", mode);
    summary.line(format!(
        "{n} records ({authors} co-ops x {per_author}, mean {:.0} B), batches of {BATCH}, \
         a fresh store file per path, {rounds} round(s); medians of records/s:",
        raw as f64 / n as f64
    ));
    for (p, name) in PATHS.iter().enumerate() {
        summary.line(format!(
            "  {name:<48} {:>9.0} rec/s  {:>6.1} us/rec  rounds {}",
            med[p],
            1e6 / med[p],
            list(&rates[p], 0)
        ));
    }
    let ratio = med[0] / med[1];
    let store_ratio = med[2] / med[1];
    // Per-round ratios: paths of one round ran back to back, so a burst of
    // outside load skews a round's ratio less than it skews one path.
    let per_round = |a: usize, b: usize| -> Vec<f64> {
        rates[a].iter().zip(&rates[b]).map(|(x, y)| x / y).collect()
    };
    let (node_rounds, store_rounds) = (per_round(0, 1), per_round(2, 1));
    let verify_us = 1e6 / med[4];
    let store_us = 1e6 / med[2];
    let verdict = |r: f64| if r >= 0.7 { "MET" } else { "MISSED" };
    let same_rows = med[0] / med[3];
    let same_rounds = per_round(0, 3);
    summary.line(format!(
        "node / bare insert of the same rows (records, seen and the full-text row; the \
         partner-search rows of profiles, skills and capacity left out of the bare path) = \
         {same_rows:.3} (per round {}, median {:.3})  target >= 0.7: {}",
        list(&same_rounds, 3),
        median(&same_rounds),
        verdict(same_rows)
    ));
    summary.line(format!(
        "node / bare insert of records + seen only = {ratio:.3} (ratio of medians; per round \
         {}, median {:.3})  the stricter reading: {}",
        list(&node_rounds, 3),
        median(&node_rounds),
        verdict(ratio)
    ));
    summary.line(format!(
        "store step alone / bare records + seen = {store_ratio:.3} (per round {}, median {:.3})",
        list(&store_rounds, 3),
        median(&store_rounds),
    ));
    summary.line(format!(
        "per record: verify {verify_us:.1} us (one core) + store {store_us:.1} us = {:.1} us \
         if run one after the other, {:.1} us measured through the pipeline; bare insert {:.1} us, bare + search {:.1} us",
        verify_us + store_us,
        1e6 / med[0],
        1e6 / med[1],
        1e6 / med[3]
    ));
    summary.line(format!(
        "the node pipeline verifies on {} thread(s) while it stores; verification alone on one \
         core would take {:.0}% of its time",
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        100.0 * verify_us / (1e6 / med[0]),
    ));
    summary.finish();
}

/// The rows a store holds, checked after each path.
fn check_rows(path: &Path, n: usize) {
    let conn = Connection::open(path).expect("reopen");
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
        .expect("count");
    let seen: i64 = conn
        .query_row("SELECT count(*) FROM seen", [], |r| r.get(0))
        .expect("count");
    assert_eq!((rows as usize, seen as usize), (n, n), "rows in {path:?}");
}

/// The node's own pipeline (`ingest::spawn`): batches sent as sync pages
/// from one peer, verified on the verifier threads while earlier batches
/// are stored; timed until the pipeline has stored and reported them all.
async fn node_path(path: &Path, records: &[Vec<u8>]) -> f64 {
    let store = Store::open(path).await.expect("open");
    let intake = Intake {
        store: store.clone(),
        gate: Gate::open(),
        arrivals: tokio::sync::broadcast::channel(16).0,
        monitor: std::sync::Arc::new(coopnet_node::monitor::Monitor::new()),
    };
    let (feedback_tx, mut feedback) = tokio::sync::mpsc::channel(64);
    let drain = tokio::spawn(async move { while feedback.recv().await.is_some() {} });
    let key = coopnet_protocol::samples::secret(1).public();
    let peer = coopnet_node::identity::peer_id_of(&key).expect("an ed25519 peer id");
    let batches: Vec<Vec<Vec<u8>>> = records.chunks(BATCH).map(<[_]>::to_vec).collect();
    let start = Instant::now();
    let (jobs, pipeline) =
        ingest::spawn(intake, coopnet_node::net::limits::PER_AUTHOR, feedback_tx);
    for batch in batches {
        let job = IngestJob {
            records: batch,
            from: Source::Sync { peer },
            slot: None,
        };
        assert!(jobs.push(job), "pipeline running");
    }
    drop(jobs);
    pipeline.await.expect("pipeline");
    let secs = start.elapsed().as_secs_f64();
    drain.await.expect("drain");
    store.close().await.expect("close");
    secs
}

/// Already-verified records through the store.
async fn store_only(path: &Path, verified: &[VerifiedRecord]) -> f64 {
    let store = Store::open(path).await.expect("open");
    let batches: Vec<Vec<VerifiedRecord>> = verified.chunks(BATCH).map(<[_]>::to_vec).collect();
    let start = Instant::now();
    for batch in batches {
        store.ingest(batch).await.expect("ingest");
    }
    let secs = start.elapsed().as_secs_f64();
    store.close().await.expect("close");
    secs
}

/// Plain prepared inserts of pre-extracted rows, one transaction a batch.
fn bare(path: &Path, rows: &[Row], search: bool) -> f64 {
    let mut conn = Connection::open(path).expect("open");
    schema::prepare(&mut conn).expect("schema");
    let received_at = db::to_column(clock::now().0);
    let start = Instant::now();
    for batch in rows.chunks(BATCH) {
        let tx = conn.transaction().expect("begin");
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO records (id, version, issued_at, expires_at, tombstone, \
                     received_at, origin, bytes, author, kind, key) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8, ?9, ?10)",
                )
                .expect("prepare");
            let mut seen = tx
                .prepare_cached("INSERT INTO seen (id) VALUES (?1)")
                .expect("prepare");
            let mut text = tx
                .prepare_cached(
                    "INSERT INTO search (rowid, id, author, kind, text) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .expect("prepare");
            for r in batch {
                insert
                    .execute(params![
                        &r.id[..],
                        r.version,
                        r.issued_at,
                        r.expires_at,
                        r.tombstone,
                        received_at,
                        r.bytes,
                        &r.author[..],
                        r.kind,
                        r.key,
                    ])
                    .expect("insert");
                if search && let Some(t) = &r.text {
                    let slot = tx.last_insert_rowid();
                    text.execute(params![slot, &r.id[..], &r.author[..], r.kind, t])
                        .expect("insert search");
                }
                seen.execute([&r.id[..]]).expect("insert seen");
            }
        }
        tx.commit().expect("commit");
    }
    start.elapsed().as_secs_f64()
}

/// Verification alone, batch by batch on this thread.
fn verify_only(records: &[Vec<u8>], now: Timestamp) -> f64 {
    let batches: Vec<Vec<Vec<u8>>> = records.chunks(BATCH).map(<[_]>::to_vec).collect();
    let start = Instant::now();
    for batch in batches {
        let checked = verify_batch(batch, now);
        assert!(checked.iter().all(Result::is_ok));
        std::hint::black_box(checked);
    }
    start.elapsed().as_secs_f64()
}
