//! Arbitrary bytes through the path every record from the network takes:
//! `SignedRecord::decode`, then `validate`, and `verify_bytes` (both in one
//! call). Nothing may panic, both routes must agree, and a record that
//! passes must round-trip exactly.
#![no_main]

use coopnet_protocol::{
    Body, RecordError, SignedRecord, Timestamp, samples, validate, verify_bytes,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let via_bytes = verify_bytes(data, samples::NOW);
    let record = match SignedRecord::decode(data) {
        Ok(record) => record,
        Err(e) => {
            assert_eq!(
                via_bytes,
                Err(RecordError::Decode(e)),
                "the two routes disagree"
            );
            return;
        }
    };

    // Decoding keeps the bytes as they came and is deterministic.
    assert_eq!(record.bytes(), data);
    assert_eq!(
        record.payload().len() + coopnet_protocol::SIGNATURE_LEN,
        data.len()
    );
    let again = SignedRecord::decode(record.bytes()).expect("decoded bytes decode again");
    assert_eq!(again.id(), record.id());
    assert_eq!(again, record);
    assert_eq!(record.is_tombstone(), record.body_bytes().is_none());
    let _ = format!("{record:?} {}", record.id());

    // Clock edges must not overflow anywhere.
    for now in [Timestamp(0), Timestamp(u64::MAX)] {
        if let Err(e) = validate(record.clone(), now) {
            let _ = (e.code(), e.is_honest_mistake(), e.to_string());
        }
    }

    let verified = validate(record, samples::NOW);
    assert_eq!(verified, via_bytes, "validate and verify_bytes disagree");
    let verified = match verified {
        Ok(verified) => verified,
        Err(e) => {
            let _ = (e.code(), e.is_honest_mistake(), e.to_string());
            return;
        }
    };

    // A verified record is exactly what was signed, and its body is the one
    // canonical encoding of what it decodes to.
    let record = verified.record();
    assert!(record.signature_is_valid());
    assert_eq!(record.bytes(), data);
    let kind = record.header().kind;
    match (verified.body(), record.body_bytes()) {
        (Some(body), Some(bytes)) => {
            assert_eq!(body.kind_code(), kind);
            assert_eq!(body.encode(), bytes, "body does not re-encode to its bytes");
            assert_eq!(Body::decode(kind, bytes).as_ref(), Ok(body));
        }
        (None, None) => {}
        (body, bytes) => panic!("body {body:?} but body bytes {bytes:?}"),
    }
});
