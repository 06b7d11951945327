//! Checks `testdata/bid.json` (SPEC §11.6): each message decodes to its
//! fields, re-encodes to its bytes and signs to its signature; the
//! document hashes and verifies; each invalid message fails with its code.
#![allow(clippy::unwrap_used)]

use coopnet_protocol::SecretKey;
use coopnet_protocol::bidwire::{BidDocument, Body, MESSAGE_DOMAIN, SignedMessage};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("../testdata/bid.json")).unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn secret(v: &Value) -> SecretKey {
    SecretKey::from_seed(&bytes(v).try_into().unwrap())
}

#[test]
fn every_message_reads_as_its_fields_and_signs_to_its_bytes() {
    let doc = vectors();
    assert_eq!(bytes(&doc["message_domain_hex"]), MESSAGE_DOMAIN);
    let (lead, partner) = (secret(&doc["lead_seed"]), secret(&doc["partner_seed"]));
    let messages = doc["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        6,
        "invite, counter, freeze, sign, outcome, removed"
    );
    for v in messages {
        let wire = bytes(&v["message_hex"]);
        let signed = SignedMessage::decode(&wire).unwrap();
        assert_eq!(
            serde_json::to_value(&signed.message).unwrap(),
            v["fields"],
            "{}",
            v["name"]
        );
        let key = if signed.message.sender == lead.public() {
            &lead
        } else {
            &partner
        };
        let again = signed.message.clone().sign(key);
        assert_eq!(again.encode(), wire, "{}", v["name"]);
        assert_eq!(
            hex::encode(again.signature.as_bytes()),
            v["signature"].as_str().unwrap()
        );
        assert_eq!(wire[..wire.len() - 64], bytes(&v["unsigned_hex"])[..]);
    }
}

#[test]
fn the_document_hashes_and_its_signature_verifies() {
    let doc = vectors();
    let partner = secret(&doc["partner_seed"]);
    let v = &doc["document"];
    let document = BidDocument::decode(&bytes(&v["document_hex"])).unwrap();
    assert_eq!(serde_json::to_value(&document).unwrap(), v["fields"]);
    assert_eq!(hex::encode(document.hash()), v["hash"].as_str().unwrap());
    let signed = document.sign(&partner);
    assert_eq!(
        hex::encode(signed.signature.signature().as_bytes()),
        v["partner_signature"].as_str().unwrap()
    );
    assert!(document.verify(&partner.public(), &signed));
    // The freeze message carries exactly this document, and the sign
    // message exactly this signature.
    let named = |name: &str| {
        let v = doc["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap();
        SignedMessage::decode(&bytes(&v["message_hex"])).unwrap()
    };
    match named("freeze").message.body {
        Body::Freeze(d) => assert_eq!(d, document),
        other => panic!("not a Freeze message: {other:?}"),
    }
    match named("sign").message.body {
        Body::Sign(s) => assert!(document.verify(&partner.public(), &s)),
        other => panic!("not a Sign message: {other:?}"),
    }
}

#[test]
fn every_invalid_message_fails_with_its_code() {
    let doc = vectors();
    let invalid = doc["invalid"].as_array().unwrap();
    assert!(invalid.len() >= 6);
    for v in invalid {
        let wire = match v["message_hex"]["zeros"].as_u64() {
            Some(n) => vec![0; n as usize],
            None => bytes(&v["message_hex"]),
        };
        let error = SignedMessage::decode(&wire).unwrap_err();
        assert_eq!(error.code(), v["code"].as_str().unwrap(), "{}", v["name"]);
    }
}
