//! Joint bids in a real headless Chromium (issue 17): from a contract's
//! page a bid manager builds a consortium, sets what the skills need,
//! starts a bid from the best team, edits a role and sees the totals and
//! warnings change; the pages fit a 390 px phone.

use std::time::Duration;

use coopnet_tests::federation::start_federation;
use coopnet_tests::{DEADLINE, wait_for};
use fantoccini::Locator;

use crate::bids::{OFFERS, contract_json, publish, web_around};
use crate::browser::Browser;
use crate::web::Api;

/// `scrollWidth` and `innerWidth` of the page shown.
pub(crate) async fn fits(browser: &Browser) -> bool {
    let value = browser
        .client
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    value[0].as_i64().unwrap() <= value[1].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bid_manager_builds_a_consortium_and_edits_a_bid_in_the_browser() {
    let Some(browser) = Browser::start("build a consortium").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut fed = start_federation(dir.path(), 2, None, Duration::from_secs(30)).await;
    for (node, offer) in fed.nodes.iter().zip(&OFFERS) {
        publish(&node.node, offer).await;
    }
    let lead = web_around(fed.nodes.remove(1)).await;
    let api = Api::new(&lead).await;
    let (status, added) = api
        .call("POST", "/api/v1/contracts", &contract_json())
        .await;
    assert_eq!(status, 201, "{added}");
    let contract = added["contract_id"].as_str().unwrap().to_owned();
    let suggestions = format!("/api/v1/contracts/{contract}/suggestions");
    wait_for(
        "the lead to see three co-ops' capacity",
        DEADLINE,
        || async { api.call("GET", &suggestions, "").await.1["candidates"] == 3 },
    )
    .await;

    let url = lead.web.url();
    browser.login(&lead).await;
    browser
        .client
        .goto(&format!("{url}/contracts/{contract}"))
        .await
        .unwrap();
    browser
        .client
        .find(Locator::LinkText("Build a consortium"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for("the builder's page", DEADLINE, || async {
        browser.text("h1").await == "Build a consortium"
    })
    .await;
    // The estimate (40 days a skill) is more than anyone has free.
    let heading = browser.text("#teams-h").await;
    assert_eq!(heading, "No team covers everything");

    for (i, days) in ["15", "10", "10"].iter().enumerate() {
        let css = format!(
            "form[action$='/needs'] tbody tr:nth-child({}) input[name=days]",
            i + 1
        );
        browser.fill(&css, days).await;
    }
    browser.submit("form[action$='/needs'] button").await;
    assert_eq!(
        browser.text("#teams-h").await,
        "Teams that cover everything"
    );
    let first = browser.text("ol.results > li").await;
    assert!(
        first.contains("3 co-ops · £21,000 · £39,000 under the value"),
        "{first}"
    );
    assert!(
        first.contains("Design Co-op") && first.contains("Founder Co-op"),
        "{first}"
    );
    browser.client.set_window_size(390, 844).await.unwrap();
    assert!(
        fits(&browser).await,
        "the builder scrolls sideways on a phone"
    );
    browser.client.set_window_size(1280, 1000).await.unwrap();

    browser
        .submit("ol.results > li:first-child form button")
        .await;
    let totals = browser.text("#totals-h + table + p").await;
    assert_eq!(totals, "35 days, £21,000: £39,000 under the value.");
    assert!(
        browser
            .client
            .find_all(Locator::Css("ul.warnings li"))
            .await
            .unwrap()
            .is_empty()
    );

    // Design Co-op's rate raised above its band.
    let rows = browser
        .client
        .find_all(Locator::Css("form[action^='/bids/'] tbody tr"))
        .await
        .unwrap();
    let mut edited = false;
    for (i, row) in rows.iter().enumerate() {
        if row.text().await.unwrap().contains("Design Co-op") {
            let css = format!(
                "form[action^='/bids/'] tbody tr:nth-child({}) input[name=rate]",
                i + 1
            );
            browser.fill(&css, "900").await;
            edited = true;
        }
    }
    assert!(edited, "no row for Design Co-op");
    browser
        .fill("textarea[name=notes]", "Kick-off in Leeds.\nWeekly calls.")
        .await;
    browser
        .submit("form[action^='/bids/'] button[type=submit]")
        .await;
    let notice = browser.text("p.notice").await;
    assert_eq!(notice, "Saved: version 2.");
    let warnings = browser.text("ul.warnings").await;
    assert!(
        warnings.contains(
            "Design Co-op's day rate of £900 is outside the band it published (£450–£550 a day)."
        ),
        "{warnings}"
    );
    let totals = browser.text("#totals-h + table + p").await;
    assert_eq!(totals, "35 days, £24,500: £35,500 under the value.");
    let history = browser.text("#history-h + ol").await;
    assert!(
        history.contains("Day rate of Design Co-op: 550 → 900"),
        "{history}"
    );
    assert!(history.contains("Notes changed"), "{history}");
    browser.client.set_window_size(390, 844).await.unwrap();
    assert!(
        fits(&browser).await,
        "the bid page scrolls sideways on a phone"
    );

    browser.close().await;
    lead.stop().await;
    for node in fed.nodes {
        node.node.shutdown().await;
    }
}
