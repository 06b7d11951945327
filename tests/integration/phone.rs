//! The pages on a phone, 390 × 844, and on a desktop, with the longest and
//! strangest text other co-ops can publish: no page scrolls sideways, every
//! piece of remote text is isolated, and long lists are cut into pages.

use coopnet_protocol::kinds::{Contract, Profile};
use coopnet_protocol::{Body, Kind, samples};
use coopnet_tests::{DEADLINE, wait_for};

use super::browser::Browser;
use super::web::WebNode;

/// A word no line can hold.
fn long_word(n: usize) -> String {
    "Zygomorphically".repeat(n / 15 + 1)[..n].to_owned()
}

/// Node B publishes a profile and many contracts full of long words and
/// bidi controls where the rules allow them.
async fn publish_hostile(b: &WebNode, contracts: usize) {
    let mut fields = samples::profile(7).into_fields();
    fields.name = long_word(120);
    fields.summary = format!("\u{202E}reversed summary {}", long_word(200));
    fields.description = format!("{}\nsecond line \u{202E}flipped", long_word(300));
    fields.website = Some(format!("https://example.org/{}", long_word(400)));
    fields.region = long_word(100);
    fields.tags = vec![long_word(50), "\u{05E9}\u{05DC}\u{05D5}\u{05DD}".to_owned()];
    let profile = Profile::parse(fields).expect("a valid profile");
    b.node
        .node
        .publish(Kind::Profile.code(), "", Some(Body::Profile(profile)), None)
        .await
        .expect("publish profile");
    for i in 0..contracts {
        let mut fields = samples::contract(i).into_fields();
        fields.title = format!("{} {i}", long_word(290));
        fields.buyer = long_word(200);
        fields.location = format!("\u{202E}{}", long_word(150));
        let contract = Contract::parse(fields).expect("a valid contract");
        b.node
            .node
            .publish(
                Kind::Contract.code(),
                &format!("long-{i}"),
                Some(Body::Contract(contract)),
                None,
            )
            .await
            .expect("publish contract");
    }
}

/// Every page a member sees, with one of each kind of item.
fn pages(a: &WebNode, b_key: &str, contract: &str, bid: &str) -> Vec<String> {
    let url = a.web.url();
    let pages = [
        "/".to_owned(),
        "/our-coop".to_owned(),
        "/partners?skills=JavaScript&match=any".to_owned(),
        format!("/coops/{b_key}"),
        "/contracts?status=all".to_owned(),
        format!("/contracts/{contract}"),
        format!("/contracts/{contract}/consortium"),
        "/bids".to_owned(),
        format!("/bids/{bid}"),
        "/invitations".to_owned(),
        "/network".to_owned(),
        "/network/coordinate".to_owned(),
        "/no-such-page".to_owned(),
    ];
    pages.into_iter().map(|p| format!("{url}{p}")).collect()
}

