//! Checks every golden vector in `testdata/vectors.json` (SPEC §7): valid
//! ones are rebuilt from their fields, signed, and compared byte for byte;
//! invalid ones must fail with exactly the error they name.
#![allow(clippy::unwrap_used)]

use coopnet_protocol::{
    Body, Draft, Kind, KindCode, SecretKey, SignedRecord, Timestamp, verify_bytes,
};
use serde_json::Value;

fn vectors() -> Value {
    let text = include_str!("../testdata/vectors.json");
    serde_json::from_str(text).unwrap()
}

fn list<'a>(doc: &'a Value, name: &str) -> &'a Vec<Value> {
    doc[name].as_array().unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn draft_of(v: &Value) -> Draft {
    let kind = KindCode(u16::try_from(v["kind"].as_u64().unwrap()).unwrap());
    let body = match (v["tombstone"].as_bool().unwrap(), Kind::from_code(kind)) {
        (true, _) => None,
        (false, Some(known)) => Some(Body::deserialize_as(known, &v["body"]).unwrap()),
        (false, None) => Some(Body::Opaque {
            kind,
            bytes: bytes(&v["body_hex"]),
        }),
    };
    Draft {
        kind,
        key: v["key"].as_str().unwrap().to_owned(),
        version: v["version"].as_u64().unwrap(),
        issued_at: Timestamp(v["issued_at"].as_u64().unwrap()),
        expires_at: v["expires_at"].as_u64().map(Timestamp),
        body,
    }
}

#[test]
fn there_are_at_least_20_valid_and_10_invalid_vectors() {
    let doc = vectors();
    assert!(list(&doc, "valid").len() >= 20);
    assert!(list(&doc, "invalid").len() >= 10);
    assert_eq!(
        bytes(&doc["signing_domain_hex"]),
        coopnet_protocol::SIGNING_DOMAIN
    );
}

#[test]
fn every_valid_vector_signs_to_its_exact_bytes_and_verifies() {
    for v in list(&vectors(), "valid") {
        let name = v["name"].as_str().unwrap();
        let seed: [u8; 32] = bytes(&v["seed"]).try_into().unwrap();
        let secret = SecretKey::from_seed(&seed);
        assert_eq!(
            secret.public().to_string(),
            v["public_key"].as_str().unwrap(),
            "{name}"
        );
        let draft = draft_of(v);
        if let Some(body) = &draft.body {
            assert_eq!(body.encode(), bytes(&v["body_hex"]), "{name}: body bytes");
        }
        let record = draft.sign(&secret).unwrap();
        assert_eq!(
            record.payload(),
            bytes(&v["signed_bytes"]),
            "{name}: signed bytes"
        );
        assert_eq!(
            record.signature().as_bytes().to_vec(),
            bytes(&v["signature"]),
            "{name}"
        );
        assert_eq!(
            record.id().to_string(),
            v["id"].as_str().unwrap(),
            "{name}: id"
        );
        assert_eq!(record.bytes(), bytes(&v["record_hex"]), "{name}: record");

        let now = Timestamp(v["now"].as_u64().unwrap());
        let verified = verify_bytes(bytes(&v["record_hex"]), now).unwrap();
        assert_eq!(verified.body(), draft.body.as_ref(), "{name}: decoded body");
    }
}

#[test]
fn every_invalid_vector_fails_with_its_named_error() {
    for v in list(&vectors(), "invalid") {
        let name = v["name"].as_str().unwrap();
        let now = Timestamp(v["now"].as_u64().unwrap());
        let err = verify_bytes(bytes(&v["record_hex"]), now).unwrap_err();
        assert_eq!(err.code(), v["error"].as_str().unwrap(), "{name}: {err}");
    }
}

#[test]
fn ids_are_the_sha256_of_the_signed_bytes() {
    use sha2::Digest;
    for v in list(&vectors(), "valid") {
        let digest = sha2::Sha256::digest(bytes(&v["signed_bytes"]));
        assert_eq!(hex::encode(digest), v["id"].as_str().unwrap());
        let record = SignedRecord::decode(bytes(&v["record_hex"])).unwrap();
        assert_eq!(record.id().to_string(), v["id"].as_str().unwrap());
    }
}
