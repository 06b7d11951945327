//! Writes `protocol/testdata/bid.json`, the test vectors of SPEC §11 (the
//! private bid messages): `cargo run -p coopnet-protocol --example
//! make_bid_vectors`.
//!
//! Every message and the document are encoded twice: by the crate, and by
//! the encoder below, written from SPEC §3.2 and §11 alone; the two must
//! agree byte for byte. Invalid messages are built with the spec encoder.
#![allow(clippy::unwrap_used)]

use coopnet_protocol::bidwire::{
    Answer, BidDocument, Body, DocRole, Invite, MESSAGE_DOMAIN, SignedMessage, SkillDays, Terms,
    Unsigned,
};
use coopnet_protocol::{Day, SecretKey, samples};
use serde_json::{Value, json};

/// SPEC §3.2's varint.
fn varint(mut n: u64, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn string(s: &str, out: &mut Vec<u8>) {
    varint(s.len() as u64, out);
    out.extend(s.as_bytes());
}

fn day(d: Day, out: &mut Vec<u8>) {
    let n = d.days();
    varint(((n << 1) ^ (n >> 31)) as u32 as u64, out);
}

fn skills(list: &[SkillDays], out: &mut Vec<u8>) {
    varint(list.len() as u64, out);
    for s in list {
        string(&s.skill, out);
        varint(s.days.into(), out);
    }
}

fn terms(t: &Terms, out: &mut Vec<u8>) {
    skills(&t.skills, out);
    varint(t.rate.into(), out);
}

/// SPEC §11.1's `Unsigned`, field by field.
fn spec_unsigned(m: &Unsigned) -> Vec<u8> {
    let mut out = m.bid.to_vec();
    varint(m.bid_version, &mut out);
    out.extend(m.sender.as_bytes());
    out.extend(m.recipient.as_bytes());
    varint(m.seq, &mut out);
    varint(m.sent_at.0, &mut out);
    match &m.body {
        Body::Invite(i) => {
            varint(0, &mut out);
            out.extend(i.contract_author.as_bytes());
            string(&i.contract_key, &mut out);
            string(&i.title, &mut out);
            string(&i.lead_name, &mut out);
            string(&i.currency, &mut out);
            match i.period {
                None => out.push(0),
                Some((a, b)) => {
                    out.push(1);
                    day(a, &mut out);
                    day(b, &mut out);
                }
            }
            match i.deadline {
                None => out.push(0),
                Some(t) => {
                    out.push(1);
                    varint(t.0, &mut out);
                }
            }
            terms(&i.role, &mut out);
            varint(i.others.len() as u64, &mut out);
            for o in &i.others {
                out.extend(o.coop.as_bytes());
                string(&o.name, &mut out);
                skills(&o.skills, &mut out);
                match o.rate {
                    None => out.push(0),
                    Some(r) => {
                        out.push(1);
                        varint(r.into(), &mut out);
                    }
                }
            }
            string(&i.note, &mut out);
        }
        Body::Answer(a) => {
            varint(1, &mut out);
            match a {
                Answer::Accept => varint(0, &mut out),
                Answer::Decline { reason } => {
                    varint(1, &mut out);
                    string(reason, &mut out);
                }
                Answer::Counter { terms: t, message } => {
                    varint(2, &mut out);
                    terms(t, &mut out);
                    string(message, &mut out);
                }
            }
        }
        Body::Freeze(d) => {
            varint(2, &mut out);
            out.extend(spec_document(d));
        }
        Body::Sign(s) => {
            varint(3, &mut out);
            out.extend(s.document);
            out.extend(s.signature.0[0]);
            out.extend(s.signature.0[1]);
        }
        Body::Outcome(o) => {
            varint(4, &mut out);
            varint(*o as u64, &mut out);
        }
    }
    out
}

/// SPEC §11.4's `BidDocument`.
fn spec_document(d: &BidDocument) -> Vec<u8> {
    let mut out = d.bid.to_vec();
    varint(d.version, &mut out);
    out.extend(d.contract_author.as_bytes());
    string(&d.contract_key, &mut out);
    string(&d.title, &mut out);
    string(&d.currency, &mut out);
    match d.deadline {
        None => out.push(0),
        Some(t) => {
            out.push(1);
            varint(t.0, &mut out);
        }
    }
    out.extend(d.lead.as_bytes());
    varint(d.roles.len() as u64, &mut out);
    for r in &d.roles {
        out.extend(r.coop.as_bytes());
        string(&r.name, &mut out);
        skills(&r.skills, &mut out);
        varint(r.rate.into(), &mut out);
    }
    varint(d.total_days, &mut out);
    varint(d.total_cost, &mut out);
    string(&d.terms, &mut out);
    out
}

fn sign(unsigned: &[u8], key: &SecretKey) -> Vec<u8> {
    let mut input = MESSAGE_DOMAIN.to_vec();
    input.extend(unsigned);
    let mut out = unsigned.to_vec();
    out.extend(key.sign(&input).as_bytes());
    out
}

fn message(name: &str, m: Unsigned, key: &SecretKey) -> Value {
    let spec = spec_unsigned(&m);
    let signed = m.clone().sign(key);
    let crate_bytes = signed.encode();
    assert_eq!(
        sign(&spec, key),
        crate_bytes,
        "{name}: the crate and the SPEC disagree"
    );
    assert_eq!(SignedMessage::decode(&crate_bytes).unwrap(), signed);
    json!({
        "name": name,
        "fields": serde_json::to_value(&m).unwrap(),
        "unsigned_hex": hex::encode(&spec),
        "signature": hex::encode(signed.signature.as_bytes()),
        "message_hex": hex::encode(&crate_bytes),
    })
}

fn invalid(name: &str, bytes: Vec<u8>, code: &str) -> Value {
    let got = SignedMessage::decode(&bytes).unwrap_err();
    assert_eq!(got.code(), code, "{name}: {got}");
    // A long run of zeros is described, not written out.
    let wire = if bytes.len() > 4_096 && bytes.iter().all(|&b| b == 0) {
        json!({"zeros": bytes.len()})
    } else {
        json!(hex::encode(&bytes))
    };
    json!({"name": name, "message_hex": wire, "status": "invalid", "code": code,
           "message": got.to_string()})
}

fn main() {
    let (lead, partner) = (samples::secret(1), samples::secret(2));
    let rust = |days| SkillDays {
        skill: "Rust".into(),
        days,
    };
    let base = Unsigned {
        bid: *b"coopnet-bid-0001",
        bid_version: 2,
        sender: lead.public(),
        recipient: partner.public(),
        seq: 3,
        sent_at: samples::NOW,
        body: Body::Invite(Invite {
            contract_author: lead.public(),
            contract_key: "ocds-b5fd17-2026-17".into(),
            title: "Tenant portal rebuild".into(),
            lead_name: "Lead Co-op".into(),
            currency: "GBP".into(),
            period: Some(("2027-03-01".parse().unwrap(), "2027-05-31".parse().unwrap())),
            deadline: Some(coopnet_protocol::Timestamp(1_798_675_199_999)),
            role: Terms {
                skills: vec![rust(15)],
                rate: 550,
            },
            others: vec![coopnet_protocol::bidwire::OtherRole {
                coop: samples::secret(3).public(),
                name: "Design Co-op".into(),
                skills: vec![SkillDays {
                    skill: "user experience design".into(),
                    days: 10,
                }],
                rate: None,
            }],
            note: "Kick-off in Leeds.\nWeekly calls.".into(),
        }),
    };
    let counter = Unsigned {
        sender: partner.public(),
        recipient: lead.public(),
        seq: 1,
        body: Body::Answer(Answer::Counter {
            terms: Terms {
                skills: vec![rust(12)],
                rate: 600,
            },
            message: "We can do 12 days at £600.".into(),
        }),
        ..base.clone()
    };
    let document = BidDocument {
        bid: base.bid,
        version: 3,
        contract_author: lead.public(),
        contract_key: "ocds-b5fd17-2026-17".into(),
        title: "Tenant portal rebuild".into(),
        currency: "GBP".into(),
        deadline: None,
        lead: lead.public(),
        roles: vec![
            DocRole {
                coop: lead.public(),
                name: "Lead Co-op".into(),
                skills: vec![rust(20)],
                rate: 600,
            },
            DocRole {
                coop: partner.public(),
                name: "Partner Co-op".into(),
                skills: vec![rust(12)],
                rate: 600,
            },
        ],
        total_days: 32,
        total_cost: 32 * 600,
        terms: "Each partner invoices the lead monthly.".into(),
    };
    assert_eq!(
        spec_document(&document),
        document.encode(),
        "document: the crate and the SPEC disagree"
    );
    let signature = document.sign(&partner);
    let sign = Unsigned {
        sender: partner.public(),
        recipient: lead.public(),
        bid_version: 3,
        seq: 2,
        body: Body::Sign(signature),
        ..base.clone()
    };
    let freeze = Unsigned {
        bid_version: 3,
        seq: 4,
        body: Body::Freeze(document.clone()),
        ..base.clone()
    };
    let outcome = Unsigned {
        bid_version: 4,
        seq: 5,
        body: Body::Outcome(coopnet_protocol::bidwire::Outcome::Won),
        ..base.clone()
    };
    // The partner taken out of the bid by version 5.
    let removed = Unsigned {
        bid_version: 5,
        seq: 6,
        body: Body::Outcome(coopnet_protocol::bidwire::Outcome::Removed),
        ..base.clone()
    };
    let valid = vec![
        message("invite", base.clone(), &lead),
        message("counter", counter.clone(), &partner),
        message("freeze", freeze, &lead),
        message("sign", sign, &partner),
        message("outcome", outcome, &lead),
        message("removed", removed, &lead),
    ];

    let good = sign_bytes(&base, &lead);
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    let mut trailing = spec_unsigned(&base);
    trailing.push(0);
    let trailing = self::sign(&trailing, &lead);
    // seq 3 written as a two-byte varint: decodes, not canonical.
    let mut long = spec_unsigned(&base);
    let at = 16 + 1 + 64;
    long.splice(at..at + 1, [0x83, 0x00]);
    let long = self::sign(&long, &lead);
    let zero_seq = self::sign(
        &spec_unsigned(&Unsigned {
            seq: 0,
            ..base.clone()
        }),
        &lead,
    );
    let forged = self::sign(&spec_unsigned(&base), &partner);
    let invalid = vec![
        invalid("signature changed", flipped, "bad-signature"),
        invalid(
            "signed by another co-op than the sender",
            forged,
            "bad-signature",
        ),
        invalid("a byte after the message", trailing, "malformed"),
        invalid("seq as a two-byte varint", long, "non-canonical"),
        invalid("seq 0", zero_seq, "invalid-field"),
        invalid("longer than 65,536 bytes", vec![0; 65_537], "too-long"),
    ];
    let doc = json!({
        "protocol": coopnet_protocol::bidwire::BID_PROTOCOL,
        "message_domain_hex": hex::encode(MESSAGE_DOMAIN),
        "document_domain_hex": hex::encode(coopnet_protocol::bidwire::DOCUMENT_DOMAIN),
        "signature_domain_hex": hex::encode(coopnet_protocol::bidwire::SIGNATURE_DOMAIN),
        "lead_seed": hex::encode(lead.to_seed().as_slice()),
        "partner_seed": hex::encode(partner.to_seed().as_slice()),
        "messages": valid,
        "document": {
            "fields": serde_json::to_value(&document).unwrap(),
            "document_hex": hex::encode(document.encode()),
            "hash": hex::encode(document.hash()),
            "partner_signature": hex::encode(signature.signature.signature().as_bytes()),
        },
        "invalid": invalid,
    });
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/bid.json");
    std::fs::write(path, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
    println!("wrote {path}");
}

fn sign_bytes(m: &Unsigned, key: &SecretKey) -> Vec<u8> {
    sign(&spec_unsigned(m), key)
}
