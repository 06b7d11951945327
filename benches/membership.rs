//! Ingest with membership checks vs without (issue 4): the same verified
//! records taken in by `Intake::take` (admission → SQLite) through a closed
//! gate whose roster holds every author, and through an open gate, in
//! alternating rounds of the same run, each into a fresh store.
//!
//! `cargo bench --bench membership` (release). In test mode (`cargo test
//! --benches`, or without `--bench`) it runs one tiny round.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: panics are failures

use std::time::Instant;

use coopnet_node::gate::Gate;
use coopnet_node::intake::Intake;
use coopnet_node::store::Store;
use coopnet_protocol::federation::Genesis;
use coopnet_protocol::kinds::{Membership, MembershipFields, Role};
use coopnet_protocol::{Body, Draft, SecretKey, Timestamp, VerifiedRecord, samples, verify_bytes};

/// 20,000 records: 400 co-ops × 50 contracts, in batches of 1,000.
fn sizes() -> (usize, usize, usize) {
    let real = std::env::args().any(|a| a == "--bench");
    if real { (400, 50, 7) } else { (4, 5, 1) }
}

fn author(n: usize) -> SecretKey {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(n as u64 + 1).to_be_bytes());
    SecretKey::from_seed(&seed)
}

fn records(authors: usize, per_author: usize, now: Timestamp) -> Vec<VerifiedRecord> {
    (0..authors)
        .flat_map(|a| {
            let secret = author(a);
            (0..per_author).map(move |k| {
                let body = Body::Contract(samples::contract(k));
                let bytes = Draft::new(body, format!("c-{k}"), 1, now)
                    .sign(&secret)
                    .unwrap()
                    .into_bytes();
                verify_bytes(bytes, now).unwrap()
            })
        })
        .collect()
}

/// A closed gate whose roster admits every one of `authors`.
fn gate_admitting(authors: usize, now: Timestamp) -> Gate {
    let founder = samples::secret(250);
    let genesis = Genesis {
        name: "Bench".into(),
        coordinators: vec![founder.public()],
        bootstrap: vec![],
        created_at: now,
        network_key: None,
    };
    let gate = Gate::closed(&genesis, now);
    let memberships: Vec<VerifiedRecord> = (0..authors)
        .map(|a| {
            let member = author(a).public();
            let fields = MembershipFields {
                federation: genesis.id(),
                member,
                name: format!("Co-op {a}"),
                role: Role::Member,
            };
            let body = Body::Membership(Membership::parse(fields).unwrap());
            let bytes = Draft::new(body, member.to_string(), 1, now)
                .sign(&founder)
                .unwrap()
                .into_bytes();
            verify_bytes(bytes, now).unwrap()
        })
        .collect();
    let applied: Vec<_> = memberships.iter().map(|r| (r, r.body())).collect();
    gate.apply(&applied, now);
    gate
}

/// Records per second taken in through `gate` into a fresh store.
async fn rate(gate: Gate, batch: &[VerifiedRecord]) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("bench.db")).await.unwrap();
    let (arrivals, _) = tokio::sync::broadcast::channel(16);
    let intake = Intake {
        store: store.clone(),
        gate,
        arrivals,
        monitor: std::sync::Arc::new(coopnet_node::monitor::Monitor::new()),
    };
    let start = Instant::now();
    for chunk in batch.chunks(1_000) {
        let taken = intake.take(chunk.to_vec()).await.unwrap();
        assert!(taken.skipped.is_empty(), "every author is a member");
    }
    let elapsed = start.elapsed().as_secs_f64();
    store.close().await.unwrap();
    batch.len() as f64 / elapsed
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let (authors, per_author, rounds) = sizes();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let now = coopnet_node::clock::now();
    let batch = records(authors, per_author, now);
    let closed_gate = gate_admitting(authors, now);
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate which goes first, so warm caches favour neither.
        let order = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for checked in order {
            let gate = if checked {
                closed_gate.clone()
            } else {
                Gate::open()
            };
            let r = runtime.block_on(rate(gate, &batch));
            if checked {
                with.push(r)
            } else {
                without.push(r)
            }
        }
    }
    let (w, wo) = (median(with.clone()), median(without.clone()));
    let summary = format!(
        "coopnet ingest with membership checks ({} records, {authors} member co-ops, {rounds} rounds)\n\
         with checks:    {w:.0} records/s (median)\n\
         without checks: {wo:.0} records/s (median)\n\
         ratio: {:.3} (target >= 0.9)\n\
         per round with: {with:.0?}\n\
         per round without: {without:.0?}\n",
        batch.len(),
        w / wo,
    );
    print!("{summary}");
    if rounds > 1 {
        let dir = std::env::var_os("CARGO_TARGET_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
            .join("criterion");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("coopnet-membership.txt"), summary).unwrap();
    }
}
