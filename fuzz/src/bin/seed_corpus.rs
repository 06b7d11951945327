//! Writes the seed corpora of the fuzz targets:
//!
//! - `decode_verify_validate`: signed records of every sample kind
//!   (always), plus every `record_hex` of `protocol/testdata/vectors.json`,
//!   valid and invalid, when that file exists;
//! - `sync_codec`: every frame of `protocol/testdata/wire.json`;
//! - `reconciliation`: its negentropy messages and sketch cells, behind
//!   the byte that picks the path;
//! - `roster`: a few sequences of admissions and revocations;
//! - `ocds`: the OCDS files the node ships for its demo and tests (real
//!   packages from three countries, one in ISO-8859-1), and small releases
//!   with HTML entities, fractional and zero values and odd dates.
//!
//! Each seed is named by the hex SHA-256 of its bytes, so reruns add
//! nothing twice.
//!
//! Run from anywhere: `cargo run --bin seed_corpus` (in `fuzz/`).

use std::collections::BTreeSet;
use std::error::Error;
use std::path::Path;

use coopnet_protocol::{Body, Draft, KindCode, Timestamp, samples};
use sha2::{Digest, Sha256};

const CORPORA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus");
const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../protocol/testdata/vectors.json"
);
const WIRE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../protocol/testdata/wire.json"
);

fn main() -> Result<(), Box<dyn Error>> {
    let mut seeds = BTreeSet::new();
    sample_seeds(&mut seeds)?;
    let from_samples = seeds.len();
    let from_vectors = vector_seeds(Path::new(VECTORS), &mut seeds)?;
    println!("records: {from_samples} from samples, {from_vectors} from vectors.json");
    write("decode_verify_validate", &seeds)?;
    let wire: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(WIRE)?)?;
    write("sync_codec", &frame_seeds(&wire))?;
    write("reconciliation", &reconciliation_seeds(&wire)?)?;
    write("roster", &roster_seeds())?;
    write("ocds", &ocds_seeds())?;
    write("bid_message", &bid_seeds()?)?;
    Ok(())
}

/// Every message and the document of bid.json (SPEC §11.6).
fn bid_seeds() -> Result<BTreeSet<Vec<u8>>, Box<dyn Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../protocol/testdata/bid.json");
    let bid: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let mut seeds = BTreeSet::new();
    let lists = ["messages", "invalid"];
    for list in lists {
        for v in bid[list].as_array().into_iter().flatten() {
            if let Some(text) = v["message_hex"].as_str() {
                seeds.insert(hex::decode(text)?);
            }
        }
    }
    if let Some(text) = bid["document"]["document_hex"].as_str() {
        seeds.insert(hex::decode(text)?);
    }
    Ok(seeds)
}

/// Writes `seeds` into the corpus of `target`.
fn write(target: &str, seeds: &BTreeSet<Vec<u8>>) -> Result<(), Box<dyn Error>> {
    let dir = Path::new(CORPORA).join(target);
    std::fs::create_dir_all(&dir)?;
    let mut written = 0;
    for seed in seeds {
        let path = dir.join(hex::encode(Sha256::digest(seed)));
        if !path.exists() {
            std::fs::write(&path, seed)?;
            written += 1;
        }
    }
    println!(
        "{target}: {} seeds, {written} new files in {}",
        seeds.len(),
        dir.display()
    );
    Ok(())
}

/// Every frame of wire.json.
fn frame_seeds(wire: &serde_json::Value) -> BTreeSet<Vec<u8>> {
    ["requests", "responses", "malformed_requests"]
        .iter()
        .flat_map(|list| wire[list].as_array().cloned().unwrap_or_default())
        .filter_map(|v| hex::decode(v["frame_hex"].as_str()?).ok())
        .collect()
}

/// Negentropy's messages (paths 0 and 1) and a sketch reply (path 2).
fn reconciliation_seeds(wire: &serde_json::Value) -> Result<BTreeSet<Vec<u8>>, Box<dyn Error>> {
    let negentropy = &wire["negentropy"];
    let mut seeds = BTreeSet::new();
    for (path, field) in [(0u8, "initiate_hex"), (1, "reply_hex")] {
        let message = hex::decode(negentropy[field].as_str().unwrap_or_default())?;
        seeds.insert([&[path][..], &message].concat());
    }
    let mut sketch = vec![2u8];
    sketch.extend(3u64.to_be_bytes());
    for cell in wire["sketch"]["cells_0_to_23"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let key: u64 = cell["key"].as_str().unwrap_or("0").parse()?;
        sketch.extend(key.to_be_bytes());
        sketch.extend((cell["check"].as_u64().unwrap_or(0) as u32).to_be_bytes());
    }
    seeds.insert(sketch);
    Ok(seeds)
}

/// Operations of the roster target: 4 bytes each (signer, subject, what,
/// when).
fn roster_seeds() -> BTreeSet<Vec<u8>> {
    [
        vec![0, 1, 0, 0],
        vec![0, 1, 1, 0, 1, 2, 0, 1, 0, 2, 3, 2],
        vec![0, 1, 0, 5, 0, 1, 3, 3, 0, 1, 0, 1],
        vec![0, 1, 1, 9, 1, 2, 1, 8, 2, 3, 0, 7, 0, 1, 3, 1, 3, 4, 2, 0],
    ]
    .into_iter()
    .collect()
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

/// The shipped OCDS files, and a few small releases with the awkward parts
/// of real data.
fn ocds_seeds() -> BTreeSet<Vec<u8>> {
    let mut seeds: BTreeSet<Vec<u8>> = coopnet_node::ocds::demo_files()
        .into_iter()
        .map(|(_, bytes)| bytes.to_vec())
        .collect();
    for tender in [
        r#"{"title": "Repairs &amp; Maintenance &#8217;26", "value": {"amount": 51365.26, "currency": "gbp"}}"#,
        r#"{"title": "Lots", "value": {"amount": 0.1, "currency": "GBP"}, "minValue": {"amount": 300000, "currency": "GBP"}}"#,
        r#"{"title": " Spaces \n and\tbreaks ", "tenderPeriod": {"endDate": "2027-02-30T25:00:00+14:00"}, "status": "weird"}"#,
    ] {
        let release = format!(
            r#"{{"releases": [{{"ocid": "ocds-seed-1", "buyer": {{"name": "Leeds City Council"}}, "tender": {tender}}}]}}"#
        );
        seeds.insert(release.into_bytes());
    }
    seeds
}
