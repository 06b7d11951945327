//! Property tests: round trips, tamper evidence, and no panics on any input.
#![allow(clippy::unwrap_used)]

use coopnet_protocol::{
    Body, Draft, KindCode, SignedRecord, Timestamp, samples, validate, verify_bytes,
};
use proptest::prelude::*;

const NOW: Timestamp = samples::NOW;

/// Any draft the crate can sign: a sample body of any kind or an opaque
/// body, a tombstone or not, any version, issue time and expiry in range.
fn any_draft() -> impl Strategy<Value = Draft> {
    let body = prop_oneof![
        (0usize..50, 0usize..8).prop_map(|(n, k)| samples::bodies(n).swap_remove(k)),
        (
            20u16..u16::MAX,
            proptest::collection::vec(any::<u8>(), 0..300)
        )
            .prop_map(|(kind, bytes)| (
                Body::Opaque {
                    kind: KindCode(kind),
                    bytes
                },
                "o".into()
            )),
    ];
    let timing = (0u64..NOW.0, proptest::option::of(1u64..1_000_000_000));
    (body, any::<bool>(), 1u64..=u64::MAX, timing).prop_map(
        |((body, key), tombstone, version, (issued, ttl))| {
            let mut draft = Draft::new(body, key, version, Timestamp(issued));
            draft.expires_at = ttl.map(|t| Timestamp(NOW.0 + t));
            if tombstone {
                draft.body = None;
            }
            draft
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn signed_records_round_trip_through_their_bytes(draft in any_draft(), seed in 1u8..=255) {
        let record = draft.sign(&samples::secret(seed)).unwrap();
        let decoded = SignedRecord::decode(record.bytes().to_vec()).unwrap();
        prop_assert_eq!(&decoded, &record);
        prop_assert_eq!(&decoded.header().key, &draft.key);
        prop_assert_eq!(decoded.header().version, draft.version);
        prop_assert_eq!(decoded.header().expires_at, draft.expires_at);
        let verified = validate(decoded, NOW).unwrap();
        prop_assert_eq!(verified.body(), draft.body.as_ref());
    }

    #[test]
    fn flipping_any_bit_of_a_record_makes_it_fail(draft in any_draft(), bit in any::<prop::sample::Index>()) {
        let record = draft.sign(&samples::secret(3)).unwrap();
        let mut bytes = record.bytes().to_vec();
        let at = bit.index(bytes.len() * 8);
        bytes[at / 8] ^= 1 << (at % 8);
        prop_assert!(verify_bytes(bytes, NOW).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2_000)) {
        let _ = verify_bytes(bytes, NOW);
    }

    #[test]
    fn mutated_records_never_panic(
        draft in any_draft(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let original = draft.sign(&samples::secret(4)).unwrap().into_bytes();
        let mut bytes = original.clone();
        for (at, value) in edits {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        if verify_bytes(bytes.clone(), NOW).is_ok() {
            // Only an unchanged record (edits that wrote the same bytes) verifies.
            prop_assert_eq!(bytes, original);
        }
    }

    #[test]
    fn arbitrary_bodies_of_every_kind_never_panic(
        kind in 0u16..12,
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let _ = Body::decode(KindCode(kind), &bytes);
    }
}
