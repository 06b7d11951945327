//! Joint bids, part 1 (issue 17), on real nodes: a federation whose co-ops
//! publish skills and capacity from their own nodes; the lead's bid
//! manager asks its node's API which teams could cover a contract, turns
//! the best into a bid, edits a role and sees the totals and warnings
//! change. A revoked co-op is never suggested nor accepted in a role, and
//! bad input gets a 4xx naming the field with nothing stored.

use std::sync::Arc;
use std::time::Duration;

use coopnet::web::users;
use coopnet_node::Node;
use coopnet_node::store::Role;
use coopnet_protocol::kinds::{
    Capacity, CapacityFields, CapacityWindow, Profile, RateBand, SkillEntry, SkillLevel, Skills,
    SkillsFields, WorkMode,
};
use coopnet_protocol::taxonomy::Taxonomy;
use coopnet_protocol::{Body, Day, Kind, PublicKey};
use coopnet_tests::federation::start_federation;
use coopnet_tests::{DEADLINE, TestNode, wait_for};
use serde_json::{Value, json};

use crate::web::{Api, PASSWORD, WebNode};

/// What one co-op publishes: its name, skills, and one capacity window
/// in March to May 2027 (days, rate band in pounds).
pub struct Offer {
    pub name: &'static str,
    pub skills: &'static [&'static str],
    pub days: u32,
    pub rate: (u32, u32),
}

fn day(text: &str) -> Day {
    text.parse().unwrap()
}

/// Publishes `offer` from `node`: profile, skills and capacity.
pub async fn publish(node: &Node, offer: &Offer) {
    let mut profile = coopnet_protocol::samples::profile(1).into_fields();
    profile.name = offer.name.to_owned();
    let profile = Profile::parse(profile).unwrap();
    let mut skills = SkillsFields {
        entries: offer
            .skills
            .iter()
            .map(|name| SkillEntry {
                name: (*name).to_owned(),
                concept: None,
                level: SkillLevel::Proficient,
                headcount: 2,
            })
            .collect(),
    };
    Taxonomy::esco().link(&mut skills);
    let capacity = CapacityFields {
        windows: vec![CapacityWindow {
            from: day("2027-03-01"),
            to: day("2027-05-31"),
            person_days: offer.days,
            rate: RateBand {
                min: offer.rate.0,
                max: offer.rate.1,
                currency: "GBP".into(),
            },
            mode: WorkMode::Hybrid,
            skills: Vec::new(),
        }],
    };
    for (kind, body) in [
        (Kind::Profile, Body::Profile(profile)),
        (Kind::Skills, Body::Skills(Skills::parse(skills).unwrap())),
        (
            Kind::Capacity,
            Body::Capacity(Capacity::parse(capacity).unwrap()),
        ),
    ] {
        node.publish(kind.code(), "", Some(body), None)
            .await
            .unwrap();
    }
}

/// A web server around a node already running, with an admin.
pub async fn web_around(node: TestNode) -> WebNode {
    users::add_user(node.node.store(), "admin", PASSWORD, Role::Admin, true)
        .await
        .unwrap();
    let web = coopnet::web::serve(Arc::clone(&node.node), "127.0.0.1:0")
        .await
        .unwrap();
    WebNode { node, web }
}

/// The contract the lead publishes: three skills, £60,000, March to May.
pub fn contract_json() -> String {
    json!({
        "key": "cms-rebuild",
        "title": "Rebuild of the housing association's tenant portal",
        "buyer": "Riverside Housing",
        "description": "A new tenant portal.\nAccessible, fast, maintained.",
        "required_skills": ["Rust", "user experience design", "PostgreSQL"],
        "value": {"amount": 6_000_000, "currency": "GBP"},
        "starts": "2027-03-01",
        "ends": "2027-05-31",
        "location": "Leeds"
    })
    .to_string()
}

