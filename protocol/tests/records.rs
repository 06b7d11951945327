//! Behaviour of signed records: signing, verification, last-writer-wins,
//! limits, clock window, opaque kinds and field errors.
#![allow(clippy::unwrap_used)]

use std::cmp::Ordering;

use coopnet_protocol::kinds::{Role, SkillsFields};
use coopnet_protocol::{
    Body, DecodeError, Draft, Kind, KindCode, MAX_CLOCK_SKEW_MS, MAX_RECORD_LEN, RecordError,
    SignError, SignedRecord, Timestamp, samples, verify_bytes,
};

const NOW: Timestamp = samples::NOW;

fn sign(draft: &Draft) -> SignedRecord {
    draft.sign(&samples::secret(1)).unwrap()
}

fn skills_draft(version: u64) -> Draft {
    Draft::new(Body::Skills(samples::skills(0, 3)), "", version, NOW)
}

fn error_of(record: &SignedRecord, now: Timestamp) -> RecordError {
    verify_bytes(record.bytes().to_vec(), now).unwrap_err()
}

#[test]
fn every_sample_kind_signs_and_verifies_with_its_body_intact() {
    for n in 0..8 {
        for (body, key) in samples::bodies(n) {
            let record = sign(&Draft::new(body.clone(), key, 1, NOW));
            let verified = verify_bytes(record.bytes().to_vec(), NOW).unwrap();
            assert_eq!(verified.body(), Some(&body));
            assert_eq!(
                verified.record().header().author,
                samples::secret(1).public()
            );
        }
    }
}

#[test]
fn a_higher_version_supersedes_a_lower_one() {
    let (old, new) = (sign(&skills_draft(1)), sign(&skills_draft(2)));
    assert!(new.supersedes(&old));
    assert!(!old.supersedes(&new));
}

#[test]
fn equal_versions_resolve_to_the_lower_id_whichever_arrives_first() {
    let a = sign(&skills_draft(5));
    let b = sign(&Draft::new(Body::Skills(samples::skills(1, 3)), "", 5, NOW));
    assert_ne!(a.id(), b.id());
    let winner = if a.id() < b.id() { &a } else { &b };
    let loser = if a.id() < b.id() { &b } else { &a };
    assert!(winner.supersedes(loser));
    assert!(!loser.supersedes(winner));
    assert_eq!(a.precedence(&b), b.precedence(&a).reverse());
}

#[test]
fn a_record_never_supersedes_itself() {
    let a = sign(&skills_draft(3));
    assert_eq!(a.precedence(&a.clone()), Ordering::Equal);
    assert!(!a.supersedes(&a.clone()));
}

#[test]
fn a_record_of_an_unknown_kind_verifies_as_opaque_bytes() {
    let body = Body::Opaque {
        kind: KindCode(9_000),
        bytes: vec![1, 2, 3],
    };
    let record = sign(&Draft::new(body.clone(), "x", 1, NOW));
    let verified = verify_bytes(record.bytes().to_vec(), NOW).unwrap();
    assert_eq!(verified.body(), Some(&body));
    assert_eq!(record.body_bytes(), Some(&[1u8, 2, 3][..]));
}

#[test]
fn a_tombstone_verifies_and_has_no_body() {
    let mut draft = Draft::new(Body::Contract(samples::contract(1)), "c-1", 2, NOW);
    draft.body = None;
    let record = sign(&draft);
    assert!(record.is_tombstone());
    let verified = verify_bytes(record.bytes().to_vec(), NOW).unwrap();
    assert_eq!(verified.body(), None);
}

fn opaque_of_total_len(total: usize) -> Draft {
    // Header with key "k": 1 + 32 + 2 + 1 + 1 + 24 + 1 + 4 bytes, then body, then 64.
    let overhead = 66 + 64;
    let body = Body::Opaque {
        kind: KindCode(9_001),
        bytes: vec![0xab; total - overhead],
    };
    Draft::new(body, "k", 1, NOW)
}

