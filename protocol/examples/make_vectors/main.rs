//! Writes `protocol/testdata/vectors.json`, the golden test vectors of
//! SPEC.md: `cargo run -p coopnet-protocol --example make_vectors`.
//!
//! Every record is encoded twice, once by the crate and once by encoders
//! written from the SPEC alone — the envelope below (§2) and the body from
//! its JSON fields (`body.rs`, §3.2–3.3) — and the two must agree byte for
//! byte. Invalid vectors are built with those encoders, so they can break
//! the rules the crate refuses to sign.
#![allow(clippy::unwrap_used)]

mod body;

use coopnet_protocol::kinds::{CapacityFields, ProfileFields, RateBand};
use coopnet_protocol::{
    Body, Draft, Kind, KindCode, SecretKey, Timestamp, samples, signing_input, verify_bytes,
};
use serde_json::{Value, json};
use sha2::Digest;

/// The envelope fields of SPEC §2.1, before signing.
struct Raw {
    format: u8,
    author: [u8; 32],
    kind: u16,
    key: Vec<u8>,
    version: u64,
    issued_at: u64,
    expires_at: u64,
    body: Option<Vec<u8>>,
}

impl Raw {
    fn of(secret: &SecretKey, kind: u16, key: &str, body: Option<Vec<u8>>) -> Raw {
        Raw {
            format: 1,
            author: *secret.public().as_bytes(),
            kind,
            key: key.as_bytes().to_vec(),
            version: 1,
            issued_at: samples::NOW.0 - 60_000,
            expires_at: 0,
            body,
        }
    }

    fn payload(&self) -> Vec<u8> {
        let mut out = vec![self.format];
        out.extend(self.author);
        out.extend(self.kind.to_be_bytes());
        out.push(self.key.len() as u8);
        out.extend(&self.key);
        out.extend(self.version.to_be_bytes());
        out.extend(self.issued_at.to_be_bytes());
        out.extend(self.expires_at.to_be_bytes());
        match &self.body {
            None => out.push(0),
            Some(body) => {
                out.push(1);
                out.extend((body.len() as u32).to_be_bytes());
                out.extend(body);
            }
        }
        out
    }

    fn signed(&self, secret: &SecretKey) -> Vec<u8> {
        let mut bytes = self.payload();
        let signature = secret.sign(&signing_input(&bytes));
        bytes.extend(signature.as_bytes());
        bytes
    }
}

fn valid(name: &str, seed: u8, draft: Draft) -> Value {
    let secret = samples::secret(seed);
    let record = draft.sign(&secret).unwrap();
    let body_json = match &draft.body {
        Some(Body::Opaque { .. }) | None => Value::Null,
        Some(body) => serde_json::to_value(body).unwrap(),
    };
    // The body from its fields by the spec's rules (opaque bodies are
    // bytes already).
    let body_bytes = match &draft.body {
        Some(Body::Opaque { bytes, .. }) => Some(bytes.clone()),
        Some(_) => Some(body::encode(draft.kind.0, &body_json).unwrap()),
        None => None,
    };
    assert_eq!(
        body_bytes,
        draft.body.as_ref().map(Body::encode),
        "spec body encoder disagrees: {name}"
    );
    let raw = Raw {
        format: 1,
        author: *secret.public().as_bytes(),
        kind: draft.kind.0,
        key: draft.key.as_bytes().to_vec(),
        version: draft.version,
        issued_at: draft.issued_at.0,
        expires_at: draft.expires_at.map_or(0, |t| t.0),
        body: body_bytes.clone(),
    };
    assert_eq!(
        raw.signed(&secret),
        record.bytes(),
        "spec encoder disagrees: {name}"
    );
    verify_bytes(record.bytes().to_vec(), samples::NOW).unwrap();
    json!({
        "name": name,
        "seed": hex::encode([seed; 32]),
        "public_key": secret.public().to_string(),
        "now": samples::NOW.0,
        "kind": draft.kind.0,
        "key": draft.key,
        "version": draft.version,
        "issued_at": draft.issued_at.0,
        "expires_at": draft.expires_at.map(|t| t.0),
        "tombstone": draft.body.is_none(),
        "body": body_json,
        "body_hex": body_bytes.map(hex::encode),
        "signed_bytes": hex::encode(record.payload()),
        "signature": hex::encode(record.signature().as_bytes()),
        "id": record.id().to_string(),
        "record_hex": hex::encode(record.bytes()),
        "gossip_message_id": hex::encode(sha2::Sha256::digest(record.bytes())),
    })
}

