//! Private bid messages between real nodes (issue 18, SPEC §11): an
//! invitation signed by the lead is taken by the partner's node and kept;
//! a replay is a duplicate, an older version stale, and a message from a
//! co-op that is not the lead, for another co-op, or tampered with is
//! refused, penalised and changes nothing.

use std::time::Duration;

use coopnet_node::Node;
use coopnet_protocol::bidwire::{Body, Invite, SkillDays, Terms, Unsigned};
use coopnet_protocol::{PublicKey, Timestamp};
use coopnet_tests::federation::start_federation;

const BID: [u8; 16] = *b"bid-of-the-test!";

fn invite(from: &Node, to: PublicKey, version: u64, seq: u64) -> Unsigned {
    Unsigned {
        bid: BID,
        bid_version: version,
        sender: from.key(),
        recipient: to,
        seq,
        sent_at: Timestamp(coopnet_node::clock::now().0),
        body: Body::Invite(Invite {
            contract_author: from.key(),
            contract_key: "tender-1".into(),
            title: "Tenant portal".into(),
            lead_name: "Lead".into(),
            currency: "GBP".into(),
            period: None,
            deadline: None,
            role: Terms {
                skills: vec![SkillDays {
                    skill: "Rust".into(),
                    days: 10,
                }],
                rate: 550,
            },
            others: vec![],
            note: "Line one\nline two".into(),
        }),
    }
}