#[test]
fn a_record_of_exactly_64_kib_is_accepted_and_one_byte_more_is_refused() {
    let record = sign(&opaque_of_total_len(MAX_RECORD_LEN));
    assert_eq!(record.bytes().len(), MAX_RECORD_LEN);
    assert!(verify_bytes(record.bytes().to_vec(), NOW).is_ok());
    let too_big = opaque_of_total_len(MAX_RECORD_LEN + 1).sign(&samples::secret(1));
    let expected = DecodeError::TooLarge {
        len: MAX_RECORD_LEN + 1,
    };
    assert_eq!(too_big.unwrap_err(), SignError::Envelope(expected));
}

#[test]
fn the_clock_allowance_is_five_minutes_to_the_millisecond() {
    let record = sign(&skills_draft(1));
    let earliest_ok = Timestamp(NOW.0 - MAX_CLOCK_SKEW_MS);
    assert!(verify_bytes(record.bytes().to_vec(), earliest_ok).is_ok());
    let too_early = Timestamp(earliest_ok.0 - 1);
    assert_eq!(error_of(&record, too_early).code(), "from-the-future");
}

#[test]
fn a_record_is_refused_from_the_millisecond_it_expires() {
    let mut draft = skills_draft(1);
    draft.expires_at = Some(NOW.plus_millis(1_000));
    let record = sign(&draft);
    assert!(verify_bytes(record.bytes().to_vec(), NOW.plus_millis(999)).is_ok());
    let err = error_of(&record, NOW.plus_millis(1_000));
    assert_eq!(err.code(), "expired");
    assert!(err.is_honest_mistake());
}

#[test]
fn signing_refuses_a_body_of_another_kind() {
    let mut draft = skills_draft(1);
    draft.kind = Kind::Profile.code();
    let err = draft.sign(&samples::secret(1)).unwrap_err();
    assert!(matches!(err, SignError::KindMismatch { .. }), "{err}");
}

#[test]
fn signing_refuses_a_key_on_a_one_per_coop_kind() {
    let draft = Draft::new(Body::Profile(samples::profile(0)), "second", 1, NOW);
    let err = draft.sign(&samples::secret(1)).unwrap_err();
    assert_eq!(err.to_string(), "a profile record's key must be empty");
}

#[test]
fn membership_must_be_keyed_by_its_member() {
    let member = samples::secret(5).public();
    let body = Body::Membership(samples::membership(member, "Five", Role::Member));
    assert!(
        Draft::new(body.clone(), member.to_string(), 1, NOW)
            .sign(&samples::secret(1))
            .is_ok()
    );
    let wrong = samples::secret(6).public().to_string();
    let err = Draft::new(body, wrong, 1, NOW)
        .sign(&samples::secret(1))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "a membership record's key must equal the member field"
    );
}

#[test]
fn a_field_error_names_the_field_and_the_rule() {
    let mut fields: SkillsFields = samples::skills(0, 3).into_fields();
    fields.entries[2].headcount = 0;
    let err = coopnet_protocol::kinds::Skills::parse(fields).unwrap_err();
    assert_eq!(
        err.to_string(),
        "entries[2].headcount: must be between 1 and 10000"
    );
}

#[test]
fn json_bodies_are_parsed_through_the_same_rules() {
    let mut json = serde_json::to_value(samples::profile(0)).unwrap();
    assert!(Body::deserialize_as(Kind::Profile, &json).is_ok());
    json["contact_email"] = "not an email".into();
    let err = Body::deserialize_as(Kind::Profile, &json).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("contact_email: must be an e-mail address"),
        "{err}"
    );
}

#[test]
fn json_uses_readable_dates_and_kebab_case_enums() {
    let json = serde_json::to_value(samples::capacity(0, 1)).unwrap();
    assert_eq!(json["windows"][0]["from"], "2027-01-01");
    assert_eq!(json["windows"][0]["mode"], "remote");
}

#[test]
fn a_forged_record_is_refused_as_a_bad_signature() {
    let genuine = sign(&skills_draft(1));
    let mut forged = genuine.bytes().to_vec();
    let last = forged.len() - 1;
    forged[last] ^= 0x80;
    let err = verify_bytes(forged, NOW).unwrap_err();
    assert_eq!(err, RecordError::BadSignature);
    assert!(!err.is_honest_mistake());
}