fn invalid(name: &str, bytes: Vec<u8>, error: &str) -> Value {
    let got = verify_bytes(bytes.clone(), samples::NOW).unwrap_err();
    assert_eq!(got.code(), error, "{name}: {got}");
    json!({
        "name": name,
        "now": samples::NOW.0,
        "record_hex": hex::encode(&bytes),
        "error": error,
        "message": got.to_string(),
    })
}

fn draft(body: Body, key: &str) -> Draft {
    Draft::new(body, key, 1, Timestamp(samples::NOW.0 - 60_000))
}

fn valid_vectors() -> Vec<Value> {
    let mut out = Vec::new();
    for n in 0..2 {
        for (body, key) in samples::bodies(n) {
            let kind = Kind::from_code(body.kind_code()).unwrap().name();
            out.push(valid(
                &format!("co-op {n}: {kind}"),
                n as u8 + 1,
                draft(body, &key),
            ));
        }
    }
    let mut welsh = samples::profile(5).into_fields();
    welsh.name = "Gwaith Agored Cyf — ‘Open Work’".into();
    welsh.summary = "Cwmni cydweithredol digidol yng Nghaerdydd 🏴".into();
    let welsh = coopnet_protocol::kinds::Profile::parse(welsh).unwrap();
    out.push(valid("non-ASCII text", 6, draft(Body::Profile(welsh), "")));
    let mut tombstone = draft(Body::Contract(samples::contract(0)), "contract-0");
    (tombstone.body, tombstone.version) = (None, 2);
    out.push(valid("tombstone withdrawing a contract", 1, tombstone));
    let mut expiring = draft(Body::Capacity(samples::capacity(3, 2)), "");
    expiring.expires_at = Some(samples::NOW.plus_millis(30 * 86_400_000));
    out.push(valid("capacity with an expiry", 4, expiring));
    let opaque = Body::Opaque {
        kind: KindCode(40_000),
        bytes: b"\x02future kind".to_vec(),
    };
    out.push(valid(
        "a kind this version does not know (opaque)",
        7,
        draft(opaque, "anything"),
    ));
    let mut max_version = draft(Body::Skills(samples::skills(2, 0)), "");
    max_version.version = u64::MAX;
    out.push(valid(
        "empty skills list at the largest version",
        3,
        max_version,
    ));
    let long_key = "k".repeat(128);
    out.push(valid(
        "longest key",
        2,
        draft(Body::Contract(samples::contract(9)), &long_key),
    ));
    let mut bare = samples::contract(4).into_fields();
    (
        bare.value,
        bare.deadline,
        bare.period,
        bare.source_url,
        bare.ocid,
    ) = (None, None, None, None, None);
    let bare = coopnet_protocol::kinds::Contract::parse(bare).unwrap();
    out.push(valid(
        "contract without optional fields",
        5,
        draft(Body::Contract(bare), "lead-17"),
    ));
    for (name, amount, min) in [
        (
            "contract valued as a range, in pence",
            Some(5_136_526),
            Some(1_000_000),
        ),
        (
            "contract valued only by its minimum",
            None,
            Some(30_000_000),
        ),
    ] {
        let mut fields = samples::contract(6).into_fields();
        fields.value = Some(coopnet_protocol::kinds::ContractValue {
            amount,
            min,
            currency: "GBP".into(),
        });
        let contract = coopnet_protocol::kinds::Contract::parse(fields).unwrap();
        out.push(valid(
            name,
            5,
            draft(Body::Contract(contract), "ocds:ocds-b5fd17-range"),
        ));
    }
    out
}