fn keys(team: &Value) -> Vec<String> {
    team["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["coop_key"].as_str().unwrap().to_owned())
        .collect()
}

fn warning_kinds(bid: &Value) -> Vec<String> {
    bid["totals"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// The federation of the test: founder and members 0–2 publish; member 2
/// (the cheapest, with two of the skills) is then revoked; member 0 leads.
pub const OFFERS: [Offer; 4] = [
    Offer {
        name: "Founder Co-op",
        skills: &["PostgreSQL"],
        days: 25,
        rate: (550, 650),
    },
    Offer {
        name: "Lead Co-op",
        skills: &["Rust"],
        days: 20,
        rate: (500, 600),
    },
    Offer {
        name: "Design Co-op",
        skills: &["user experience design"],
        days: 30,
        rate: (450, 550),
    },
    Offer {
        name: "Gone Co-op",
        skills: &["PostgreSQL", "user experience design"],
        days: 60,
        rate: (300, 350),
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bid_manager_builds_a_consortium_and_a_bid_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let mut fed = start_federation(dir.path(), 3, None, Duration::from_secs(30)).await;
    for (node, offer) in fed.nodes.iter().zip(&OFFERS) {
        publish(&node.node, offer).await;
    }
    let gone: PublicKey = fed.nodes[3].node.key();
    let founder: PublicKey = fed.nodes[0].node.key();
    let design: PublicKey = fed.nodes[2].node.key();
    let lead_node = fed.nodes.remove(1);
    let us = lead_node.node.key();
    let lead = web_around(lead_node).await;
    let api = Api::new(&lead).await;
    let (status, added) = api
        .call("POST", "/api/v1/contracts", &contract_json())
        .await;
    assert_eq!(status, 201, "{added}");
    let contract = added["contract_id"].as_str().unwrap().to_owned();
    let suggestions = format!("/api/v1/contracts/{contract}/suggestions");

    // Everyone's offers reach the lead.
    wait_for(
        "the lead to see four co-ops' capacity",
        DEADLINE,
        || async {
            let (_, s) = api.call("GET", &suggestions, "").await;
            s["candidates"] == 4
        },
    )
    .await;
    // The needs: set for two skills, estimated for the third.
    let needs = json!({"needs": [{"skill": "Rust", "days": 15}, {"skill": "user experience design", "days": 10}]});
    let (status, set) = api
        .call(
            "PUT",
            &format!("/api/v1/contracts/{contract}/needs"),
            &needs.to_string(),
        )
        .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["needs"][0]["basis"], "set", "{set}");
    assert_eq!(set["needs"][2]["basis"], "estimate", "{set}");
    // £60,000 over 3 skills at the median of the bands' tops (£350, £550,
    // £600, £650: the lower middle one, £550).
    assert_eq!(set["needs"][2]["days"], 60_000 / 3 / 550, "{set}");
    let needs = json!({"needs": [
        {"skill": "Rust", "days": 15},
        {"skill": "user experience design", "days": 10},
        {"skill": "PostgreSQL", "days": 10}
    ]});
    api.call(
        "PUT",
        &format!("/api/v1/contracts/{contract}/needs"),
        &needs.to_string(),
    )
    .await;

    // With Gone Co-op, two co-ops suffice; then it is revoked.
    let (_, before) = api.call("GET", &suggestions, "").await;
    assert_eq!(
        keys(&before["teams"][0]),
        [us.to_string(), gone.to_string()],
        "{before}"
    );
    fed.nodes[0]
        .node
        .revoke(gone, "left the federation")
        .await
        .unwrap();
    wait_for("the lead to count the revocation", DEADLINE, || async {
        lead.node
            .node
            .gate()
            .view()
            .is_some_and(|v| v.is_revoked(&gone))
    })
    .await;

    let (status, found) = api.call("GET", &suggestions, "").await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["with_us"], true, "we have Rust: {found}");
    assert_eq!(found["covered"], true, "{found}");
    let teams = found["teams"].as_array().unwrap();
    assert!(!teams.is_empty());
    for team in teams {
        assert!(
            !keys(team).contains(&gone.to_string()),
            "a revoked co-op suggested: {team}"
        );
    }
    let best = &teams[0];
    let mut members = keys(best);
    members.sort();
    let mut want = vec![us.to_string(), design.to_string(), founder.to_string()];
    want.sort();
    assert_eq!(members, want, "{best}");
    // Each at the top of its band: 15 × 600 + 10 × 550 + 10 × 650.
    assert_eq!(best["cost"], 21_000, "{best}");
    assert_eq!(best["margin"], 6_000_000 - 2_100_000, "{best}");
    assert_eq!(best["members"][0]["us"], true, "ours first: {best}");

    // Turned into a bid.
    let body =
        json!({"contract_id": contract, "roles": best["roles"], "notes": "First line\r\nSecond"});
    let (status, bid) = api.call("POST", "/api/v1/bids", &body.to_string()).await;
    assert_eq!(status, 201, "{bid}");
    assert_eq!(bid["status"], "draft");
    assert_eq!(bid["notes"], "First line\nSecond");
    assert_eq!(bid["totals"]["cost"], 21_000, "{bid}");
    assert_eq!(warning_kinds(&bid), Vec::<String>::new(), "{bid}");
    let bid_id = bid["bid_id"].as_str().unwrap().to_owned();

    // A role edited: more days and a rate above the co-op's band.
    let mut roles = bid["roles"].as_array().unwrap().clone();
    let design_role = roles
        .iter_mut()
        .find(|r| r["coop_key"] == design.to_string())
        .unwrap();
    design_role["skills"][0]["days"] = 40.into();
    design_role["day_rate"] = 900.into();
    let roles: Vec<Value> = roles
        .iter()
        .map(|r| json!({"coop_key": r["coop_key"], "skills": r["skills"], "day_rate": r["day_rate"]}))
        .collect();
    let update = json!({"version": 1, "roles": roles});
    let (status, edited) = api
        .call(
            "PUT",
            &format!("/api/v1/bids/{bid_id}"),
            &update.to_string(),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["version"], 2);
    assert_eq!(
        edited["totals"]["cost"],
        15 * 600 + 40 * 900 + 10 * 650,
        "{edited}"
    );
    assert_eq!(
        warning_kinds(&edited),
        ["rate_outside_band", "over_capacity"],
        "{edited}"
    );
    let texts: Vec<&str> = edited["totals"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["text"].as_str().unwrap())
        .collect();
    assert!(
        texts[0].contains("£900") && texts[0].contains("£450–£550 a day"),
        "{texts:?}"
    );
    assert!(
        texts[1].contains("40 days") && texts[1].contains("30 free days"),
        "{texts:?}"
    );

    // The same change again on the old version is a conflict.
    let (status, stale) = api
        .call(
            "PUT",
            &format!("/api/v1/bids/{bid_id}"),
            &update.to_string(),
        )
        .await;
    assert_eq!(status, 409, "{stale}");

    // Statuses: only the moves the bid's life allows.
    let (status, refused) = api
        .call(
            "POST",
            &format!("/api/v1/bids/{bid_id}/status"),
            r#"{"version": 2, "status": "won"}"#,
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    let (status, moved) = api
        .call(
            "POST",
            &format!("/api/v1/bids/{bid_id}/status"),
            r#"{"version": 2, "status": "inviting"}"#,
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["status"], "inviting");

    let (_, history) = api
        .call("GET", &format!("/api/v1/bids/{bid_id}/history"), "")
        .await;
    let versions = history["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 3, "{history}");
    assert_eq!(versions[1]["by"], "admin");
    let changes = versions[1]["changes"].to_string();
    assert!(
        changes.contains("Day rate of Design Co-op: 550 → 900"),
        "{changes}"
    );
    assert!(changes.contains("10 → 40 days"), "{changes}");
    assert_eq!(versions[2]["changes"][0], "Status: draft → inviting");

    bad_input(&api, &contract, &bid_id, gone).await;

    lead.stop().await;
    for node in fed.nodes {
        node.node.shutdown().await;
    }
}

/// Bad requests: each a clear 4xx naming what is wrong, nothing stored.
async fn bad_input(api: &Api, contract: &str, bid_id: &str, revoked: PublicKey) {
    let role = |coop: &str, days: i64, rate: i64| json!({"contract_id": contract, "roles": [{"coop_key": coop, "skills": [{"skill": "Rust", "days": days}], "day_rate": rate}]});
    let stranger = coopnet_protocol::SecretKey::from_seed(&[77; 32])
        .public()
        .to_string();
    let ours = api.call("GET", "/api/v1/status", "").await.1["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let unknown = format!("{}-nothing", "ab".repeat(32));
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"contract_id": unknown, "roles": []}),
            422,
            "contract_id",
        ),
        (role(&stranger, 5, 500), 422, "roles[0].coop_key"),
        (role(&revoked.to_string(), 5, 500), 422, "roles[0].coop_key"),
        (role("not-a-key", 5, 500), 422, "roles[0].coop_key"),
        (role(&ours, -3, 500), 422, "roles[0].skills[0].days"),
        (role(&ours, 0, 500), 422, "roles[0].skills[0].days"),
        (role(&ours, 5, 1_000_000_000), 422, "roles[0].day_rate"),
        (role(&ours, 5, 0), 422, "roles[0].day_rate"),
    ];
    for (body, status, field) in cases {
        let (got, answer) = api.call("POST", "/api/v1/bids", &body.to_string()).await;
        assert_eq!(
            (got, answer["field"].as_str()),
            (status, Some(field)),
            "{body}: {answer}"
        );
        assert!(
            answer["error"].as_str().unwrap().starts_with(field),
            "{answer}"
        );
    }
    let (status, _) = api.call("POST", "/api/v1/bids", "{not json").await;
    assert_eq!(status, 400);
    let (status, missing) = api
        .call(
            "GET",
            &format!("/api/v1/contracts/{unknown}/suggestions"),
            "",
        )
        .await;
    assert_eq!(status, 404, "{missing}");
    let (status, _) = api
        .call("GET", &format!("/api/v1/bids/{}", "0".repeat(32)), "")
        .await;
    assert_eq!(status, 404);
    let (status, bad) = api
        .call(
            "GET",
            &format!("/api/v1/contracts/{contract}/suggestions?max_team=9"),
            "",
        )
        .await;
    assert_eq!(
        (status, bad["field"].as_str()),
        (422, Some("max_team")),
        "{bad}"
    );
    let needs = json!({"needs": [{"skill": "Cobol", "days": 3}]});
    let (status, bad) = api
        .call(
            "PUT",
            &format!("/api/v1/contracts/{contract}/needs"),
            &needs.to_string(),
        )
        .await;
    assert_eq!(
        (status, bad["field"].as_str()),
        (422, Some("needs[0].skill")),
        "{bad}"
    );
    let other_version = json!({"version": 3, "roles": [{"coop_key": stranger, "skills": [{"skill": "Rust", "days": 1}], "day_rate": 5}]});
    let (status, _) = api
        .call(
            "PUT",
            &format!("/api/v1/bids/{bid_id}"),
            &other_version.to_string(),
        )
        .await;
    assert_eq!(
        status, 422,
        "a non-member refused before the version is looked at"
    );
    // Nothing of it was stored.
    let (_, list) = api.call("GET", "/api/v1/bids", "").await;
    assert_eq!(list["total"], 1, "{list}");
    let (_, bid) = api.call("GET", &format!("/api/v1/bids/{bid_id}"), "").await;
    assert_eq!(bid["version"], 3, "{bid}");
}
