//! Cold sync over a relayed connection against a direct one (issue 20),
//! on the namespace internet of `coopnet_tests::natlab`, every node a
//! `coopnet run` process.
//!
//! A holder with 100,000 records (2,000 co-ops × 50: profile, skills,
//! capacity, node status, contracts; a copy of one template store) and an
//! empty joiner behind NAT B. In each run, in turn:
//! - **relayed**: the holder is behind NAT A (symmetric NATs: no hole
//!   punch), both reach each other only through a relay on the public host
//!   (`coopnet_tests::plain_relay`: coopnet's relay limits, but no store,
//!   so the records cannot take another path); the joiner dials the holder
//!   through the relay;
//! - **direct**: the holder is on the second public host; the joiner dials
//!   it directly (out through its NAT).
//!
//! Timed from the joiner's dial to its store holding every record of the
//! holder's; bytes are what crossed the joiner's link (IP headers and all)
//! and the sync protocol's own figures. The relayed time includes the
//! wait for a hole punch (at most `PUNCH_WAIT`, 5 s) before the sync
//! starts; the time from the first record in is shown too.
//!
//! Needs root, iproute2 and nftables; says SKIPPED otherwise.
//! Run: `cargo bench --bench nat_sync`.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Mode, Summary, corpus, fill_store, list, median, runtime, verify_all};
use coopnet_node::clock;
use coopnet_node::config::STORE_FILE;
use coopnet_node::control::{Request, call};
use coopnet_tests::natlab::{
    Host, NatLab, PUBLIC, PUBLIC2, Run, init_node, links, net_counter, records_held,
};
use coopnet_tests::plain_relay::PlainRelay;
use coopnet_tests::{DEADLINE, wait_for};

/// The longest a cold sync may take before the run counts as failed.
const SYNC_DEADLINE: Duration = Duration::from_secs(600);

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_coopnet"))
}

fn run(bootstrap: Option<&str>, external: Option<std::net::Ipv4Addr>) -> Run<'_> {
    Run {
        bootstrap,
        external,
        sync_interval_secs: 30,
    }
}

/// What one cold sync measured.
struct Measured {
    secs: f64,
    /// From the first record in to the last.
    transfer_secs: f64,
    /// Records the joiner took of those the holder had.
    took: u64,
    wanted: u64,
    /// Bytes across the joiner's link, down and up.
    wire_down: u64,
    wire_up: u64,
    /// The sync protocol's bytes the joiner received (reconciliation
    /// replies, fetched and pushed pages).
    sync_down: u64,
    /// How the joiner and the holder were connected.
    how: String,
}