fn invalid_vectors() -> Vec<Value> {
    let secret = samples::secret(1);
    let profile = || Some(Body::Profile(samples::profile(0)).encode());
    let good = || Raw::of(&secret, 1, "", profile());
    let good_bytes = good().signed(&secret);
    let mut out = Vec::new();

    let mut flipped = good_bytes.clone();
    *flipped.last_mut().unwrap() ^= 0x01;
    out.push(invalid(
        "signature with one bit flipped",
        flipped,
        "bad-signature",
    ));

    let mut tampered = good_bytes.clone();
    let name_at = good_bytes
        .windows(8)
        .position(|w| w == b"Hedgerow")
        .unwrap();
    tampered[name_at] = b'h';
    out.push(invalid(
        "body tampered after signing",
        tampered,
        "bad-signature",
    ));

    let mut other_author = good();
    other_author.author = *samples::secret(2).public().as_bytes();
    out.push(invalid(
        "signed by someone other than the author",
        other_author.signed(&secret),
        "bad-signature",
    ));

    let mut huge = Raw::of(&secret, 40_000, "big", Some(vec![7; 65_536]));
    huge.version = 1;
    out.push(invalid("over 64 KiB", huge.signed(&secret), "too-large"));
    out.push(invalid(
        "cut short",
        good_bytes[..good_bytes.len() / 2].to_vec(),
        "truncated",
    ));
    out.push(invalid("empty input", Vec::new(), "truncated"));

    let mut bytes = good();
    bytes.format = 2;
    out.push(invalid(
        "unknown format byte",
        bytes.signed(&secret),
        "unknown-format",
    ));
    let mut weak = good();
    weak.author = weak_key();
    out.push(invalid(
        "author is a small-order (weak) key",
        weak.signed(&secret),
        "bad-author",
    ));
    out.push(invalid(
        "key with a space",
        Raw::of(&secret, 4, "a b", None).signed(&secret),
        "bad-key",
    ));
    let mut zero = good();
    zero.version = 0;
    out.push(invalid(
        "version zero",
        zero.signed(&secret),
        "zero-version",
    ));
    let mut tag = good().payload();
    let tag_at = 1 + 32 + 2 + 1 + 24;
    tag[tag_at] = 2;
    tag.extend(secret.sign(&signing_input(&tag)).as_bytes());
    out.push(invalid("content tag 2", tag, "bad-content-tag"));
    let mut trailing = good_bytes.clone();
    trailing.push(0);
    out.push(invalid(
        "a byte after the signature",
        trailing,
        "trailing-bytes",
    ));

    let mut future = good();
    future.issued_at = samples::NOW.0 + 10 * 60_000;
    out.push(invalid(
        "issued 10 minutes in the future",
        future.signed(&secret),
        "from-the-future",
    ));
    let mut expired = good();
    expired.expires_at = samples::NOW.0 - 1;
    out.push(invalid(
        "expired a millisecond ago",
        expired.signed(&secret),
        "expired",
    ));
    let mut backwards = good();
    backwards.expires_at = backwards.issued_at;
    out.push(invalid(
        "expires when issued",
        backwards.signed(&secret),
        "expires-before-issued",
    ));
    out.push(invalid(
        "profile with a key",
        Raw::of(&secret, 1, "x", profile()).signed(&secret),
        "key-rule",
    ));
    let member = samples::secret(9).public();
    let membership = Body::Membership(samples::membership(
        member,
        "Nine",
        coopnet_protocol::kinds::Role::Member,
    ));
    let wrong_key = Raw::of(
        &secret,
        5,
        &samples::secret(8).public().to_string(),
        Some(membership.encode()),
    );
    out.push(invalid(
        "membership keyed by another co-op",
        wrong_key.signed(&secret),
        "key-rule",
    ));

    let mut cut_body = profile().unwrap();
    cut_body.truncate(20);
    out.push(invalid(
        "profile body cut short",
        Raw::of(&secret, 1, "", Some(cut_body)).signed(&secret),
        "malformed-body",
    ));
    let skills = Body::Skills(samples::skills(0, 0)).encode();
    assert_eq!(skills, [0]);
    let overlong = Raw::of(&secret, 2, "", Some(vec![0x80, 0x00]));
    out.push(invalid(
        "over-long varint for an empty list",
        overlong.signed(&secret),
        "non-canonical-body",
    ));
    let mut empty_name: ProfileFields = samples::profile(0).into_fields();
    empty_name.name = String::new();
    let body = postcard::to_allocvec(&empty_name).unwrap();
    out.push(invalid(
        "profile with an empty name",
        Raw::of(&secret, 1, "", Some(body)).signed(&secret),
        "invalid-field",
    ));
    let mut flipped: ProfileFields = samples::profile(0).into_fields();
    flipped.name = "Hedgerow \u{202E}latigiD".into();
    let body = postcard::to_allocvec(&flipped).unwrap();
    out.push(invalid(
        "profile name with a right-to-left override",
        Raw::of(&secret, 1, "", Some(body)).signed(&secret),
        "invalid-field",
    ));
    let mut inverted: CapacityFields = samples::capacity(0, 1).into_fields();
    inverted.windows[0].rate = RateBand {
        min: 900,
        max: 400,
        currency: "GBP".into(),
    };
    let body = postcard::to_allocvec(&inverted).unwrap();
    out.push(invalid(
        "rate band with min above max",
        Raw::of(&secret, 3, "", Some(body)).signed(&secret),
        "invalid-field",
    ));
    out.push(non_canonical_s(&good_bytes));
    // A membership whose member is a small-order key: the body field does
    // not decode (SPEC §1).
    let mut fields =
        samples::membership(member, "Nine", coopnet_protocol::kinds::Role::Member).into_fields();
    fields.member = member;
    let mut body = postcard::to_allocvec(&fields).unwrap();
    let at = body
        .windows(32)
        .position(|w| w == member.as_bytes())
        .unwrap();
    body[at..at + 32].copy_from_slice(&weak_key());
    let key = hex::encode(weak_key());
    out.push(invalid(
        "membership naming a small-order (weak) key",
        Raw::of(&secret, 5, &key, Some(body)).signed(&secret),
        "malformed-body",
    ));
    // One skill whose headcount (a u32) is a six-byte varint (§3.2).
    let long_u32 = [0x81, 0x80, 0x80, 0x80, 0x80, 0x00];
    let body = [&[0x01, 0x01, b'a', 0x00, 0x00][..], &long_u32].concat();
    out.push(invalid(
        "u32 varint longer than five bytes",
        Raw::of(&secret, 2, "", Some(body)).signed(&secret),
        "malformed-body",
    ));
    out
}

