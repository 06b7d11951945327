use super::*;
use crate::samples;

fn lead() -> SecretKey {
    samples::secret(1)
}

fn partner() -> SecretKey {
    samples::secret(2)
}

fn skills(days: u32) -> Vec<SkillDays> {
    vec![SkillDays {
        skill: "Rust".into(),
        days,
    }]
}

fn invite() -> Unsigned {
    Unsigned {
        bid: [7; 16],
        bid_version: 1,
        sender: lead().public(),
        recipient: partner().public(),
        seq: 1,
        sent_at: samples::NOW,
        body: Body::Invite(Invite {
            contract_author: lead().public(),
            contract_key: "tender-1".into(),
            title: "Tenant portal".into(),
            lead_name: "Lead Co-op".into(),
            currency: "GBP".into(),
            period: Some(("2027-03-01".parse().unwrap(), "2027-05-31".parse().unwrap())),
            deadline: None,
            role: Terms {
                skills: skills(10),
                rate: 550,
            },
            others: vec![],
            note: "Two lines\nof note".into(),
        }),
    }
}

fn document() -> BidDocument {
    BidDocument {
        bid: [7; 16],
        version: 3,
        contract_author: lead().public(),
        contract_key: "tender-1".into(),
        title: "Tenant portal".into(),
        currency: "GBP".into(),
        deadline: None,
        lead: lead().public(),
        roles: vec![
            DocRole {
                coop: lead().public(),
                name: "Lead Co-op".into(),
                skills: skills(15),
                rate: 600,
            },
            DocRole {
                coop: partner().public(),
                name: "Design Co-op".into(),
                skills: skills(10),
                rate: 550,
            },
        ],
        total_days: 25,
        total_cost: 15 * 600 + 10 * 550,
        terms: "Each partner invoices the lead monthly.".into(),
    }
}

#[test]
fn a_signed_message_reads_back() {
    let signed = invite().sign(&lead());
    let bytes = signed.encode();
    assert_eq!(SignedMessage::decode(&bytes), Ok(signed));
}

#[test]
fn a_changed_byte_anywhere_is_refused() {
    let bytes = invite().sign(&lead()).encode();
    for i in 0..bytes.len() {
        let mut tampered = bytes.clone();
        tampered[i] ^= 0x01;
        assert!(
            SignedMessage::decode(&tampered).is_err(),
            "byte {i} changed and accepted"
        );
    }
}

#[test]
fn a_message_signed_by_another_key_is_a_forgery() {
    let mut message = invite();
    message.sender = lead().public();
    let forged = message.sign(&partner()).encode();
    assert_eq!(
        SignedMessage::decode(&forged),
        Err(BidWireError::BadSignature)
    );
}

#[test]
fn oversized_short_and_trailing_messages_are_refused() {
    let big = vec![0_u8; MAX_MESSAGE_LEN + 1];
    assert_eq!(SignedMessage::decode(&big).unwrap_err().code(), "too-long");
    assert_eq!(
        SignedMessage::decode(&[1, 2, 3]).unwrap_err().code(),
        "malformed"
    );
    let mut bytes = invite().sign(&lead()).encode();
    let signature = bytes.split_off(bytes.len() - 64);
    bytes.push(0);
    bytes.extend(signature);
    assert_eq!(
        SignedMessage::decode(&bytes).unwrap_err().code(),
        "malformed"
    );
}

#[test]
fn fields_are_checked_after_the_signature() {
    let mut message = invite();
    if let Body::Invite(invite) = &mut message.body {
        invite.role.skills[0].days = 0;
    }
    let bytes = message.sign(&lead()).encode();
    match SignedMessage::decode(&bytes) {
        Err(BidWireError::Field(e)) => assert_eq!(e.field, "role.skills[0].days"),
        other => panic!("{other:?}"),
    }
    let mut message = invite();
    message.seq = 0;
    let bytes = message.sign(&lead()).encode();
    assert_eq!(
        SignedMessage::decode(&bytes).unwrap_err().code(),
        "invalid-field"
    );
}

#[test]
fn a_document_signature_holds_only_for_that_document_and_signer() {
    let document = document();
    assert_eq!(document.check(), Ok(()));
    assert_eq!(
        BidDocument::decode(&document.encode()),
        Ok(document.clone())
    );
    let signed = document.sign(&partner());
    assert!(document.verify(&partner().public(), &signed));
    assert!(
        !document.verify(&lead().public(), &signed),
        "another signer"
    );
    let mut next = document.clone();
    next.version = 4;
    assert!(
        !next.verify(&partner().public(), &signed),
        "another version"
    );
    let mut cheaper = document;
    cheaper.roles[1].rate = 500;
    cheaper.total_cost = 15 * 600 + 10 * 500;
    assert!(
        !cheaper.verify(&partner().public(), &signed),
        "another rate"
    );
}

#[test]
fn a_document_whose_totals_are_not_its_sums_is_refused() {
    let mut document = document();
    document.total_cost += 1;
    assert_eq!(document.check().unwrap_err().field, "total_cost");
    let mut document = self::document();
    document.roles.push(document.roles[0].clone());
    assert_eq!(document.check().unwrap_err().field, "roles[2].coop");
}

#[test]
fn an_export_says_who_signed_and_catches_a_forgery() {
    let document = document();
    let signatures = [
        (lead().public(), document.sign(&lead())),
        (partner().public(), document.sign(&partner())),
    ];
    let export = ExportedDocument::new(&document, &signatures);
    let checked = export.check().unwrap();
    assert!(checked.complete());
    assert!(checked.roles.iter().all(|r| r.2));

    let only_lead = ExportedDocument::new(&document, &signatures[..1]);
    let checked = only_lead.check().unwrap();
    assert!(!checked.complete());
    assert!(!checked.roles[1].2, "the partner has not signed");

    let mut forged = export.clone();
    forged.signatures[1].signature = export.signatures[0].signature.clone();
    let checked = forged.check().unwrap();
    assert_eq!(checked.invalid, [partner().public()]);
    assert!(!checked.complete());

    let mut stranger = export;
    stranger.signatures.push(ExportedSignature {
        coop: samples::secret(9).public(),
        signature: "00".repeat(64),
    });
    assert_eq!(stranger.check().unwrap().strangers.len(), 1);
}
