//! Record throughput over a realistic mix: 64 sample co-ops × the 8 record
//! kinds of `samples::bodies`, each signed by its co-op.
//!
//! Criterion groups (records/s via `Throughput::Elements`):
//! - `sign`: `Draft::sign` (body encode, envelope, ed25519 sign, re-decode);
//! - `sign_bare`: ed25519-dalek `SigningKey::sign` alone on the same signing
//!   inputs, so `sign - sign_bare` is the envelope's share of signing;
//! - `encode_body`: `Body::encode` (the envelope framing is crate-private);
//! - `decode`: `SignedRecord::decode` from bytes (structure, author key, id hash);
//! - `verify_envelope`: the full `verify_bytes(bytes, NOW)`;
//! - `verify_strict_bare`: `VerifyingKey::verify_strict` on the same payloads,
//!   message, key and signature prepared beforehand: the bare crypto cost.
//!
//! Then the binary times both verify paths itself in alternating rounds and
//! prints the envelope/bare ratio (target ≥ 0.8), also written to
//! `$CARGO_TARGET_DIR/criterion/coopnet-summary.txt` (default `target/`).
//!
//! Run: `cargo bench -p coopnet-protocol --bench records`. Under
//! `cargo test --benches` or `-- --test` every benchmark runs once and the
//! ratio check shrinks to a smoke test that writes nothing.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use coopnet_protocol::{Body, Draft, SignedRecord, samples, signing_input, verify_bytes};
use criterion::{Criterion, Throughput};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

/// Co-ops in the mix: 64 for a real run, 2 in criterion's test mode.
const COOPS: usize = 64;
const TEST_COOPS: usize = 2;

/// One record of the mix, with everything each benchmark needs prepared.
struct Case {
    draft: Draft,
    body: Body,
    secret: coopnet_protocol::SecretKey,
    bytes: Vec<u8>,
    /// `signing_input(payload)`: what the author signed.
    message: Vec<u8>,
    signing_key: SigningKey,
    key: VerifyingKey,
    signature: Signature,
}

fn cases(coops: usize) -> Vec<Case> {
    let mut cases = Vec::with_capacity(coops * 8);
    for n in 0..coops {
        // `samples::bodies(n)` is co-op n's, and co-op n's key is secret(n + 1).
        let seed = [n as u8 + 1; 32];
        for (body, key) in samples::bodies(n) {
            let secret = samples::secret(n as u8 + 1);
            let draft = Draft::new(body.clone(), key, 1, samples::NOW);
            let record = draft.sign(&secret).expect("sample drafts sign");
            let key = VerifyingKey::from_bytes(record.header().author.as_bytes()).expect("key");
            let case = Case {
                message: signing_input(record.payload()),
                signature: Signature::from_bytes(record.signature().as_bytes()),
                signing_key: SigningKey::from_bytes(&seed),
                bytes: record.into_bytes(),
                draft,
                body,
                secret,
                key,
            };
            // Both verify paths are checked to succeed when they are timed.
            cases.push(case);
        }
    }
    cases
}

fn records(c: &mut Criterion, cases: &[Case]) {
    let sizes: Vec<usize> = cases.iter().map(|c| c.bytes.len()).collect();
    let mean = sizes.iter().sum::<usize>() as f64 / sizes.len() as f64;
    let (min, max) = (
        sizes.iter().min().unwrap_or(&0),
        sizes.iter().max().unwrap_or(&0),
    );
    println!(
        "record mix: {} records ({} co-ops x 8 kinds), mean {mean:.0} bytes (min {min}, max {max})",
        cases.len(),
        cases.len() / 8,
    );

    let mut group = c.benchmark_group("records");
    group.throughput(Throughput::Elements(cases.len() as u64));
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("sign", |b| {
        b.iter(|| {
            for case in cases {
                black_box(case.draft.sign(&case.secret).ok());
            }
        })
    });
    group.bench_function("sign_bare", |b| {
        b.iter(|| {
            for case in cases {
                black_box(case.signing_key.sign(&case.message));
            }
        })
    });
    group.bench_function("encode_body", |b| {
        b.iter(|| {
            for case in cases {
                black_box(case.body.encode());
            }
        })
    });
    group.bench_function("decode", |b| {
        b.iter(|| {
            for case in cases {
                black_box(SignedRecord::decode(case.bytes.as_slice()).ok());
            }
        })
    });
    group.bench_function("verify_envelope", |b| {
        b.iter(|| {
            for case in cases {
                black_box(verify_bytes(case.bytes.as_slice(), samples::NOW).is_ok());
            }
        })
    });
    group.bench_function("verify_strict_bare", |b| {
        b.iter(|| {
            for case in cases {
                black_box(
                    case.key
                        .verify_strict(&case.message, &case.signature)
                        .is_ok(),
                );
            }
        })
    });
    group.finish();
}