async fn cold_sync(relayed: bool, template: &Path, root: &Path) -> Measured {
    let lab = NatLab::new(true);
    let dirs: Vec<PathBuf> = ["holder", "joiner"].iter().map(|n| root.join(n)).collect();
    for dir in &dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
    let holder = init_node(bin(), &dirs[0], "Holder Co-op");
    init_node(bin(), &dirs[1], "Joiner Co-op");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dirs[0].join(format!("{STORE_FILE}{suffix}")));
    }
    std::fs::copy(template, dirs[0].join(STORE_FILE)).expect("copy the template store");

    let (_relay, _holder, target) = if relayed {
        let relay = PlainRelay::start(
            &lab.ns(Host::Public),
            4001,
            format!("/ip4/{PUBLIC}/tcp/4001").parse().expect("address"),
        );
        let boot = format!("/ip4/{PUBLIC}/tcp/4001/p2p/{}", relay.peer_id);
        let proc = lab.run(Host::A, bin(), &dirs[0], run(Some(&boot), None));
        wait_for("the holder's relay reservation", DEADLINE, || async {
            net_counter(&dirs[0], "relay_reservations").await >= 1
        })
        .await;
        (
            Some(relay),
            proc,
            format!("{boot}/p2p-circuit/p2p/{holder}"),
        )
    } else {
        let proc = lab.run(Host::Public2, bin(), &dirs[0], run(None, Some(PUBLIC2)));
        (None, proc, format!("/ip4/{PUBLIC2}/tcp/4001/p2p/{holder}"))
    };
    let _joiner = lab.run(Host::B, bin(), &dirs[1], run(None, None));
    wait_for("both nodes", DEADLINE, || async {
        records_held(&dirs[0]).await > 0 && records_held(&dirs[1]).await > 0
    })
    .await;
    let wanted = records_held(&dirs[0]).await;
    let own = records_held(&dirs[1]).await;
    let before = lab.wire_bytes(Host::B);
    let t0 = Instant::now();
    call(&dirs[1], &Request::Connect { addr: target })
        .await
        .expect("connect");
    let mut first = None;
    let mut held = own;
    while held < wanted + own && t0.elapsed() < SYNC_DEADLINE {
        tokio::time::sleep(Duration::from_millis(50)).await;
        held = records_held(&dirs[1]).await;
        if first.is_none() && held > own {
            first = Some(t0.elapsed());
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let after = lab.wire_bytes(Host::B);
    let how = links(&dirs[1], &holder.to_string()).await.join(" + ");
    let mut sync_down = 0;
    for counter in [
        "reconcile_bytes_received",
        "fetch_bytes_received",
        "push_bytes_received",
    ] {
        sync_down += net_counter(&dirs[1], counter).await;
    }
    Measured {
        secs,
        transfer_secs: secs - first.map_or(secs, |f| f.as_secs_f64()),
        took: held.saturating_sub(own),
        wanted,
        wire_down: after.0 - before.0,
        wire_up: after.1 - before.1,
        sync_down,
        how,
    }
}

fn main() {
    let mode = Mode::detect();
    let mut summary = Summary::new("nat_sync", mode);
    if let Some(why) = coopnet_tests::netns::unavailable() {
        summary.line(format!("SKIPPED: {why}"));
        summary.finish();
        return;
    }
    let ((authors, per_author), runs) = mode.pick(((2_000, 50), 3), ((10, 20), 1));
    let now = clock::now();
    let signed = corpus(authors, per_author, now);
    let raw: u64 = signed.iter().map(|r| r.len() as u64).sum();
    let verified = verify_all(&signed, now);
    let rt = runtime();
    let root = tempfile::tempdir().expect("a temporary directory");
    let template = root.path().join("template.db");
    rt.block_on(fill_store(&template, &verified));
    summary.line(format!(
        "cold sync of {} records ({:.1} MB signed) to an empty joiner behind NAT, relayed (holder behind \
         another NAT, through a relay) and direct (holder on a public address), {runs} runs each, same lab",
        signed.len(),
        raw as f64 / 1e6
    ));
    let mut figures: Vec<(bool, Vec<Measured>)> = vec![(true, Vec::new()), (false, Vec::new())];
    for r in 0..runs {
        for (relayed, runs) in &mut figures {
            let m = rt.block_on(cold_sync(*relayed, &template, root.path()));
            summary.line(format!(
                "  {} run {r}: {}/{} records in {:.1} s (first record to last {:.1} s); joiner's link \
                 {:.1} MB down {:.1} MB up; sync bytes received {:.1} MB; over {}",
                if *relayed { "relayed" } else { "direct " },
                m.took,
                m.wanted,
                m.secs,
                m.transfer_secs,
                m.wire_down as f64 / 1e6,
                m.wire_up as f64 / 1e6,
                m.sync_down as f64 / 1e6,
                m.how
            ));
            runs.push(m);
        }
    }
    // Only runs that delivered every record are timed: one that did not
    // is a failure, counted, never a time.
    let done = |runs: &[Measured], f: fn(&Measured) -> f64| -> Vec<f64> {
        runs.iter().filter(|m| m.took >= m.wanted).map(f).collect()
    };
    let med = |runs: &[Measured], f: fn(&Measured) -> f64| median(&done(runs, f));
    let [(_, relayed), (_, direct)] = &figures[..] else {
        unreachable!("two kinds of run")
    };
    let mut failed = 0;
    for (name, runs) in [("relayed", relayed), ("direct", direct)] {
        let secs = done(runs, |m| m.secs);
        let (took, wanted): (u64, u64) = runs
            .iter()
            .fold((0, 0), |(t, w), m| (t + m.took.min(m.wanted), w + m.wanted));
        failed += runs.len() - secs.len();
        summary.line(format!(
            "{name}: delivered {took}/{wanted} records over {} runs ({} runs incomplete, not timed); \
             time of complete runs {} s (median {:.1}); link bytes down per signed byte {:.2}",
            runs.len(),
            runs.len() - secs.len(),
            list(&secs, 1),
            median(&secs),
            med(runs, |m| m.wire_down as f64) / raw as f64,
        ));
    }
    summary.line(format!(
        "relayed / direct (baseline, same lab and runs): time {:.2}, transfer (first record to last) \
         {:.2}, link bytes down {:.2}{}",
        med(relayed, |m| m.secs) / med(direct, |m| m.secs).max(0.001),
        med(relayed, |m| m.transfer_secs) / med(direct, |m| m.transfer_secs).max(0.001),
        med(relayed, |m| m.wire_down as f64) / med(direct, |m| m.wire_down as f64).max(1.0),
        if failed == 0 {
            String::new()
        } else {
            format!(" — FAILED: {failed} runs did not deliver every record")
        }
    ));
    summary.finish();
}
