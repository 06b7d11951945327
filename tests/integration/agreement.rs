//! Joint bids, part 2 (issue 18), end to end through the API of three
//! real nodes over loopback: the lead's bid manager turns a suggestion
//! into a bid and invites both partners; one accepts and one counters;
//! the lead revises (which asks both again), both accept, the lead
//! freezes, both sign, the bid is agreed and its export verifies with
//! `coopnet bid verify`. The lead then records the outcome, which both
//! partners' nodes are told, and publishes a public notice, which a
//! fourth member receives without any of the bid's prices or words.

use std::time::Duration;

use coopnet_protocol::kinds::BidStatus as NoticeStatus;
use coopnet_protocol::{Body, Kind, PublicKey};
use coopnet_tests::federation::start_federation;
use coopnet_tests::{DEADLINE, wait_for};
use serde_json::{Value, json};

use crate::bids::{OFFERS, contract_json, publish, web_around};
use crate::web::Api;

async fn invitation(api: &Api) -> Value {
    let (_, listed) = api.call("GET", "/api/v1/invitations", "").await;
    listed["invitations"][0].clone()
}

/// What a member holds of a bid's public notice, if anything.
async fn notice_held(
    node: &coopnet_node::Node,
    lead: PublicKey,
    bid_id: &str,
) -> Option<coopnet_protocol::kinds::BidNoticeFields> {
    let stored = node
        .store()
        .current(lead, Kind::BidNotice.code(), bid_id.to_owned())
        .await
        .unwrap()?;
    let bytes = stored.record.body_bytes()?;
    match Body::decode(Kind::BidNotice.code(), bytes) {
        Ok(Body::BidNotice(n)) => Some(n.into_fields()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_coops_agree_a_bid_through_their_apis_from_suggestion_to_signed_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let mut fed = start_federation(dir.path(), 3, None, Duration::from_secs(30)).await;
    for (node, offer) in fed.nodes.iter().zip(&OFFERS[..3]) {
        publish(&node.node, offer).await;
    }
    let bystander = fed.nodes.pop().unwrap();
    let design = web_around(fed.nodes.pop().unwrap()).await;
    let lead = web_around(fed.nodes.pop().unwrap()).await;
    let founder = web_around(fed.nodes.pop().unwrap()).await;
    let api = Api::new(&lead).await;
    let partners = [Api::new(&founder).await, Api::new(&design).await];
    let (us, design_key) = (lead.node.node.key(), design.node.node.key());

    // Suggestion → bid.
    let (_, added) = api
        .call("POST", "/api/v1/contracts", &contract_json())
        .await;
    let contract = added["contract_id"].as_str().unwrap().to_owned();
    let suggestions = format!("/api/v1/contracts/{contract}/suggestions");
    let needs = json!({"needs": [
        {"skill": "Rust", "days": 15},
        {"skill": "user experience design", "days": 10},
        {"skill": "PostgreSQL", "days": 10}
    ]});
    let (status, set) = api
        .call(
            "PUT",
            &format!("/api/v1/contracts/{contract}/needs"),
            &needs.to_string(),
        )
        .await;
    assert_eq!(status, 200, "{set}");
    wait_for("a team of all three co-ops", DEADLINE, || async {
        let (_, s) = api.call("GET", &suggestions, "").await;
        s["covered"] == true && s["teams"][0]["members"].as_array().map(Vec::len) == Some(3)
    })
    .await;
    let (_, found) = api.call("GET", &suggestions, "").await;
    let body = json!({"contract_id": contract, "roles": found["teams"][0]["roles"]});
    let (status, bid) = api.call("POST", "/api/v1/bids", &body.to_string()).await;
    assert_eq!(status, 201, "{bid}");
    let id = bid["bid_id"].as_str().unwrap().to_owned();
    let design_rate = bid["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["coop_key"] == design_key.to_string())
        .unwrap()["day_rate"]
        .as_u64()
        .unwrap();

    // Invitations reach both partners, without each other's prices.
    let invite = json!({"note": "Kick-off in Leeds.\r\nWeekly calls."});
    let (status, invited) = api
        .call(
            "POST",
            &format!("/api/v1/bids/{id}/invite"),
            &invite.to_string(),
        )
        .await;
    assert_eq!((status, &invited["status"]), (200, &json!("inviting")));
    let first = invited["version"].as_u64().unwrap();
    for partner in &partners {
        wait_for("an invitation on each partner's node", DEADLINE, || async {
            invitation(partner).await["version"] == first
        })
        .await;
        let shown = invitation(partner).await;
        assert_eq!(shown["bid"], id);
        assert_eq!(shown["note"], "Kick-off in Leeds.\nWeekly calls.");
        assert_eq!(shown["others"].as_array().unwrap().len(), 2, "{shown}");
        assert!(
            shown["others"]
                .as_array()
                .unwrap()
                .iter()
                .all(|o| o["day_rate"].is_null()),
            "prices not shared: {shown}"
        );
    }

    // One accepts; one counters.
    let answer = |bid: &str| format!("/api/v1/invitations/{bid}/answer");
    let (status, _) = partners[0]
        .call("POST", &answer(&id), r#"{"decision": "accept"}"#)
        .await;
    assert_eq!(status, 202);
    let counter = json!({"decision": "counter", "skills": [{"skill": "user experience design", "days": 10}],
        "day_rate": design_rate + 40, "message": "Our rate went up in January."});
    let (status, _) = partners[1]
        .call("POST", &answer(&id), &counter.to_string())
        .await;
    assert_eq!(status, 202);
    let negotiation = format!("/api/v1/bids/{id}/negotiation");
    wait_for("the lead to see both answers", DEADLINE, || async {
        let (_, n) = api.call("GET", &negotiation, "").await;
        let states: Vec<&str> = n["partners"]
            .as_array()
            .map(|p| p.iter().filter_map(|p| p["state"].as_str()).collect())
            .unwrap_or_default();
        states.contains(&"accepted") && states.contains(&"countered")
    })
    .await;
    let (status, refused) = api
        .call("POST", &format!("/api/v1/bids/{id}/freeze"), "{}")
        .await;
    assert_eq!(status, 422, "not everyone accepted: {refused}");

    // The lead takes the counter-offer: the revision alone asks both again.
    let roles: Vec<Value> = bid["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let rate = if r["coop_key"] == design_key.to_string() {
                json!(design_rate + 40)
            } else {
                r["day_rate"].clone()
            };
            json!({"coop_key": r["coop_key"], "skills": r["skills"], "day_rate": rate})
        })
        .collect();
    let update = json!({"version": first, "roles": roles});
    let (status, revised) = api
        .call("PUT", &format!("/api/v1/bids/{id}"), &update.to_string())
        .await;
    assert_eq!(status, 200, "{revised}");
    let second = revised["version"].as_u64().unwrap();
    assert!(second > first);
    for partner in &partners {
        wait_for("the revision on each partner's node", DEADLINE, || async {
            invitation(partner).await["version"] == second
        })
        .await;
        assert_eq!(
            invitation(partner).await["note"],
            "Kick-off in Leeds.\nWeekly calls.",
            "the revision keeps the invitation's note"
        );
        let (status, _) = partner
            .call("POST", &answer(&id), r#"{"decision": "accept"}"#)
            .await;
        assert_eq!(status, 202);
    }
    wait_for("both to accept the revision", DEADLINE, || async {
        api.call("GET", &negotiation, "").await.1["ready_to_freeze"] == true
    })
    .await;

    // Frozen, signed by both, agreed.
    let (status, frozen) = api
        .call(
            "POST",
            &format!("/api/v1/bids/{id}/freeze"),
            r#"{"terms": "Each partner invoices the lead monthly.\r\nNet 30."}"#,
        )
        .await;
    assert_eq!(status, 200, "{frozen}");
    assert_eq!(frozen["version"], second);
    let (status, again) = api
        .call("POST", &format!("/api/v1/bids/{id}/freeze"), "{}")
        .await;
    assert_eq!(status, 422, "a version is frozen once: {again}");
    for partner in &partners {
        wait_for("the document on each partner's node", DEADLINE, || async {
            invitation(partner).await["document_hash"] == frozen["document_hash"]
        })
        .await;
        let (status, _) = partner
            .call("POST", &format!("/api/v1/invitations/{id}/sign"), "")
            .await;
        assert_eq!(status, 202);
    }
    wait_for("the lead to hold both signatures", DEADLINE, || async {
        api.call("GET", &negotiation, "").await.1["agreed"] == true
    })
    .await;
    let (_, agreed) = api.call("GET", &format!("/api/v1/bids/{id}"), "").await;
    assert_eq!(agreed["status"], "agreed", "{agreed}");

    // The export verifies offline, naming all three signers.
    let (status, agreement) = api
        .call("GET", &format!("/api/v1/bids/{id}/agreement"), "")
        .await;
    assert_eq!(status, 200, "{agreement}");
    let file = dir.path().join("agreement.json");
    std::fs::write(&file, agreement.to_string()).unwrap();
    let out = crate::coopnet(&["bid", "verify", file.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{said}");
    assert_eq!(said.matches("signed     ").count(), 3, "{said}");

    // The roles as CSV, with the revised rate.
    let (status, csv) = api
        .call("GET", &format!("/api/v1/bids/{id}/roles.csv"), "")
        .await;
    assert_eq!(status, 200);
    let csv = csv.as_str().unwrap();
    assert!(csv.starts_with("Co-op,Co-op key,Skill,Person-days,Day rate (GBP),Cost (GBP)\r\n"));
    assert!(
        csv.contains(&format!(
            "Design Co-op,{design_key},user experience design,10,{},{}\r\n",
            design_rate + 40,
            10 * (design_rate + 40)
        )),
        "{csv}"
    );

    // A public notice, then the outcome: partners are told, the
    // federation's notice follows.
    let (status, _) = api
        .call("POST", &format!("/api/v1/bids/{id}/notice"), "")
        .await;
    assert_eq!(status, 200);
    let (status, submitted) = api
        .call(
            "POST",
            &format!("/api/v1/bids/{id}/status"),
            &json!({"version": agreed["version"], "status": "submitted"}).to_string(),
        )
        .await;
    assert_eq!(status, 200, "{submitted}");
    for partner in &partners {
        wait_for("each partner to hear the outcome", DEADLINE, || async {
            invitation(partner).await["outcome"] == "submitted"
        })
        .await;
    }
    let watcher = &bystander.node;
    wait_for(
        "the bystander to hold the notice as submitted",
        DEADLINE,
        || async {
            notice_held(watcher, us, &id)
                .await
                .is_some_and(|n| n.status == NoticeStatus::Submitted)
        },
    )
    .await;
    let notice = notice_held(watcher, us, &id).await.unwrap();
    let mut named = notice.partners.clone();
    named.sort();
    let mut want = vec![founder.node.node.key(), design_key];
    want.sort();
    assert_eq!((notice.lead, named), (us, want));

    // The bystander got no bid message, no invitation, and no record it
    // holds carries the bid's rates as the messages encode them or its
    // words.
    let wire: [u8; 16] = hex::decode(&id).unwrap().try_into().unwrap();
    assert!(watcher.bid_messages(wire).await.unwrap().is_empty());
    assert!(watcher.invitations().await.unwrap().is_empty());
    let filter = coopnet_node::store::ListFilter {
        include_tombstones: true,
        limit: 1_000_000,
        ..Default::default()
    };
    let secrets: [&[u8]; 2] = [b"invoices the lead monthly", b"Our rate went up"];
    for record in watcher.store().list(filter).await.unwrap() {
        for secret in secrets {
            assert!(
                !record
                    .record
                    .bytes()
                    .windows(secret.len())
                    .any(|w| w == secret),
                "a record the bystander holds carries the bid's words"
            );
        }
    }

    lead.stop().await;
    for partner in [founder, design] {
        partner.stop().await;
    }
    bystander.node.shutdown().await;
}