/// Time for one path to verify `cases` (all of them).
fn time_path(cases: &[Case], envelope: bool) -> Duration {
    let start = Instant::now();
    let mut ok = 0usize;
    for case in cases {
        let valid = if envelope {
            verify_bytes(black_box(case.bytes.as_slice()), samples::NOW).is_ok()
        } else {
            let (key, sig) = black_box((&case.key, &case.signature));
            key.verify_strict(black_box(&case.message), sig).is_ok()
        };
        ok += usize::from(valid);
    }
    let elapsed = start.elapsed();
    assert_eq!(ok, cases.len(), "every sample record verifies");
    elapsed
}

/// One round: `count` verifications per path, records/s of (envelope, bare).
/// The paths alternate every chunk of the same 64 records, so a noisy
/// neighbour or clock change hits both alike.
fn round(cases: &[Case], count: usize, envelope_first: bool) -> (f64, f64) {
    let (mut envelope, mut bare, mut done) = (Duration::ZERO, Duration::ZERO, 0);
    for chunk in cases.chunks(64).cycle() {
        let chunk = &chunk[..chunk.len().min(count - done)];
        if envelope_first {
            envelope += time_path(chunk, true);
            bare += time_path(chunk, false);
        } else {
            bare += time_path(chunk, false);
            envelope += time_path(chunk, true);
        }
        done += chunk.len();
        if done == count {
            break;
        }
    }
    let rate = |d: Duration| count as f64 / d.as_secs_f64();
    (rate(envelope), rate(bare))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Thousands separators, for figures people read.
fn grouped(value: f64) -> String {
    let digits = format!("{:.0}", value);
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Times both verify paths in alternating rounds and reports their ratio.
fn ratio_summary(cases: &[Case], full: bool) {
    let (rounds, count) = if full { (7, 2_000) } else { (1, 16) };
    round(cases, count / 4, true); // warm caches and the CPU clock
    let (mut envelope, mut bare, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..rounds {
        let (e, b) = round(cases, count, r % 2 == 0);
        envelope.push(e);
        bare.push(b);
        ratios.push(e / b);
    }
    let (e, b) = (median(envelope), median(bare));
    let ratio = median(ratios.clone());
    let verdict = if ratio >= 0.8 { "meets" } else { "MISSES" };
    let summary = format!(
        "coopnet record verification ({} records of {} in the mix per path per round)\n\
         envelope/bare verify ratio: {ratio:.3} (median of {rounds} rounds; envelope {} rec/s, \
         bare {} rec/s) {verdict} the >= 0.8 target\n\
         per record: envelope {:.1} us, bare verify_strict {:.1} us, envelope overhead {:.1} us\n\
         per-round ratios: {:.3?}\n",
        grouped(count as f64),
        cases.len(),
        grouped(e),
        grouped(b),
        1e6 / e,
        1e6 / b,
        1e6 / e - 1e6 / b,
        ratios,
    );
    println!("\n{summary}");
    if !full {
        println!("(test mode: smoke run only, summary file not written)");
        return;
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")));
    let dir = target.join("criterion");
    let path = dir.join("coopnet-summary.txt");
    match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, &summary)) {
        Ok(()) => println!("written to {}", path.display()),
        Err(e) => eprintln!("could not write {}: {e}", path.display()),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test");
    let cases = cases(if full { COOPS } else { TEST_COOPS });
    let mut criterion = Criterion::default().configure_from_args();
    records(&mut criterion, &cases);
    criterion.final_summary();
    if !args.iter().any(|a| a == "--list") {
        ratio_summary(&cases, full);
    }
}
