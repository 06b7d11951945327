//! The network dashboard and coordinators (issue 19) on a real
//! four-node federation: every node beats once a second; the dashboard
//! (in headless Chromium) shows four online, then the stopped one offline
//! within two beats and a few seconds; the supply-against-demand table and
//! the capacity chart's data table are checked against figures worked out
//! by hand from what the co-ops published; a coordinator admits a new
//! co-op from the web app and its records reach everyone; a member
//! without the coordinator role is refused (403) and sees no admit form.

use std::time::{Duration, Instant};

use coopnet::web::users;
use coopnet_node::Node;
use coopnet_node::dashboard::weekly::monday_of;
use coopnet_node::store::Role as UserRole;
use coopnet_protocol::kinds::{
    Capacity, CapacityFields, CapacityWindow, Contract, ContractStatus, Profile, RateBand,
    SkillEntry, SkillLevel, Skills, SkillsFields, WorkMode,
};
use coopnet_protocol::{Body, Day, Kind, samples};
use coopnet_tests::federation::{prepare_member, start_federation, start_prepared};
use coopnet_tests::{DEADLINE, wait_for};
use serde_json::Value;

use crate::bids::web_around;
use crate::browser::Browser;
use crate::web::{Api, PASSWORD};

fn day(days: i64) -> Day {
    Day::from_days(days as i32).unwrap()
}

/// Publishes a profile in `region`, one skill (headcount 2) and one
/// window of `days` person-days over `[from, to]` (days since 1970).
async fn offer(
    node: &Node,
    name: &str,
    region: &str,
    skill: &str,
    window: Option<(i64, i64, u32)>,
) {
    let mut profile = samples::profile(1).into_fields();
    profile.name = name.to_owned();
    profile.region = region.to_owned();
    let skills = SkillsFields {
        entries: vec![SkillEntry {
            name: skill.to_owned(),
            concept: None,
            level: SkillLevel::Proficient,
            headcount: 2,
        }],
    };
    let windows = window
        .map(|(from, to, days)| CapacityWindow {
            from: day(from),
            to: day(to),
            person_days: days,
            rate: RateBand {
                min: 400,
                max: 500,
                currency: "GBP".into(),
            },
            mode: WorkMode::Remote,
            skills: Vec::new(),
        })
        .into_iter()
        .collect();
    for (kind, body) in [
        (
            Kind::Profile,
            Body::Profile(Profile::parse(profile).unwrap()),
        ),
        (Kind::Skills, Body::Skills(Skills::parse(skills).unwrap())),
        (
            Kind::Capacity,
            Body::Capacity(Capacity::parse(CapacityFields { windows }).unwrap()),
        ),
    ] {
        node.publish(kind.code(), "", Some(body), None)
            .await
            .unwrap();
    }
}

async fn contract(node: &Node, key: &str, skills: &[&str], status: ContractStatus) {
    let mut fields = samples::contract(1).into_fields();
    fields.required_skills = skills.iter().map(|s| (*s).to_owned()).collect();
    fields.status = status;
    let body = Body::Contract(Contract::parse(fields).unwrap());
    node.publish(Kind::Contract.code(), key, Some(body), None)
        .await
        .unwrap();
}

