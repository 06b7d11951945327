//! Membership and revocation records in any number and order (SPEC §9.2):
//! the input is read as a list of operations, each signed by one of five
//! keys (key 0 founds the federation) about one of them, and applied to a
//! roster. Nothing may panic, and:
//!
//! - the founder stays a member and a coordinator;
//! - a revoked co-op is not a member;
//! - the roster is the same whatever order the records were applied in.
#![no_main]

use coopnet_protocol::federation::{Genesis, Roster, RosterView};
use coopnet_protocol::kinds::Role;
use coopnet_protocol::{
    Body, Draft, PublicKey, SecretKey, SignedRecord, Timestamp, samples, validate,
};
use libfuzzer_sys::fuzz_target;

const NOW: Timestamp = samples::NOW;

fn keys() -> Vec<SecretKey> {
    (1..=5).map(samples::secret).collect()
}

/// One operation: 4 bytes — signer, subject, what, when.
fn record(op: &[u8], keys: &[SecretKey]) -> Option<(SignedRecord, Option<Body>)> {
    let signer = &keys[usize::from(op[0]) % keys.len()];
    let subject = keys[usize::from(op[1]) % keys.len()].public();
    let issued = Timestamp(NOW.0 - 1_000 * u64::from(op[3]));
    let (body, expires) = match op[2] % 4 {
        0 => (
            Body::Membership(samples::membership(subject, "M", Role::Member)),
            None,
        ),
        1 => (
            Body::Membership(samples::membership(subject, "C", Role::Coordinator)),
            None,
        ),
        // A membership that lapses now or soon.
        2 => (
            Body::Membership(samples::membership(subject, "L", Role::Member)),
            Some(Timestamp(NOW.0 + 500 * u64::from(op[3] % 3))),
        ),
        _ => (Body::Revocation(samples::revocation(subject)), None),
    };
    let mut draft = Draft::new(body, subject.to_string(), u64::from(op[3]) + 1, issued);
    draft.expires_at = expires.filter(|e| e.0 > issued.0);
    let signed = draft.sign(signer).ok()?;
    // Expired ones are refused by validation, as on the wire.
    let verified = validate(signed, NOW).ok()?;
    Some((verified.record().clone(), verified.body().cloned()))
}

fn summary(view: &RosterView, keys: &[PublicKey]) -> Vec<(bool, bool, bool)> {
    keys.iter()
        .map(|k| {
            (
                view.is_member(k),
                view.is_coordinator(k),
                view.is_revoked(k),
            )
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let secrets = keys();
    let public: Vec<PublicKey> = secrets.iter().map(SecretKey::public).collect();
    let genesis = Genesis {
        name: "Fuzz".into(),
        coordinators: vec![public[0]],
        bootstrap: Vec::new(),
        created_at: NOW,
        network_key: None,
    };
    let records: Vec<_> = data
        .chunks_exact(4)
        .take(32)
        .filter_map(|op| record(op, &secrets))
        .collect();
    let mut forward = Roster::new(&genesis);
    let mut backward = Roster::new(&genesis);
    for (record, body) in &records {
        let _ = forward.apply(record, body.as_ref());
    }
    for (record, body) in records.iter().rev() {
        let _ = backward.apply(record, body.as_ref());
    }
    let view = forward.view(NOW);
    assert!(view.is_member(&public[0]) && view.is_coordinator(&public[0]));
    for key in &public {
        assert!(
            !(view.is_revoked(key) && view.is_member(key)),
            "revoked yet a member"
        );
    }
    assert_eq!(
        summary(&view, &public),
        summary(&backward.view(NOW), &public),
        "the order of application changed the roster"
    );
});