async fn taken(node: &Node) -> Vec<(u64, u64)> {
    node.bid_messages(BID)
        .await
        .unwrap()
        .iter()
        .map(|m| (m.message.bid_version, m.message.seq))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_takes_the_leads_invitations_and_refuses_everything_else() {
    let dir = tempfile::tempdir().unwrap();
    let fed = start_federation(dir.path(), 3, None, Duration::from_secs(30)).await;
    let (founder, lead, partner, third) = (
        &fed.nodes[0].node,
        &fed.nodes[1].node,
        &fed.nodes[2].node,
        &fed.nodes[3].node,
    );
    let to = partner.key();

    let first = lead.send_bid_message(invite(lead, to, 1, 1)).await.unwrap();
    assert_eq!((first.status, first.reason.as_str()), (0, ""), "taken");
    let again = lead.send_bid_message(invite(lead, to, 1, 1)).await.unwrap();
    assert_eq!(again.status, 1, "a replay is a duplicate: {again:?}");
    let newer = lead.send_bid_message(invite(lead, to, 2, 2)).await.unwrap();
    assert_eq!(newer.status, 0, "{newer:?}");
    let late = lead.send_bid_message(invite(lead, to, 1, 3)).await.unwrap();
    assert_eq!(
        late.status, 2,
        "an older version arriving late is stale: {late:?}"
    );
    assert_eq!(taken(partner).await, [(1, 1), (2, 2)]);

    // Not the lead: refused, and nothing kept.
    let posing = third
        .send_bid_message(invite(third, to, 3, 9))
        .await
        .unwrap();
    assert_eq!(posing.status, 4, "{posing:?}");
    // For another co-op, sent to the partner anyway.
    let elsewhere = invite(lead, founder.key(), 3, 4).sign_for_test(lead);
    let peer = coopnet_node::identity::peer_id_of(&to).unwrap();
    let misrouted = lead.net().send_bid(peer, elsewhere).await.unwrap().unwrap();
    assert_eq!(misrouted.status, 4, "{misrouted:?}");
    // Tampered with: one byte of the note changed after signing.
    let mut bytes = invite(founder, to, 3, 1).sign_for_test(founder);
    let at = bytes.len() - 70;
    bytes[at] ^= 0x20;
    let tampered = founder.net().send_bid(peer, bytes).await.unwrap().unwrap();
    assert_eq!(tampered.status, 5, "{tampered:?}");
    assert!(tampered.reason.starts_with("bad-signature"), "{tampered:?}");

    assert_eq!(
        taken(partner).await,
        [(1, 1), (2, 2)],
        "nothing refused was kept"
    );
    for node in &fed.nodes {
        let _ = node.node.shutdown().await;
    }
}

/// Signing with a node's key from a test (the node signs its own messages
/// in `send_bid_message`; tests that misroute or tamper need the bytes).
trait SignForTest {
    fn sign_for_test(self, node: &Node) -> Vec<u8>;
}

impl SignForTest for Unsigned {
    fn sign_for_test(self, node: &Node) -> Vec<u8> {
        node.sign_bid_message(self).encode()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_invitation_survives_both_nodes_restarting_and_arrives_when_the_partner_is_back() {
    use coopnet_tests::federation::start_prepared;
    use coopnet_tests::{DEADLINE, wait_for};

    let dir = tempfile::tempdir().unwrap();
    let mut fed = start_federation(dir.path(), 2, None, Duration::from_secs(30)).await;
    let bootstrap = [fed.nodes[0].addr.clone()];
    let partner = fed.nodes.pop().unwrap();
    let lead = fed.nodes.pop().unwrap();
    let (partner_dir, partner_key) = (partner.dir.clone(), partner.node.key());
    partner.node.shutdown().await;
    drop(partner);

    // Queued while the partner is away: durable before the call returns.
    let queued = lead
        .node
        .queue_bid_message(invite(&lead.node, partner_key, 1, 0))
        .await
        .unwrap();
    assert_eq!(queued.seq, 1, "the outbox numbers messages from 1");
    let second = lead
        .node
        .queue_bid_message(invite(&lead.node, partner_key, 2, 0))
        .await
        .unwrap();
    assert_eq!(second.seq, 2);
    let lead_dir = lead.dir.clone();
    lead.node.shutdown().await;
    drop(lead);

    // Both come back; the lead's outbox delivers in order.
    let lead = start_prepared(&lead_dir, &bootstrap, Duration::from_secs(30)).await;
    let partner = start_prepared(&partner_dir, &bootstrap, Duration::from_secs(30)).await;
    let back = std::time::Instant::now();
    wait_for("the partner to take both invitations", DEADLINE, || async {
        taken(&partner.node).await.len() == 2
    })
    .await;
    let took = back.elapsed();
    assert_eq!(taken(&partner.node).await, [(1, 1), (2, 2)]);
    assert!(
        took < Duration::from_secs(10),
        "delivered {took:?} after the partner came back"
    );
    wait_for("the lead to record both answers", DEADLINE, || async {
        let rows = lead.node.bid_outbox(BID).await.unwrap();
        rows.len() == 2 && rows.iter().all(|r| r.status == Some(0))
    })
    .await;

    for node in [lead, partner].into_iter().chain(fed.nodes) {
        node.node.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lead_invites_its_partners_revises_and_freezes_and_both_sign() {
    use coopnet_bids::contract::ContractRef;
    use coopnet_bids::negotiation::RoleState;
    use coopnet_bids::plan::{BidPlan, Role, SkillDays as PlanSkill};
    use coopnet_protocol::bidwire::Answer;
    use coopnet_tests::{DEADLINE, wait_for};

    let dir = tempfile::tempdir().unwrap();
    let fed = start_federation(dir.path(), 3, None, Duration::from_secs(30)).await;
    let (bystander, lead, a, b) = (
        &fed.nodes[0].node,
        &fed.nodes[1].node,
        &fed.nodes[2].node,
        &fed.nodes[3].node,
    );
    let contract = coopnet_protocol::samples::contract(1);
    lead.publish(
        coopnet_protocol::Kind::Contract.code(),
        "tender-9",
        Some(coopnet_protocol::Body::Contract(contract.clone())),
        None,
    )
    .await
    .unwrap();
    let role = |coop: PublicKey, days, rate| Role {
        coop,
        skills: vec![PlanSkill {
            skill: "Rust".into(),
            days,
        }],
        rate,
    };
    let plan = BidPlan {
        roles: vec![
            role(lead.key(), 15, 600),
            role(a.key(), 10, 550),
            role(b.key(), 12, 500),
        ],
        ..BidPlan::default()
    };
    let reference = ContractRef {
        author: lead.key(),
        key: "tender-9".into(),
        fields: contract.into_fields(),
    };
    let bid = lead.create_bid(&reference, plan, "alice").await.unwrap();
    let invited = lead
        .invite_partners(&bid.bid_id, "Kick-off in Leeds.", false, "alice")
        .await
        .unwrap();
    assert_eq!(invited.status, coopnet_bids::status::BidStatus::Inviting);
    let wire = invited.wire_id().unwrap();

    for (partner, days, rate) in [(a, 10, 550), (b, 12, 500)] {
        wait_for(
            "each partner to receive its invitation",
            DEADLINE,
            || async { partner.invitations().await.unwrap().len() == 1 },
        )
        .await;
        let invitation = &partner.invitations().await.unwrap()[0];
        assert_eq!(
            (invitation.bid, invitation.lead, invitation.version),
            (wire, lead.key(), invited.version)
        );
        assert_eq!(invitation.invite.role.rate, rate);
        assert_eq!(invitation.invite.role.skills[0].days, days);
        assert_eq!(
            invitation.invite.others.len(),
            2,
            "the lead and the other partner"
        );
        assert!(
            invitation.invite.others.iter().all(|o| o.rate.is_none()),
            "prices not shared"
        );
    }
    a.answer_invitation(wire, Answer::Accept).await.unwrap();
    let counter = Answer::Counter {
        terms: Terms {
            skills: vec![SkillDays {
                skill: "Rust".into(),
                days: 12,
            }],
            rate: 560,
        },
        message: "We need £560 a day.".into(),
    };
    b.answer_invitation(wire, counter).await.unwrap();
    wait_for("the lead to see both answers", DEADLINE, || async {
        let n = lead.negotiation(wire).await.unwrap();
        n.roles.get(&a.key()) == Some(&RoleState::Accepted)
            && matches!(n.roles.get(&b.key()), Some(RoleState::Countered { terms, .. }) if terms.rate == 560)
    })
    .await;
    assert!(!lead.negotiation(wire).await.unwrap().ready_to_freeze());
    assert_eq!(
        a.invitations().await.unwrap()[0].answer,
        Some(Answer::Accept)
    );
    // Freezing before everyone accepted is refused.
    assert!(lead.freeze_bid(&bid.bid_id, "Terms.").await.is_err());

    // The lead takes the counter-offer: a new version, everyone asked again.
    let mut revised = invited.plan.clone();
    revised.roles[2].rate = 560;
    let revised = lead
        .update_bid(&bid.bid_id, invited.version, revised, "alice")
        .await
        .unwrap();
    let again = lead
        .invite_partners(&bid.bid_id, "Revised: £560 for B.", false, "alice")
        .await
        .unwrap();
    assert_eq!(again.version, revised.version);
    for partner in [a, b] {
        wait_for("the revised invitation", DEADLINE, || async {
            partner.invitations().await.unwrap()[0].version == again.version
        })
        .await;
        partner
            .answer_invitation(wire, Answer::Accept)
            .await
            .unwrap();
    }
    wait_for("both to accept the revision", DEADLINE, || async {
        lead.negotiation(wire).await.unwrap().ready_to_freeze()
    })
    .await;

    // Frozen, signed by both partners, agreed.
    let document = lead
        .freeze_bid(
            &bid.bid_id,
            "Each partner invoices the lead monthly.\r\nNet 30.",
        )
        .await
        .unwrap();
    assert_eq!(document.total_cost, 15 * 600 + 10 * 550 + 12 * 560);
    assert_eq!(
        document.terms,
        "Each partner invoices the lead monthly.\nNet 30."
    );
    for partner in [a, b] {
        wait_for("the document to reach the partner", DEADLINE, || async {
            partner.documents_to_sign().await.unwrap().len() == 1
        })
        .await;
        let to_sign = &partner.documents_to_sign().await.unwrap()[0];
        assert_eq!(to_sign.document.hash(), document.hash());
        assert!(!to_sign.signed);
        partner.sign_bid_document(wire).await.unwrap();
    }
    wait_for("the lead to hold both signatures", DEADLINE, || async {
        lead.settle_agreement(&bid.bid_id, "alice").await.unwrap()
    })
    .await;
    let agreed = lead.bid(&bid.bid_id).await.unwrap().unwrap();
    assert_eq!(agreed.status, coopnet_bids::status::BidStatus::Agreed);
    assert!(a.documents_to_sign().await.unwrap()[0].signed);

    // Exported, it verifies offline with `coopnet bid verify`, naming who
    // signed; without a partner's signature it does not.
    let export = lead.export_agreement(&bid.bid_id).await.unwrap();
    assert_eq!(export.signatures.len(), 3, "the lead's and both partners'");
    let file = dir.path().join("agreement.json");
    std::fs::write(&file, serde_json::to_string_pretty(&export).unwrap()).unwrap();
    let out = crate::coopnet(&["bid", "verify", file.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(said.matches("signed     ").count(), 3, "{said}");
    assert!(
        said.contains("agreed: every co-op with a role signed"),
        "{said}"
    );
    let mut partial = export.clone();
    partial.signatures.pop();
    std::fs::write(&file, serde_json::to_string(&partial).unwrap()).unwrap();
    let out = crate::coopnet(&["bid", "verify", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("NOT signed"));

    // A member outside the bid received none of it: no bid message, and
    // nothing in any record it got by gossip or sync carries the bid's
    // words or the partners' rates as the messages encode them.
    assert!(bystander.bid_messages(wire).await.unwrap().is_empty());
    assert!(bystander.invitations().await.unwrap().is_empty());
    let filter = coopnet_node::store::ListFilter {
        include_tombstones: true,
        limit: 1_000_000,
        ..Default::default()
    };
    let party = b.bid_messages(wire).await.unwrap();
    let carried = |secret: &[u8]| {
        party
            .iter()
            .any(|m| m.encode().windows(secret.len()).any(|w| w == secret))
    };
    assert!(
        carried(b"Revised: \xc2\xa3560 for B."),
        "the words looked for are in the messages"
    );
    let held = bystander.store().list(filter).await.unwrap();
    assert!(
        !held.is_empty(),
        "the bystander holds the federation's records"
    );
    let secrets: [&[u8]; 3] = [
        b"Revised: \xc2\xa3560 for B.",
        b"invoices the lead monthly",
        &wire,
    ];
    for record in &held {
        let bytes = record.record.bytes();
        for secret in secrets {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret),
                "a record the bystander holds carries bid content"
            );
        }
    }

    for node in &fed.nodes {
        node.node.shutdown().await;
    }
}

/// A revision that leaves a partner out tells it (`Outcome::Removed`), so
/// its invitation does not stay open; its late answer is stale, not
/// refused; a later revision that brings it back invites it again and the
/// removal no longer stands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_a_revision_leaves_out_is_told_and_can_be_invited_back() {
    use coopnet_bids::contract::ContractRef;
    use coopnet_bids::plan::{BidPlan, Role, SkillDays as PlanSkill};
    use coopnet_protocol::bidwire::{Answer, Outcome};
    use coopnet_tests::{DEADLINE, wait_for};

    let dir = tempfile::tempdir().unwrap();
    let fed = start_federation(dir.path(), 3, None, Duration::from_secs(30)).await;
    let (lead, a, b) = (&fed.nodes[1].node, &fed.nodes[2].node, &fed.nodes[3].node);
    let contract = coopnet_protocol::samples::contract(1);
    lead.publish(
        coopnet_protocol::Kind::Contract.code(),
        "tender-7",
        Some(coopnet_protocol::Body::Contract(contract.clone())),
        None,
    )
    .await
    .unwrap();
    let role = |coop: PublicKey| Role {
        coop,
        skills: vec![PlanSkill {
            skill: "Rust".into(),
            days: 10,
        }],
        rate: 550,
    };
    let plan = |coops: &[PublicKey]| BidPlan {
        roles: coops.iter().map(|c| role(*c)).collect(),
        ..BidPlan::default()
    };
    let reference = ContractRef {
        author: lead.key(),
        key: "tender-7".into(),
        fields: contract.into_fields(),
    };
    let all = [lead.key(), a.key(), b.key()];
    let bid = lead
        .create_bid(&reference, plan(&all), "alice")
        .await
        .unwrap();
    let invited = lead
        .invite_partners(&bid.bid_id, "Kick-off in York.", false, "alice")
        .await
        .unwrap();
    let wire = invited.wire_id().unwrap();
    for partner in [a, b] {
        wait_for("each partner's invitation", DEADLINE, || async {
            partner.invitations().await.unwrap().len() == 1
        })
        .await;
    }

    // B is left out: A is invited to the new version, B told.
    let without_b = lead
        .update_bid(&bid.bid_id, invited.version, plan(&all[..2]), "alice")
        .await
        .unwrap();
    wait_for("B to be told it was left out", DEADLINE, || async {
        b.invitations().await.unwrap()[0].outcome == Some(Outcome::Removed)
    })
    .await;
    wait_for("A's invitation to the new version", DEADLINE, || async {
        a.invitations().await.unwrap()[0].version == without_b.version
    })
    .await;
    assert_eq!(
        a.invitations().await.unwrap()[0].outcome,
        None,
        "A is still in"
    );
    // B answers anyway (it had the page open): stale, not refused.
    b.answer_invitation(wire, Answer::Accept).await.unwrap();
    wait_for(
        "the lead to answer B's late acceptance",
        DEADLINE,
        || async {
            b.bid_outbox(wire)
                .await
                .unwrap()
                .last()
                .is_some_and(|q| q.status.is_some())
        },
    )
    .await;
    let answered = b.bid_outbox(wire).await.unwrap().pop().unwrap();
    assert_eq!(answered.status, Some(2), "stale: {answered:?}");
    assert!(
        !lead
            .negotiation(wire)
            .await
            .unwrap()
            .roles
            .contains_key(&b.key())
    );

    // Brought back: invited again, and the removal no longer stands.
    let with_b = lead
        .update_bid(&bid.bid_id, without_b.version, plan(&all), "alice")
        .await
        .unwrap();
    wait_for("B invited again", DEADLINE, || async {
        b.invitations().await.unwrap()[0].version == with_b.version
    })
    .await;
    let back = &b.invitations().await.unwrap()[0];
    assert_eq!((back.outcome, back.answer.clone()), (None, None));
    for node in &fed.nodes {
        let _ = node.node.shutdown().await;
    }
}
