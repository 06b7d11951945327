//! Writes `protocol/testdata/wire.json`, the golden vectors of the sync
//! protocol (SPEC §7, §8.2–8.3): `cargo run -p coopnet-node --example
//! make_wire_vectors`.
//!
//! Every frame and every sketch figure is computed twice: by the small
//! encoders below, written from SPEC §8.2–8.3 alone, and by the node's
//! codec and sketch; the two must agree or nothing is written. The
//! negentropy messages come from the `negentropy` crate the SPEC names.
#![allow(clippy::unwrap_used)]

use coopnet_node::net::codec::{
    SyncRequest, SyncResponse, decode_request, decode_response, encode_request, encode_response,
};
use coopnet_node::net::sketch::{self, Cell, Symbol};
use coopnet_protocol::{Body, Draft, RecordId, samples};
use serde_json::{Value, json};

/// A frame: u32 big-endian length, then the body (§8.2).
fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend(body);
    out
}

fn records_body(tag: u8, records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![tag];
    for record in records {
        out.extend((record.len() as u32).to_be_bytes());
        out.extend(record);
    }
    out
}

fn record(n: usize) -> Vec<u8> {
    let body = Body::Contract(samples::contract(n));
    let draft = Draft::new(body, format!("c-{n}"), 1, samples::NOW);
    draft.sign(&samples::secret(1)).unwrap().into_bytes()
}

fn id(n: u8) -> RecordId {
    RecordId([n; 32])
}

const SALT: [u8; 16] = *b"coopnet-salt-16b";

/// Checks the spec-written frame against the codec, both ways.
fn request(name: &str, body: Vec<u8>, message: SyncRequest, fields: Value) -> Value {
    assert_eq!(encode_request(&message), body, "{name}");
    assert_eq!(decode_request(&body).unwrap(), message, "{name}");
    json!({"name": name, "frame_hex": hex::encode(frame(&body)), "fields": fields})
}

fn response(name: &str, body: Vec<u8>, message: SyncResponse, fields: Value) -> Value {
    assert_eq!(encode_response(&message), body, "{name}");
    assert_eq!(decode_response(&body).unwrap(), message, "{name}");
    json!({"name": name, "frame_hex": hex::encode(frame(&body)), "fields": fields})
}

fn requests() -> Vec<Value> {
    let (a, b) = (id(1), id(2));
    let records = vec![record(0), record(1)];
    let mut sketch_body = vec![4u8];
    sketch_body.extend(SALT);
    sketch_body.extend(24u32.to_be_bytes());
    sketch_body.extend(36u32.to_be_bytes());
    let mut keys_body = vec![5u8];
    keys_body.extend(SALT);
    keys_body.extend(1u64.to_be_bytes());
    keys_body.extend(u64::MAX.to_be_bytes());
    vec![
        request(
            "fetch two ids",
            [&[1u8][..], &a.0, &b.0].concat(),
            SyncRequest::Fetch(vec![a, b]),
            json!({"ids": [a.to_string(), b.to_string()]}),
        ),
        request(
            "fetch no ids",
            vec![1],
            SyncRequest::Fetch(vec![]),
            json!({"ids": []}),
        ),
        request(
            "push two records",
            records_body(2, &records),
            SyncRequest::Push(records.clone()),
            json!({"records": records.iter().map(hex::encode).collect::<Vec<_>>()}),
        ),
        request("reconciled", vec![3], SyncRequest::Reconciled, json!({})),
        request(
            "sketch cells 24..60",
            sketch_body,
            SyncRequest::Sketch {
                salt: SALT,
                from: 24,
                count: 36,
            },
            json!({"salt": hex::encode(SALT), "from": 24, "count": 36}),
        ),
        request(
            "fetch by two keys",
            keys_body,
            SyncRequest::FetchKeys {
                salt: SALT,
                keys: vec![1, u64::MAX],
            },
            json!({"salt": hex::encode(SALT), "keys": ["1", u64::MAX.to_string()]}),
        ),
    ]
}

fn responses(cells: &[Cell]) -> Vec<Value> {
    let records = vec![record(2)];
    let mut sketch_body = vec![4u8];
    sketch_body.extend(3u64.to_be_bytes());
    for cell in &cells[..3] {
        sketch_body.extend(cell.key.to_be_bytes());
        sketch_body.extend(cell.check.to_be_bytes());
    }
    vec![
        response(
            "a page of one record",
            records_body(1, &records),
            SyncResponse::Records(records.clone()),
            json!({"records": records.iter().map(hex::encode).collect::<Vec<_>>()}),
        ),
        response(
            "an empty page",
            vec![1],
            SyncResponse::Records(vec![]),
            json!({"records": []}),
        ),
        response(
            "refused",
            [&[2u8][..], b"rate limited: slow down"].concat(),
            SyncResponse::Refused("rate limited: slow down".into()),
            json!({"reason": "rate limited: slow down"}),
        ),
        response("received", vec![3], SyncResponse::Received, json!({})),
        response(
            "three sketch cells of a set of three",
            sketch_body,
            SyncResponse::Sketch {
                set_len: 3,
                cells: cells[..3].to_vec(),
            },
            json!({"set_len": 3, "cells": cells[..3].iter().map(cell_json).collect::<Vec<_>>()}),
        ),
    ]
}

