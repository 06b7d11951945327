//! The federation rules: genesis ids, who is a member, who may admit.

#![allow(clippy::unwrap_used)]

use coopnet_protocol::federation::{Admission, Genesis, Roster};
use coopnet_protocol::kinds::{Membership, MembershipFields, Revocation, RevocationFields, Role};
use coopnet_protocol::{Body, Draft, Kind, PublicKey, SecretKey, Timestamp, samples};

const NOW: Timestamp = samples::NOW;

fn key(n: u8) -> SecretKey {
    samples::secret(n)
}

fn genesis() -> Genesis {
    Genesis {
        name: "CoTech".into(),
        coordinators: vec![key(1).public()],
        bootstrap: vec![],
        created_at: Timestamp(NOW.0 - 86_400_000),
        network_key: None,
    }
}

fn admit(roster: &mut Roster, by: u8, member: u8, role: Role, at: u64, expires: Option<u64>) {
    let fields = MembershipFields {
        federation: roster.federation(),
        member: key(member).public(),
        name: format!("Co-op {member}"),
        role,
    };
    let body = Body::Membership(Membership::parse(fields).unwrap());
    let mut draft = Draft::new(
        body.clone(),
        key(member).public().to_string(),
        1,
        Timestamp(at),
    );
    draft.expires_at = expires.map(Timestamp);
    let record = draft.sign(&key(by)).unwrap();
    roster.apply(&record, Some(&body)).unwrap();
}

fn revoke(roster: &mut Roster, by: u8, member: u8, at: u64) {
    let fields = RevocationFields {
        federation: roster.federation(),
        member: key(member).public(),
        reason: "left".into(),
    };
    let body = Body::Revocation(Revocation::parse(fields).unwrap());
    let record = Draft::new(
        body.clone(),
        key(member).public().to_string(),
        1,
        Timestamp(at),
    )
    .sign(&key(by))
    .unwrap();
    roster.apply(&record, Some(&body)).unwrap();
}

fn member(n: u8) -> PublicKey {
    key(n).public()
}

#[test]
fn the_genesis_id_is_deterministic_and_changes_with_any_field() {
    let a = genesis();
    assert_eq!(a.id(), genesis().id());
    let mut renamed = genesis();
    renamed.name.push('!');
    assert_ne!(renamed.id(), a.id());
    let mut with_key = genesis();
    with_key.network_key = Some(coopnet_protocol::federation::NetworkKey([3; 32]));
    assert_ne!(with_key.id(), a.id());
    assert!(a.topic().contains(&a.id().to_string()));
}

#[test]
fn a_genesis_without_coordinators_is_refused() {
    let mut g = genesis();
    g.coordinators.clear();
    assert_eq!(
        g.check().unwrap_err().to_string(),
        "coordinators: must not be empty"
    );
}

#[test]
fn founders_are_coordinators_and_members() {
    let view = Roster::new(&genesis()).view(NOW);
    assert!(view.is_coordinator(&member(1)) && view.is_member(&member(1)));
    assert!(!view.is_member(&member(2)));
}

#[test]
fn a_founder_admits_a_member_and_its_records_are_accepted() {
    let mut roster = Roster::new(&genesis());
    admit(&mut roster, 1, 2, Role::Member, NOW.0 - 10, None);
    let view = roster.view(NOW);
    assert_eq!(
        view.admission(&member(2), Some(Kind::Profile)),
        Admission::Accept
    );
    assert_eq!(
        view.admission(&member(3), Some(Kind::Profile)),
        Admission::Hold
    );
}

#[test]
fn a_plain_member_cannot_admit_anyone() {
    let mut roster = Roster::new(&genesis());
    admit(&mut roster, 1, 2, Role::Member, NOW.0 - 20, None);
    admit(&mut roster, 2, 3, Role::Member, NOW.0 - 10, None);
    let view = roster.view(NOW);
    assert!(!view.is_member(&member(3)));
    let refused = view.admission(&member(2), Some(Kind::Membership));
    assert_eq!(
        refused,
        Admission::Refuse("only coordinators admit and revoke members")
    );
}

#[test]
fn a_granted_coordinator_can_admit_in_turn() {
    let mut roster = Roster::new(&genesis());
    // Applied out of order on purpose: the roster does not care.
    admit(&mut roster, 2, 3, Role::Member, NOW.0 - 10, None);
    admit(&mut roster, 1, 2, Role::Coordinator, NOW.0 - 20, None);
    let view = roster.view(NOW);
    assert!(view.is_coordinator(&member(2)));
    assert!(view.is_member(&member(3)));
}

#[test]
fn revocation_ends_membership_until_a_later_admission() {
    let mut roster = Roster::new(&genesis());
    admit(&mut roster, 1, 2, Role::Member, NOW.0 - 30, None);
    revoke(&mut roster, 1, 2, NOW.0 - 20);
    let view = roster.view(NOW);
    assert!(!view.is_member(&member(2)) && view.is_revoked(&member(2)));
    assert_eq!(
        view.admission(&member(2), Some(Kind::Profile)),
        Admission::Refuse("its author's membership was revoked")
    );
    admit(&mut roster, 1, 2, Role::Member, NOW.0 - 10, None);
    assert!(roster.view(NOW).is_member(&member(2)));
}

#[test]
fn a_membership_lapses_when_it_expires() {
    let mut roster = Roster::new(&genesis());
    admit(
        &mut roster,
        1,
        2,
        Role::Member,
        NOW.0 - 30,
        Some(NOW.0 + 1_000),
    );
    assert!(roster.view(NOW).is_member(&member(2)));
    assert_eq!(
        roster.view(NOW).next_expiry(),
        Some(Timestamp(NOW.0 + 1_000))
    );
    assert!(!roster.view(Timestamp(NOW.0 + 1_000)).is_member(&member(2)));
}

#[test]
fn a_membership_of_another_federation_is_refused() {
    let mut roster = Roster::new(&genesis());
    let mut other = genesis();
    other.name = "Another federation".into();
    let fields = MembershipFields {
        federation: other.id(),
        member: member(2),
        name: "Two".into(),
        role: Role::Member,
    };
    let body = Body::Membership(Membership::parse(fields).unwrap());
    let record = Draft::new(body.clone(), member(2).to_string(), 1, NOW)
        .sign(&key(1))
        .unwrap();
    assert!(roster.apply(&record, Some(&body)).is_err());
    assert!(!roster.view(NOW).is_member(&member(2)));
}

#[test]
fn a_coordinator_of_another_federation_cannot_admit_here() {
    let mut roster = Roster::new(&genesis());
    // Key 9 founded some other federation; its grant names ours, but 9 is
    // nobody here.
    admit(&mut roster, 9, 2, Role::Member, NOW.0 - 10, None);
    assert!(!roster.view(NOW).is_member(&member(2)));
}
