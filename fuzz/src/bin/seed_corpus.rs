//! Writes the seed corpus of the `decode_verify_validate` fuzz target:
//! signed records of every sample kind (always), plus every `record_hex` of
//! `protocol/testdata/vectors.json`, valid and invalid, when that file
//! exists. Each seed is named by the hex SHA-256 of its bytes, so reruns
//! add nothing twice.
//!
//! Run from anywhere: `cargo run --bin seed_corpus` (in `fuzz/`).

use std::collections::BTreeSet;
use std::error::Error;
use std::path::Path;

use coopnet_protocol::{Body, Draft, KindCode, Timestamp, samples};
use sha2::{Digest, Sha256};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/decode_verify_validate");
const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../protocol/testdata/vectors.json"
);

fn main() -> Result<(), Box<dyn Error>> {
    let mut seeds = BTreeSet::new();
    sample_seeds(&mut seeds)?;
    let from_samples = seeds.len();
    let from_vectors = vector_seeds(Path::new(VECTORS), &mut seeds)?;

    std::fs::create_dir_all(CORPUS)?;
    let mut written = 0;
    for seed in &seeds {
        let path = Path::new(CORPUS).join(hex::encode(Sha256::digest(seed)));
        if !path.exists() {
            std::fs::write(&path, seed)?;
            written += 1;
        }
    }
    println!(
        "{} seeds ({from_samples} from samples, {from_vectors} from vectors.json); \
         {written} new files in {CORPUS}",
        seeds.len()
    );
    Ok(())
}

/// Every sample kind for a few co-ops, plus tombstones, an expiring record
/// and a record of a kind this version does not know.
fn sample_seeds(seeds: &mut BTreeSet<Vec<u8>>) -> Result<(), Box<dyn Error>> {
    for n in 0..8usize {
        let secret = samples::secret(n as u8 + 1);
        for (i, (body, key)) in samples::bodies(n).into_iter().enumerate() {
            let mut draft = Draft::new(body, key, 1 + n as u64, samples::NOW);
            seeds.insert(draft.sign(&secret)?.into_bytes());
            if n == 0 {
                draft.version += 1;
                draft.body = None;
                seeds.insert(draft.sign(&secret)?.into_bytes());
            } else if n == 1 && i == 0 {
                draft.expires_at = Some(samples::NOW.plus_millis(86_400_000));
                seeds.insert(draft.sign(&secret)?.into_bytes());
            }
        }
    }
    let opaque = Body::Opaque {
        kind: KindCode(0x7f01),
        bytes: b"a future kind".to_vec(),
    };
    let draft = Draft::new(opaque, "future-1", 1, Timestamp(samples::NOW.0 - 1));
    seeds.insert(draft.sign(&samples::secret(1))?.into_bytes());
    Ok(())
}

/// Adds the `record_hex` of every valid and invalid vector; returns how many
/// were read. A missing file is not an error: the vectors may not exist yet.
fn vector_seeds(path: &Path, seeds: &mut BTreeSet<Vec<u8>>) -> Result<usize, Box<dyn Error>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "note: {} not found; seeding from samples only",
                path.display()
            );
            return Ok(0);
        }
        Err(e) => return Err(e.into()),
    };
    let json: serde_json::Value = serde_json::from_str(&text)?;
    let mut count = 0;
    for list in ["valid", "invalid"] {
        let entries = json
            .get(list)
            .and_then(|v| v.as_array())
            .map_or(&[][..], Vec::as_slice);
        for (i, entry) in entries.iter().enumerate() {
            let Some(text) = entry.get("record_hex").and_then(|v| v.as_str()) else {
                eprintln!("warning: {list}[{i}] has no record_hex string; skipped");
                continue;
            };
            match hex::decode(text) {
                Ok(bytes) => {
                    seeds.insert(bytes);
                    count += 1;
                }
                Err(e) => eprintln!("warning: {list}[{i}].record_hex is not hex ({e}); skipped"),
            }
        }
    }
    Ok(count)
}