/// On A, a bid for B's contract with B in a role named by B's long text,
/// long notes and milestones; from B, an invitation to A whose every text
/// is long or reversed, naming twenty other co-ops. Returns the bid's id.
async fn hostile_bid(a: &WebNode, b: &WebNode, contract: &str) -> String {
    use coopnet_protocol::bidwire::{Body as Wire, Invite, OtherRole, SkillDays, Terms, Unsigned};
    let api = super::web::Api::new(a).await;
    let (us, them) = (a.node.node.key(), b.node.node.key());
    let role = |coop: coopnet_protocol::PublicKey| {
        serde_json::json!({"coop_key": coop.to_string(),
            "skills": [{"skill": long_word(100), "days": 10}], "day_rate": 500})
    };
    let body = serde_json::json!({"contract_id": contract, "roles": [role(us), role(them)],
        "milestones": [{"title": format!("\u{202E}{}", long_word(190)), "due": "2027-04-15"}],
        "notes": format!("{}\n\u{202E}flipped", long_word(300))});
    let (status, bid) = api.call("POST", "/api/v1/bids", &body.to_string()).await;
    assert_eq!(status, 201, "{bid}");
    let skills = || {
        vec![SkillDays {
            skill: long_word(100),
            days: 10,
        }]
    };
    let others = (1..=20)
        .map(|i| OtherRole {
            coop: coopnet_protocol::SecretKey::from_seed(&[i; 32]).public(),
            name: format!("\u{05E9}\u{05DC}\u{05D5}\u{05DD} {}", long_word(80)),
            skills: skills(),
            rate: Some(100_000),
        })
        .collect();
    let invite = Unsigned {
        bid: *b"hostile-invite-1",
        bid_version: 1,
        sender: them,
        recipient: us,
        seq: 0,
        sent_at: coopnet_node::clock::now(),
        body: Wire::Invite(Invite {
            contract_author: them,
            contract_key: "long-0".into(),
            title: format!("\u{202E}{}", long_word(290)),
            lead_name: long_word(100),
            currency: "GBP".into(),
            period: None,
            deadline: None,
            role: Terms {
                skills: skills(),
                rate: 100_000,
            },
            others,
            note: format!("{}\n\u{202E}flipped", long_word(2_000)),
        }),
    };
    b.node.node.queue_bid_message(invite).await.unwrap();
    wait_for("B's invitation to reach A", DEADLINE, || async {
        a.node.node.invitations().await.unwrap().len() == 1
    })
    .await;
    bid["bid_id"].as_str().unwrap().to_owned()
}

/// A invites B to the bid; B proposes other terms in long and reversed
/// text, which A's bid page shows among its partners. Returns the bid's
/// wire id.
async fn countered(a: &WebNode, b: &WebNode, bid_id: &str) -> [u8; 16] {
    use coopnet_bids::negotiation::RoleState;
    use coopnet_protocol::bidwire::{Answer, SkillDays, Terms};
    let note = format!("{}\n\u{202E}flipped", long_word(500));
    let bid = a
        .node
        .node
        .invite_partners(bid_id, &note, true, "admin")
        .await
        .unwrap();
    let wire = bid.wire_id().unwrap();
    wait_for("A's invitation at B", DEADLINE, || async {
        b.node
            .node
            .invitations()
            .await
            .unwrap()
            .iter()
            .any(|i| i.bid == wire)
    })
    .await;
    let counter = Answer::Counter {
        terms: Terms {
            skills: vec![SkillDays {
                skill: long_word(100),
                days: 10_000,
            }],
            rate: 100_000,
        },
        message: format!("\u{202E}{}\n{}", long_word(300), long_word(2_000)),
    };
    b.node.node.answer_invitation(wire, counter).await.unwrap();
    wait_for("B's counter-offer at A", DEADLINE, || async {
        let n = a.node.node.negotiation(wire).await.unwrap();
        matches!(n.roles.values().next(), Some(RoleState::Countered { .. }))
    })
    .await;
    wire
}

/// B accepts after all and A freezes the bid with long, reversed terms:
/// the printable summary exists.
async fn frozen(a: &WebNode, b: &WebNode, bid_id: &str, wire: [u8; 16]) {
    use coopnet_protocol::bidwire::Answer;
    b.node
        .node
        .answer_invitation(wire, Answer::Accept)
        .await
        .unwrap();
    wait_for("B's acceptance at A", DEADLINE, || async {
        a.node
            .node
            .negotiation(wire)
            .await
            .unwrap()
            .ready_to_freeze()
    })
    .await;
    let terms = format!("\u{202E}{}\n{}", long_word(400), long_word(3_000));
    a.node.node.freeze_bid(bid_id, &terms).await.unwrap();
}

/// B revises its hostile bid without A: A's invitation is over ("removed").
/// Returns the invitation's id as the page shows it.
async fn left_out(a: &WebNode, b: &WebNode) -> String {
    use coopnet_protocol::bidwire::{Body as Wire, Outcome, Unsigned};
    let bid = *b"hostile-invite-1";
    let removed = Unsigned {
        bid,
        bid_version: 2,
        sender: b.node.node.key(),
        recipient: a.node.node.key(),
        seq: 0,
        sent_at: coopnet_node::clock::now(),
        body: Wire::Outcome(Outcome::Removed),
    };
    b.node.node.queue_bid_message(removed).await.unwrap();
    wait_for("A to be told it was left out", DEADLINE, || async {
        a.node.node.invitations().await.unwrap()[0].outcome == Some(Outcome::Removed)
    })
    .await;
    hex::encode(bid)
}