fn rows(v: &Value, list: &str) -> Vec<Value> {
    v[list].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_who_is_online_what_is_scarce_and_when_coops_are_free() {
    let Some(browser) = Browser::start("the network dashboard").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut fed = start_federation(dir.path(), 3, None, Duration::from_secs(30)).await;
    let today = coopnet_node::dashboard::today();
    let monday = monday_of(today);
    let weekday = today - monday;
    // A: PostgreSQL, 28 days over weeks 2–3, in Yorkshire. B: Rust, 10
    // days in week 5. C: UX, 14 days over weeks 12–13. D: nothing.
    let (a, b, c) = (&fed.nodes[0].node, &fed.nodes[1].node, &fed.nodes[2].node);
    offer(
        a,
        "Aire Co-op",
        "Yorkshire",
        "PostgreSQL",
        Some((monday + 14, monday + 27, 28)),
    )
    .await;
    offer(
        b,
        "Brick Co-op",
        "London",
        "Rust",
        Some((monday + 35, monday + 41, 10)),
    )
    .await;
    offer(
        c,
        "Calder Co-op",
        "London",
        "user experience design",
        Some((monday + 84, monday + 97, 14)),
    )
    .await;
    contract(b, "c1", &["Rust", "PostgreSQL"], ContractStatus::Open).await;
    contract(
        b,
        "c2",
        &["Rust", "user experience design"],
        ContractStatus::Open,
    )
    .await;
    contract(b, "c3", &["COBOL"], ContractStatus::Closed).await;
    for node in &fed.nodes {
        Node::spawn_heartbeat(&node.node);
    }
    let founder = web_around(fed.nodes.remove(0)).await;
    let api = Api::new(&founder).await;

    // Supply against demand, as worked out by hand: Rust is asked by two
    // contracts and has 10 free days (5 per contract), UX 14, PostgreSQL 28;
    // COBOL's contract is closed. In three months: all of Rust's and
    // PostgreSQL's, and of UX's window (1 a day from day 84 of the week
    // grid) the days up to today + 90.
    wait_for(
        "every offer and contract at the founder",
        DEADLINE,
        || async {
            let (_, s) = api.call("GET", "/api/v1/network/supply", "").await;
            rows(&s, "skills")
                .iter()
                .map(|r| r["days_6_months"].as_f64().unwrap_or(0.0))
                .sum::<f64>()
                == 52.0
        },
    )
    .await;
    let (_, s) = api.call("GET", "/api/v1/network/supply", "").await;
    let lines: Vec<(String, u64, u64, u64, f64, f64)> = rows(&s, "skills")
        .iter()
        .map(|r| {
            (
                r["skill"].as_str().unwrap().to_owned(),
                r["contracts"].as_u64().unwrap(),
                r["coops"].as_u64().unwrap(),
                r["headcount"].as_u64().unwrap(),
                r["days_3_months"].as_f64().unwrap(),
                r["days_6_months"].as_f64().unwrap(),
            )
        })
        .collect();
    let ux_3m = (weekday + 7) as f64;
    assert_eq!(
        lines,
        [
            ("Rust".to_owned(), 2, 1, 2, 10.0, 10.0),
            ("user experience design".to_owned(), 1, 1, 2, ux_3m, 14.0),
            ("PostgreSQL".to_owned(), 1, 1, 2, 28.0, 28.0),
        ],
        "{s}"
    );

    // Capacity per week: A's 14 + 14 in weeks 2 and 3, B's 10 in week 5,
    // C's 7 + 7 in weeks 12 and 13; by region and by skill.
    let weeks = |v: Value| -> Vec<f64> {
        rows(&v, "weeks")
            .iter()
            .map(|w| w["days"].as_f64().unwrap())
            .collect()
    };
    let mut want = vec![0.0; 26];
    (want[2], want[3], want[5], want[12], want[13]) = (14.0, 14.0, 10.0, 7.0, 7.0);
    let (_, all) = api.call("GET", "/api/v1/network/capacity", "").await;
    assert_eq!(rows(&all, "weeks")[0]["week_of"], day(monday).to_string());
    assert_eq!(weeks(all), want);
    let (_, yorkshire) = api
        .call("GET", "/api/v1/network/capacity?region=yorkshire", "")
        .await;
    let mut only_a = vec![0.0; 26];
    (only_a[2], only_a[3]) = (14.0, 14.0);
    assert_eq!(weeks(yorkshire), only_a);
    let (_, rust) = api
        .call("GET", "/api/v1/network/capacity?skill=Rust", "")
        .await;
    let mut only_b = vec![0.0; 26];
    only_b[5] = 10.0;
    assert_eq!(weeks(rust), only_b);

    // In the browser: four online; the chart's table matches.
    let url = founder.web.url();
    browser.login(&founder).await;
    wait_for("four nodes online on the dashboard", DEADLINE, || async {
        browser
            .client
            .goto(&format!("{url}/network"))
            .await
            .unwrap();
        browser.text("#online-count").await == "4 online"
    })
    .await;
    let table = browser
        .client
        .execute(
            "return [...document.querySelectorAll('#capacity tbody tr')].map(r => r.cells[1].textContent);",
            vec![],
        )
        .await
        .unwrap();
    let shown: Vec<f64> = table
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(shown, want);
    let bars = browser
        .client
        .execute(
            "return document.querySelectorAll('svg.chart rect.bar').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(bars, 26);
    let supply = browser.text("#supply tbody tr:first-child").await;
    assert!(supply.starts_with("Rust"), "{supply}");

    // One node stops: offline within two beats (2 s) and a few seconds.
    let stopped = fed.nodes.pop().unwrap();
    stopped.node.shutdown().await;
    let at = Instant::now();
    wait_for(
        "the stopped node offline on the dashboard",
        DEADLINE,
        || async {
            browser
                .client
                .goto(&format!("{url}/network"))
                .await
                .unwrap();
            browser.text("#offline-count").await == "1 offline"
        },
    )
    .await;
    let took = at.elapsed();
    assert!(took < Duration::from_secs(6), "offline after {took:?}");
    assert_eq!(browser.text("#online-count").await, "3 online");

    // A member without the coordinator role: no admit form, 403.
    users::add_user(
        founder.node.node.store(),
        "mel",
        PASSWORD,
        UserRole::Member,
        false,
    )
    .await
    .unwrap();
    let token = users::create_token(founder.node.node.store(), "mel", "t")
        .await
        .unwrap();
    let member = Api::at(founder.web.url(), token);
    let (status, page) = member.call("GET", "/network", "").await;
    assert_eq!(status, 200);
    let page = page.as_str().unwrap();
    assert!(page.contains("4 online") || page.contains("3 online"));
    assert!(!page.contains("/network/coordinate") && !page.contains("id=\"admit\""));
    let (status, _) = member.call("GET", "/network/coordinate", "").await;
    assert_eq!(status, 403);
    let (status, refused) = member
        .call("POST", "/api/v1/network/admit", r#"{"join_code": "x"}"#)
        .await;
    assert_eq!(status, 403, "{refused}");
    let (status, _) = member.call("GET", "/api/v1/network/events", "").await;
    assert_eq!(status, 403);

    // The coordinator admits a new co-op from the web app; its records
    // then reach every member.
    let newcomer_dir = dir.path().join("newcomer");
    let key = prepare_member(&newcomer_dir, "Newcomer Co-op", &fed.file);
    let newcomer = start_prepared(
        &newcomer_dir,
        std::slice::from_ref(&founder.node.addr),
        Duration::from_secs(60),
    )
    .await;
    offer(&newcomer.node, "Newcomer Co-op", "Wales", "Go", None).await;
    wait_for(
        "the newcomer listed as trying to join",
        DEADLINE,
        || async {
            browser
                .client
                .goto(&format!("{url}/network/coordinate"))
                .await
                .unwrap();
            browser.text("main").await.contains(&key.to_string())
        },
    )
    .await;
    browser
        .fill(
            "input[name=join_code]",
            &coopnet_node::genesis::join_code(&key, "Newcomer Co-op"),
        )
        .await;
    browser.submit("#admit button").await;
    assert!(browser.text("p.notice").await.starts_with("Admitted"));
    for node in fed
        .nodes
        .iter()
        .map(|n| &n.node)
        .chain([&founder.node.node])
    {
        wait_for(
            "the newcomer's profile on every member",
            DEADLINE,
            || async {
                node.store()
                    .current(key, Kind::Profile.code(), String::new())
                    .await
                    .unwrap()
                    .is_some()
            },
        )
        .await;
    }
    let (_, events) = api.call("GET", "/api/v1/network/events", "").await;
    assert!(
        rows(&events, "events")
            .iter()
            .any(|e| e["kind"] == "admitted" && e["coop_key"] == key.to_string()),
        "{events}"
    );

    browser.close().await;
    newcomer.node.shutdown().await;
    founder.stop().await;
    for node in fed.nodes {
        node.node.shutdown().await;
    }
}
