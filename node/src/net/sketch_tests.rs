#![allow(clippy::unwrap_used)]

use super::*;

fn id(n: u32) -> RecordId {
    let mut bytes = [0u8; 32];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    bytes[31] = 0xc0;
    RecordId(bytes)
}

fn ids(range: impl Iterator<Item = u32>) -> Arc<[RecordId]> {
    range.map(id).collect()
}

const SALT: Salt = [7; SALT_LEN];

/// What a whole session of `ours` against `theirs` found, and the cells it
/// took.
fn reconcile(ours: Arc<[RecordId]>, theirs: &[RecordId]) -> (Option<Difference>, u32) {
    let (mut session, mut step) = SketchSession::start(SALT, ours);
    loop {
        match step {
            SketchStep::Ask { from, count } => {
                let cells = encode(theirs, &SALT, from, count);
                step = session.step(theirs.len() as u64, &cells).unwrap();
            }
            SketchStep::Done(difference) => return (Some(difference), session.received()),
            SketchStep::Fallback => return (None, session.received()),
        }
    }
}

#[test]
fn siphash_matches_the_reference_vector() {
    // SipHash-2-4, key 00..0f, message 00..0e (the paper's appendix A).
    let key: [u8; 16] = std::array::from_fn(|i| i as u8);
    let message: Vec<u8> = (0..15).collect();
    assert_eq!(
        SipHasher24::new_with_key(&key).hash(&message),
        0xa129_ca61_49be_45e5
    );
}

#[test]
fn a_symbol_is_in_cell_i_with_probability_two_over_i_plus_two() {
    const KEYS: u64 = 40_000;
    let mut hits = [0u32; 201];
    for n in 0..KEYS {
        let mut walk = Walk::new(finalise(n));
        walk.run_to(hits.len() as u64, |i| hits[i] += 1);
    }
    for i in [0usize, 1, 2, 5, 20, 100, 200] {
        let expected = 2.0 / (i as f64 + 2.0);
        let seen = f64::from(hits[i]) / KEYS as f64;
        let spread = 4.0 * (expected * (1.0 - expected) / KEYS as f64).sqrt();
        assert!(
            (seen - expected).abs() <= spread + 1e-9,
            "cell {i}: {seen} vs {expected}"
        );
    }
}

#[test]
fn cells_round_trip_their_wire_form() {
    let cells = encode(&ids(0..50), &SALT, 3, 9);
    let mut bytes = Vec::new();
    cells.iter().for_each(|c| c.encode_into(&mut bytes));
    assert_eq!(bytes.len(), 9 * CELL_LEN);
    assert_eq!(Cell::decode_all(&bytes).unwrap(), cells);
    assert_eq!(Cell::decode_all(&bytes[1..]), None);
}

#[test]
fn a_batch_is_the_slice_of_the_whole_sequence() {
    let set = ids(0..300);
    let whole = encode(&set, &SALT, 0, 100);
    assert_eq!(encode(&set, &SALT, 40, 25), whole[40..65]);
}

#[test]
fn equal_sets_decode_from_the_first_batch() {
    let set = ids(0..100_000);
    let (difference, cells) = reconcile(Arc::clone(&set), &set);
    assert_eq!(difference, Some(Difference::default()));
    assert_eq!(cells, FIRST_BATCH);
}

#[test]
fn a_scattered_difference_both_ways_is_found_exactly() {
    let all: Vec<u32> = (0..20_000).collect();
    // We lack every 97th record; the peer lacks every 101st.
    let ours = ids(all.iter().copied().filter(|n| n % 97 != 0));
    let theirs: Vec<RecordId> = all
        .iter()
        .copied()
        .filter(|n| n % 101 != 0)
        .map(id)
        .collect();
    let (difference, cells) = reconcile(ours, &theirs);
    let difference = difference.unwrap();
    let mut expected_ours: Vec<RecordId> = all
        .iter()
        .copied()
        .filter(|n| n % 101 == 0 && n % 97 != 0)
        .map(id)
        .collect();
    expected_ours.sort_unstable();
    assert_eq!(difference.ours, expected_ours);
    let mut lacked: Vec<RecordId> = all
        .iter()
        .copied()
        .filter(|n| n % 97 == 0 && n % 101 != 0)
        .map(id)
        .collect();
    lacked.sort_unstable();
    let mut resolved = resolve(&theirs, &SALT, &difference.theirs);
    resolved.sort_unstable();
    assert_eq!(resolved.len(), lacked.len());
    assert_eq!(resolved, lacked);
    let d = (difference.ours.len() + difference.theirs.len()) as f64;
    assert!(
        f64::from(cells) / d < 2.5,
        "{cells} cells for {d} differences"
    );
}