fn malformed() -> Vec<Value> {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty frame", 0u32.to_be_bytes().to_vec()),
        ("length beyond the limit", 263_169u32.to_be_bytes().to_vec()),
        ("unknown tag", frame(&[9])),
        ("fetch of a partial id", frame(&[1, 1, 2, 3])),
        (
            "fetch of 1,025 ids",
            frame(&[&[1u8][..], &[0u8; 32 * 1_025]].concat()),
        ),
        ("push with a cut record", frame(&[2, 0, 0, 0, 9, 1])),
        ("reconciled with a body", frame(&[3, 0])),
        (
            "sketch request for no cells",
            frame(&[&[4u8][..], &SALT, &[0; 8]].concat()),
        ),
        ("fetch by no keys", frame(&[&[5u8][..], &SALT].concat())),
    ];
    cases
        .into_iter()
        .map(|(name, bytes)| {
            // What lies within the frame must be refused by the codec too.
            if let Some(body) = bytes.get(4..).filter(|b| !b.is_empty()) {
                assert!(decode_request(body).is_err(), "{name}");
            }
            json!({"name": name, "frame_hex": hex::encode(bytes)})
        })
        .collect()
}

// ---- SPEC §8.3, written from the text ----

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^ (z >> 31)
}

fn spec_key(salt: &[u8; 16], id: &RecordId) -> u64 {
    let k0 = u64::from_le_bytes(salt[..8].try_into().unwrap());
    let k1 = u64::from_le_bytes(salt[8..].try_into().unwrap());
    siphasher::sip::SipHasher24::new_with_keys(k0, k1).hash(&id.0)
}

fn spec_check(key: u64) -> u32 {
    (mix(key ^ 0x5bd1e9957f4a7c15) >> 32) as u32
}

fn spec_indices(key: u64, n: usize) -> Vec<u64> {
    let (mut s, mut i, mut out) = (key, 0u64, vec![0u64]);
    while out.len() < n {
        s = s.wrapping_add(0x9e3779b97f4a7c15);
        let u = ((mix(s) >> 11) + 1) as f64 / 9_007_199_254_740_992.0;
        let next = (((i as f64 + 1.0) * (i as f64 + 2.0) / u + 0.25).sqrt() - 1.5).ceil() as u64;
        i = next.max(i + 1);
        out.push(i);
    }
    out
}

fn cell_json(cell: &Cell) -> Value {
    json!({"key": cell.key.to_string(), "check": cell.check})
}

fn sketch_vectors() -> (Value, Vec<Cell>) {
    let ids = [id(0xa1), id(0xb2), id(0xc3)];
    let mut cells = vec![Cell::default(); 24];
    let mut symbols = Vec::new();
    for id in &ids {
        let (key, check) = (spec_key(&SALT, id), spec_check(spec_key(&SALT, id)));
        assert_eq!(Symbol::of(&SALT, id), Symbol { key, check });
        for index in spec_indices(key, 64).into_iter().filter(|i| *i < 24) {
            cells[index as usize].key ^= key;
            cells[index as usize].check ^= check;
        }
        symbols.push(json!({"id": id.to_string(), "key": key.to_string(), "check": check}));
    }
    let first = spec_key(&SALT, &ids[0]);
    assert_eq!(spec_indices(first, 16), sketch::indices(first, 16));
    assert_eq!(sketch::encode(&ids, &SALT, 0, 24), cells);
    let doc = json!({
        "salt_hex": hex::encode(SALT),
        "symbols": symbols,
        "first_indices_of_the_first_key": spec_indices(first, 16),
        "cells_0_to_23": cells.iter().map(cell_json).collect::<Vec<_>>(),
    });
    (doc, cells)
}

fn negentropy_vectors() -> Value {
    use negentropy::{Id, Negentropy, NegentropyStorageVector};
    let items = [(1_000u64, id(0x11)), (2_000, id(0x22)), (3_000, id(0x33))];
    let storage = |items: &[(u64, RecordId)]| {
        let mut s = NegentropyStorageVector::new();
        for (t, id) in items {
            s.insert(*t, Id::from_byte_array(id.0)).unwrap();
        }
        s.seal().unwrap();
        s
    };
    let ours = storage(&items);
    let theirs = storage(&items[..2]);
    let first = Negentropy::borrowed(&ours, 60_000)
        .unwrap()
        .initiate()
        .unwrap();
    let reply = Negentropy::borrowed(&theirs, 60_000)
        .unwrap()
        .reconcile(&first)
        .unwrap();
    let item = |(t, id): &(u64, RecordId)| json!({"timestamp": t, "id": id.to_string()});
    json!({
        "initiator_items": items.iter().map(item).collect::<Vec<_>>(),
        "responder_items": items[..2].iter().map(item).collect::<Vec<_>>(),
        "frame_size_limit": 60_000,
        "initiate_hex": hex::encode(&first),
        "reply_hex": hex::encode(&reply),
    })
}

fn main() {
    let (sketch, cells) = sketch_vectors();
    let document = json!({
        "about": "coopnet sync-protocol test vectors; see protocol/SPEC.md §7, §8.2–8.3. \
                  Regenerate with `cargo run -p coopnet-node --example make_wire_vectors`.",
        "requests": requests(),
        "responses": responses(&cells),
        "malformed_requests": malformed(),
        "sketch": sketch,
        "negentropy": negentropy_vectors(),
    });
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../protocol/testdata/wire.json"
    );
    std::fs::write(
        path,
        serde_json::to_string_pretty(&document).unwrap() + "\n",
    )
    .unwrap();
    println!("wrote {path}");
}
