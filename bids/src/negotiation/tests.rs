use super::*;
use coopnet_protocol::bidwire::{DocRole, Invite, SkillDays, Unsigned};
use coopnet_protocol::{SecretKey, Timestamp};

fn key(seed: u8) -> SecretKey {
    SecretKey::from_seed(&[seed; 32])
}

fn terms(days: u32) -> Terms {
    Terms {
        skills: vec![SkillDays {
            skill: "Rust".into(),
            days,
        }],
        rate: 500,
    }
}

const BID: BidId = [9; 16];

fn message(from: u8, to: u8, version: u64, seq: u64, body: Body) -> SignedMessage {
    Unsigned {
        bid: BID,
        bid_version: version,
        sender: key(from).public(),
        recipient: key(to).public(),
        seq,
        sent_at: Timestamp(1),
        body,
    }
    .sign(&key(from))
}

fn invite(version: u64, seq: u64) -> SignedMessage {
    message(
        1,
        2,
        version,
        seq,
        Body::Invite(Invite {
            contract_author: key(1).public(),
            contract_key: "t".into(),
            title: "T".into(),
            lead_name: "Lead".into(),
            currency: "GBP".into(),
            period: None,
            deadline: None,
            role: terms(10),
            others: vec![],
            note: String::new(),
        }),
    )
}

fn ledger(version: u64) -> Ledger {
    Ledger {
        bid: BID,
        lead: key(1).public(),
        partners: vec![key(2).public(), key(3).public()],
        version,
        frozen: None,
        last_seq: BTreeMap::new(),
        former: Vec::new(),
    }
}

fn document(version: u64) -> BidDocument {
    let role = |seed: u8| DocRole {
        coop: key(seed).public(),
        name: String::new(),
        skills: terms(10).skills,
        rate: 500,
    };
    BidDocument {
        bid: BID,
        version,
        contract_author: key(1).public(),
        contract_key: "t".into(),
        title: "T".into(),
        currency: "GBP".into(),
        deadline: None,
        lead: key(1).public(),
        roles: vec![role(1), role(2), role(3)],
        total_days: 30,
        total_cost: 15_000,
        terms: String::new(),
    }
}

#[test]
fn invitations_are_taken_once_in_order_and_only_from_the_lead() {
    let partner = key(2).public();
    assert_eq!(judge(&partner, None, &invite(1, 1)), Status::Taken);
    let mut known = ledger(0);
    let first = invite(1, 1);
    assert_eq!(judge(&partner, Some(&known), &first), Status::Taken);
    known.took(&first);
    assert_eq!(known.version, 1);
    assert_eq!(
        judge(&partner, Some(&known), &first),
        Status::Duplicate,
        "a replay"
    );
    let second = invite(2, 2);
    assert_eq!(judge(&partner, Some(&known), &second), Status::Taken);
    known.took(&second);
    assert_eq!(
        judge(&partner, Some(&known), &invite(1, 3)),
        Status::Stale,
        "reordered"
    );
    let other = message(3, 2, 3, 9, invite(3, 9).message.body);
    assert!(
        judge(&partner, Some(&known), &other).penalised(),
        "a partner posing as lead"
    );
    assert!(
        judge(&key(3).public(), Some(&known), &invite(3, 4)).penalised(),
        "for another co-op"
    );
}

#[test]
fn answers_come_from_partners_about_the_current_version() {
    let lead = key(1).public();
    let known = ledger(2);
    let answer = |from, version| message(from, 1, version, 1, Body::Answer(Answer::Accept));
    assert_eq!(judge(&lead, Some(&known), &answer(2, 2)), Status::Taken);
    assert_eq!(judge(&lead, Some(&known), &answer(2, 1)), Status::Stale);
    assert!(
        judge(&lead, Some(&known), &answer(2, 3)).penalised(),
        "a version never sent"
    );
    assert!(
        judge(&lead, Some(&known), &answer(4, 2)).penalised(),
        "not a partner"
    );
    assert_eq!(judge(&lead, None, &answer(2, 2)), Status::Unknown);
}

#[test]
fn a_signature_counts_only_over_the_frozen_document() {
    let lead = key(1).public();
    let mut known = ledger(3);
    let frozen = document(3);
    known.frozen = Some(frozen.hash());
    let sign = |seed: u8, document: &BidDocument, signer: u8| {
        message(seed, 1, 3, 1, Body::Sign(document.sign(&key(signer))))
    };
    assert_eq!(
        judge(&lead, Some(&known), &sign(2, &frozen, 2)),
        Status::Taken
    );
    assert!(
        judge(&lead, Some(&known), &sign(2, &document(2), 2)).penalised(),
        "another version"
    );
    assert!(
        judge(&lead, Some(&known), &sign(2, &frozen, 3)).penalised(),
        "another signer"
    );
}