/// `scrollWidth` and `innerWidth` of the page shown.
async fn widths(browser: &Browser) -> (i64, i64) {
    let value = browser
        .client
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    (value[0].as_i64().unwrap(), value[1].as_i64().unwrap())
}

#[tokio::test]
async fn no_page_scrolls_sideways_on_a_phone_or_a_desktop_whatever_others_publish() {
    let Some(browser) = Browser::start("no page scrolls sideways").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = WebNode::pair(dir.path()).await;
    const CONTRACTS: usize = 80;
    publish_hostile(&b, CONTRACTS).await;
    let node = &a.node.node;
    wait_for("B's records to reach A", DEADLINE, || async {
        let counts = node.store().counts().await.unwrap();
        counts
            .by_kind
            .get(&Kind::Contract.code())
            .copied()
            .unwrap_or(0)
            >= CONTRACTS as u64
    })
    .await;
    let b_key = b.node.node.key().to_string();
    let contract = format!("{b_key}-long-0");
    let bid = hostile_bid(&a, &b, &contract).await;
    let wire = countered(&a, &b, &bid).await;
    browser.login(&a).await;
    for (width, height) in [(390, 844), (1280, 900)] {
        browser.client.set_window_size(width, height).await.unwrap();
        for page in pages(&a, &b_key, &contract, &bid) {
            browser.client.goto(&page).await.unwrap();
            let (scroll, inner) = widths(&browser).await;
            assert!(
                scroll <= inner,
                "{page} at {width} px is {scroll} px wide (window {inner} px)"
            );
        }
    }
    // The frozen bid's printable summary, with B's long name and skills
    // and the long, reversed terms.
    frozen(&a, &b, &bid, wire).await;
    let summary = format!("{}/bids/{bid}/summary", a.web.url());
    for (width, height) in [(390, 844), (1280, 900)] {
        browser.client.set_window_size(width, height).await.unwrap();
        browser.client.goto(&summary).await.unwrap();
        let (scroll, inner) = widths(&browser).await;
        assert!(
            scroll <= inner,
            "{summary} at {width} px is {scroll} px wide (window {inner} px)"
        );
    }
    // B leaves A out of its bid: the invitation, still full of B's long
    // and reversed text, says so and offers nothing to answer; it fits.
    let over = left_out(&a, &b).await;
    let invitations = format!("{}/invitations", a.web.url());
    for (width, height) in [(390, 844), (1280, 900)] {
        browser.client.set_window_size(width, height).await.unwrap();
        browser.client.goto(&invitations).await.unwrap();
        let (scroll, inner) = widths(&browser).await;
        assert!(
            scroll <= inner,
            "{invitations} (left out) at {width} px is {scroll} px wide (window {inner} px)"
        );
        let html = browser.client.source().await.unwrap();
        assert!(
            html.contains("revised the bid without our co-op"),
            "the page says A was left out"
        );
        assert!(
            !html.contains(&format!("/invitations/{over}/answer")),
            "nothing to answer once left out"
        );
    }
    // Remote text is isolated from what follows it.
    for page in [
        format!("/coops/{b_key}"),
        "/invitations".to_owned(),
        "/network".to_owned(),
        format!("/bids/{bid}/summary"),
    ] {
        browser
            .client
            .goto(&format!("{}{page}", a.web.url()))
            .await
            .unwrap();
        let isolated = browser
            .client
            .execute(
                "return [...document.querySelectorAll('main bdi, main [dir=auto]')]
                     .every(e => getComputedStyle(e).unicodeBidi === 'isolate');",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            isolated,
            serde_json::Value::Bool(true),
            "remote text is not isolated on {page}"
        );
    }
    browser.close().await;
    b.stop().await;
    a.stop().await;
}