/// A small-order point: the identity's encoding (y = 1).
fn weak_key() -> [u8; 32] {
    let mut key = [0; 32];
    key[0] = 1;
    key
}

/// A signature whose scalar S is replaced by S + L (the group order): the
/// same point equation holds, but strict verification must refuse it.
fn non_canonical_s(good: &[u8]) -> Value {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut bytes = good.to_vec();
    let s_at = bytes.len() - 32;
    let mut carry = 0u16;
    for (i, l) in L.iter().enumerate() {
        let sum = u16::from(bytes[s_at + i]) + u16::from(*l) + carry;
        bytes[s_at + i] = sum as u8;
        carry = sum >> 8;
    }
    invalid(
        "signature with non-canonical S (S + L)",
        bytes,
        "bad-signature",
    )
}

fn main() {
    let document = json!({
        "about": "coopnet record test vectors; see protocol/SPEC.md §7. Regenerate with \
                  `cargo run -p coopnet-protocol --example make_vectors`.",
        "signing_domain_hex": hex::encode(coopnet_protocol::SIGNING_DOMAIN),
        "valid": valid_vectors(),
        "invalid": invalid_vectors(),
    });
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/vectors.json");
    let text = serde_json::to_string_pretty(&document).unwrap() + "\n";
    std::fs::write(path, text).unwrap();
    let count = |k: &str| document[k].as_array().map_or(0, Vec::len);
    println!(
        "wrote {path}: {} valid, {} invalid",
        count("valid"),
        count("invalid")
    );
}