#[test]
fn a_freeze_must_be_this_bids_document_with_a_role_for_us() {
    let partner = key(2).public();
    let known = ledger(3);
    let freeze = |document: BidDocument| message(1, 2, 3, 5, Body::Freeze(document));
    assert_eq!(
        judge(&partner, Some(&known), &freeze(document(3))),
        Status::Taken
    );
    let mut other = document(3);
    other.bid = [1; 16];
    assert!(judge(&partner, Some(&known), &freeze(other)).penalised());
    let mut without = document(3);
    without.roles.remove(1);
    without.total_days = 20;
    without.total_cost = 10_000;
    assert!(judge(&partner, Some(&known), &freeze(without)).penalised());
}

#[test]
fn a_bid_is_agreed_when_every_partner_signed_the_frozen_version() {
    let (a, b) = (key(2).public(), key(3).public());
    let mut n = Negotiation::default();
    n.invite(1, &[a, b]);
    n.answer(a, 1, &Answer::Accept);
    n.answer(
        b,
        1,
        &Answer::Counter {
            terms: terms(12),
            message: "12?".into(),
        },
    );
    assert!(!n.ready_to_freeze());
    n.invite(2, &[a, b]);
    assert_eq!(
        n.roles[&a],
        RoleState::Invited,
        "a new version asks everyone again"
    );
    n.answer(a, 2, &Answer::Accept);
    n.answer(b, 1, &Answer::Accept);
    assert!(
        !n.ready_to_freeze(),
        "an answer to the old version does not count"
    );
    n.answer(b, 2, &Answer::Accept);
    assert!(n.ready_to_freeze());
    n.freeze(document(2).hash());
    n.signed(a, "aa".into());
    assert!(!n.agreed());
    n.signed(b, "bb".into());
    assert!(n.agreed());
}

#[test]
fn statuses_have_the_specs_bytes_and_penalties() {
    let all = [
        (Status::Taken, 0, false, true),
        (Status::Duplicate, 1, false, true),
        (Status::Stale, 2, false, true),
        (Status::Unknown, 3, false, false),
        (Status::Refused("x".into()), 4, true, false),
        (Status::Invalid(BidWireError::BadSignature), 5, true, false),
        (Status::Busy, 6, false, false),
    ];
    for (status, byte, penalised, delivered) in all {
        assert_eq!(
            (status.byte(), status.penalised(), status.delivered()),
            (byte, penalised, delivered)
        );
    }
}

#[test]
fn only_signatures_of_the_document_frozen_now_count() {
    let (a, b) = (key(2).public(), key(3).public());
    let mut ledger = ledger(3);
    ledger.frozen = Some(document(2).hash());
    let sign =
        |seed: u8, d: &BidDocument| message(seed, 1, d.version, 1, Body::Sign(d.sign(&key(seed))));
    let old = [sign(2, &document(2)), sign(3, &document(2))];
    assert!(Negotiation::of(&ledger, &old).agreed());
    ledger.frozen = Some(document(3).hash());
    assert!(
        !Negotiation::of(&ledger, &old).agreed(),
        "signatures of an earlier freeze"
    );
    let new = [sign(2, &document(3)), sign(3, &document(3))];
    let all: Vec<SignedMessage> = old.into_iter().chain(new).collect();
    let n = Negotiation::of(&ledger, &all);
    assert!(n.agreed());
    assert!(
        matches!(n.roles[&a], RoleState::Signed { .. })
            && matches!(n.roles[&b], RoleState::Signed { .. })
    );
}

#[test]
fn a_partner_taken_out_by_a_revision_is_late_not_hostile() {
    let lead = key(1).public();
    let mut known = ledger(1);
    known.set_partners(vec![key(2).public()]);
    assert_eq!(known.former, vec![key(3).public()]);
    known.version = 2;
    let late = message(3, 1, 1, 1, Body::Answer(Answer::Accept));
    assert_eq!(
        judge(&lead, Some(&known), &late),
        Status::Stale,
        "its answer to the version it was invited to"
    );
    let stranger = message(4, 1, 2, 1, Body::Answer(Answer::Accept));
    assert!(judge(&lead, Some(&known), &stranger).penalised());
    known.set_partners(vec![key(2).public(), key(3).public()]);
    assert!(
        known.former.is_empty(),
        "invited again, a partner once more"
    );
}
