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
fn pages(a: &WebNode, b_key: &str, contract: &str) -> Vec<String> {
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
        "/invitations".to_owned(),
        "/no-such-page".to_owned(),
    ];
    pages.into_iter().map(|p| format!("{url}{p}")).collect()
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
    browser.login(&a).await;
    for (width, height) in [(390, 844), (1280, 900)] {
        browser.client.set_window_size(width, height).await.unwrap();
        for page in pages(&a, &b_key, &contract) {
            browser.client.goto(&page).await.unwrap();
            let (scroll, inner) = widths(&browser).await;
            assert!(
                scroll <= inner,
                "{page} at {width} px is {scroll} px wide (window {inner} px)"
            );
        }
    }
    // Remote text is isolated from what follows it.
    browser
        .client
        .goto(&format!("{}/coops/{b_key}", a.web.url()))
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
        "remote text is not isolated"
    );
    browser.close().await;
    b.stop().await;
    a.stop().await;
}