#[test]
fn the_cost_per_difference_stays_small_whatever_the_set_size() {
    for (n, d) in [(100_000u32, 100u32), (100_000, 1_000), (5_000, 1_000)] {
        let mut total_cells = 0;
        for round in 0..3u32 {
            // The peer holds everything; we miss d records spread at random.
            let missing: std::collections::HashSet<u32> = (0..d)
                .map(|k| finalise(u64::from(k + round * d)) as u32 % n)
                .collect();
            let ours = ids((0..n).filter(|k| !missing.contains(k)));
            let theirs: Vec<RecordId> = (0..n).map(id).collect();
            let (difference, cells) = reconcile(ours, &theirs);
            assert_eq!(difference.unwrap().theirs.len(), missing.len());
            total_cells += cells;
        }
        let per_difference = f64::from(total_cells) / f64::from(3 * d);
        assert!(
            per_difference < 2.0,
            "n {n}, d {d}: {per_difference} cells each"
        );
    }
}

#[test]
fn a_large_size_gap_falls_back_after_one_batch() {
    let (difference, cells) = reconcile(ids(0..0), &ids(0..10_000));
    assert_eq!(difference, None);
    assert_eq!(cells, FIRST_BATCH);
}

#[test]
fn a_reply_of_the_wrong_size_is_an_error() {
    let (mut session, _) = SketchSession::start(SALT, ids(0..10));
    let cells = encode(&ids(0..10), &SALT, 0, FIRST_BATCH - 1);
    assert_eq!(
        session.step(10, &cells),
        Err(SketchError::WrongBatch {
            want: FIRST_BATCH,
            got: FIRST_BATCH - 1
        })
    );
}

#[test]
fn garbage_cells_never_decode_and_end_in_a_fallback() {
    let (mut session, mut step) = SketchSession::start(SALT, ids(0..1_000));
    let mut n = 0u64;
    let outcome = loop {
        match step {
            SketchStep::Ask { count, .. } => {
                let cells: Vec<Cell> = (0..count)
                    .map(|_| {
                        n += 1;
                        Cell {
                            key: finalise(n),
                            check: finalise((n << 40) | 1) as u32,
                        }
                    })
                    .collect();
                match session.step(1_000, &cells) {
                    Ok(next) => step = next,
                    Err(e) => break Err(e),
                }
            }
            other => break Ok(other),
        }
    };
    assert!(
        matches!(
            outcome,
            Ok(SketchStep::Fallback) | Err(SketchError::Inconsistent)
        ),
        "{outcome:?}"
    );
    assert!(session.received() <= MAX_CELLS);
}

#[test]
fn a_balanced_difference_both_ways_takes_few_rounds() {
    // Same size, so the size gap says nothing: 500 differences each way.
    let ours = ids((0..20_000).filter(|n| n % 40 != 0));
    let theirs: Vec<RecordId> = (0..20_000).filter(|n| n % 40 != 1).map(id).collect();
    let (mut session, mut step) = SketchSession::start(SALT, ours);
    let mut rounds = 0;
    let difference = loop {
        rounds += 1;
        match step {
            SketchStep::Ask { from, count } => {
                let cells = encode(&theirs, &SALT, from, count);
                step = session.step(theirs.len() as u64, &cells).unwrap();
            }
            SketchStep::Done(difference) => break difference,
            SketchStep::Fallback => panic!("fell back"),
        }
    };
    assert_eq!((difference.ours.len(), difference.theirs.len()), (500, 500));
    assert!(rounds <= 14, "{rounds} rounds");
}

/// The `sketch` vectors of `protocol/testdata/wire.json` (SPEC §7).
#[test]
fn the_wire_vectors_give_the_same_symbols_indices_and_cells() {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../../protocol/testdata/wire.json")).unwrap();
    let v = &doc["sketch"];
    let salt: Salt = hex::decode(v["salt_hex"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let mut ids = Vec::new();
    for s in v["symbols"].as_array().unwrap() {
        let id: RecordId = s["id"].as_str().unwrap().parse().unwrap();
        let symbol = Symbol::of(&salt, &id);
        assert_eq!(symbol.key.to_string(), s["key"].as_str().unwrap());
        assert_eq!(u64::from(symbol.check), s["check"].as_u64().unwrap());
        ids.push(id);
    }
    let first = Symbol::of(&salt, &ids[0]).key;
    let expected_indices: Vec<u64> = v["first_indices_of_the_first_key"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_u64().unwrap())
        .collect();
    assert_eq!(indices(first, expected_indices.len()), expected_indices);
    let cells: Vec<(String, u64)> = encode(&ids, &salt, 0, 24)
        .iter()
        .map(|c| (c.key.to_string(), u64::from(c.check)))
        .collect();
    let expected: Vec<(String, u64)> = v["cells_0_to_23"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["key"].as_str().unwrap().to_owned(),
                c["check"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(cells, expected);
}
