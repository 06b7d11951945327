//! A joint bid negotiated in a real headless Chromium on two nodes
//! (issue 18): the lead's bid manager (at `localhost`) invites, sees the
//! partner's counter-offer arrive without reloading (server-sent events),
//! takes it, freezes the bid once accepted and, when the partner signed,
//! prints the summary, downloads the roles and records the outcome; the
//! partner's member (at `127.0.0.1`, in a second window) sees the
//! invitation on Home and the Invitations page, counters, accepts, reads
//! and signs the document, and learns the outcome.

use std::time::Duration;

use coopnet_protocol::PublicKey;
use coopnet_tests::federation::start_federation;
use coopnet_tests::{DEADLINE, wait_for};
use fantoccini::Locator;
use serde_json::json;

use crate::bids::{OFFERS, contract_json, publish, web_around};
use crate::bids_browser::fits;
use crate::browser::Browser;
use crate::web::Api;

/// Waits until the page shown (reloaded by its own script, not by the
/// test) says `what`.
async fn live(browser: &Browser, what: &str) {
    let script = "return document.querySelector('main').innerText;";
    wait_for(what, DEADLINE, || async {
        let shown = browser.client.execute(script, vec![]).await;
        shown.is_ok_and(|t| t.as_str().is_some_and(|t| t.contains(what)))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_and_a_partner_agree_a_bid_in_the_browser() {
    let Some(browser) = Browser::start("negotiate a bid").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut fed = start_federation(dir.path(), 2, None, Duration::from_secs(30)).await;
    for (node, offer) in fed.nodes.iter().zip(&OFFERS) {
        publish(&node.node, offer).await;
    }
    let partner = web_around(fed.nodes.pop().unwrap()).await;
    let lead = web_around(fed.nodes.pop().unwrap()).await;
    let api = Api::new(&lead).await;
    let (us, them): (PublicKey, PublicKey) = (lead.node.node.key(), partner.node.node.key());
    let (_, added) = api
        .call("POST", "/api/v1/contracts", &contract_json())
        .await;
    let role = |coop: PublicKey, skill: &str, days: u32, rate: u32| json!({"coop_key": coop.to_string(), "skills": [{"skill": skill, "days": days}], "day_rate": rate});
    let body = json!({"contract_id": added["contract_id"], "roles": [
        role(us, "Rust", 15, 600), role(them, "user experience design", 10, 550)]});
    let (_, bid) = api.call("POST", "/api/v1/bids", &body.to_string()).await;
    let id = bid["bid_id"].as_str().unwrap().to_owned();

    // The lead invites from the bid's page.
    let lead_url = lead.web.url().replace("127.0.0.1", "localhost");
    let partner_url = partner.web.url();
    let c = &browser.client;
    let lead_window = c.window().await.unwrap();
    browser.login_at(&lead_url).await;
    c.goto(&format!("{lead_url}/bids/{id}")).await.unwrap();
    browser
        .fill("textarea[name=note]", "Kick-off in Leeds.\nWeekly calls.")
        .await;
    browser.submit("form[action$='/invite'] button").await;
    assert!(
        browser
            .text("p.notice")
            .await
            .starts_with("Invitations sent"),
        "{}",
        browser.text("main").await
    );
    assert!(
        browser
            .text("#partners")
            .await
            .contains("Invited, no answer yet")
    );

    // The partner, in another window, finds it on Home and counters.
    let second = c.new_window(false).await.unwrap();
    c.switch_to_window(second.handle.clone()).await.unwrap();
    browser.login_at(&partner_url).await;
    wait_for("the invitation on the partner's Home", DEADLINE, || async {
        c.goto(&format!("{partner_url}/")).await.unwrap();
        browser
            .text("main")
            .await
            .contains("1 bid invitation or agreement waiting for our answer")
    })
    .await;
    c.goto(&format!("{partner_url}/invitations")).await.unwrap();
    let page = browser.text("section.invitation").await;
    assert!(
        page.contains("user experience design: 10") && page.contains("£550"),
        "{page}"
    );
    assert!(
        page.contains("Kick-off in Leeds.\nWeekly calls."),
        "the note keeps its lines: {page}"
    );
    c.find(Locator::Css("details:nth-of-type(2) summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .fill(
            "form input[name=decision][value=counter] ~ label input[name=rate]",
            "580",
        )
        .await;
    browser
        .fill(
            "form input[name=decision][value=counter] ~ label textarea[name=message]",
            "Our rate went up.",
        )
        .await;
    browser
        .submit("form input[name=decision][value=counter] ~ p button")
        .await;
    assert_eq!(
        browser.text("p.notice").await,
        "Answer sent to the lead's node."
    );

    // The lead's page, untouched, shows the counter-offer as it arrives.
    c.switch_to_window(lead_window.clone()).await.unwrap();
    live(&browser, "Proposed other terms").await;
    let partners = browser.text("#partners").await;
    assert!(
        partners.contains("£580") && partners.contains("Our rate went up."),
        "{partners}"
    );
    browser.submit("form[action$='/take'] button").await;
    assert!(
        browser
            .text("p.notice")
            .await
            .starts_with("The counter-offer is in the plan"),
        "{}",
        browser.text("main").await
    );
    assert!(
        browser
            .text("#partners")
            .await
            .contains("Invited, no answer yet")
    );

    // The partner accepts the revision.
    c.switch_to_window(second.handle.clone()).await.unwrap();
    wait_for("the revision on the partner's page", DEADLINE, || async {
        c.goto(&format!("{partner_url}/invitations")).await.unwrap();
        browser.text("section.invitation").await.contains("£580")
    })
    .await;
    browser
        .submit("form[action$='/answer'] button[value=accept]")
        .await;

    // The lead freezes it.
    c.switch_to_window(lead_window.clone()).await.unwrap();
    live(&browser, "Every partner accepted").await;
    browser
        .fill(
            "textarea[name=terms]",
            "Each partner invoices the lead monthly.\nNet 30.",
        )
        .await;
    browser.submit("form[action$='/freeze'] button").await;
    assert!(browser.text("p.notice").await.starts_with("Frozen"));

    // The partner reads the document and signs it.
    c.switch_to_window(second.handle.clone()).await.unwrap();
    wait_for("the agreement on the partner's page", DEADLINE, || async {
        c.goto(&format!("{partner_url}/invitations")).await.unwrap();
        browser.text("main").await.contains("The agreement to sign")
    })
    .await;
    let page = browser.text("section.invitation").await;
    assert!(page.contains("25 person-days, £14,800 in all"), "{page}");
    assert!(page.contains("Net 30."), "the terms are shown: {page}");
    browser.submit("form[action$='/sign'] button").await;

    // Agreed on the lead's page; the summary prints; the roles download.
    c.switch_to_window(lead_window.clone()).await.unwrap();
    live(&browser, "Agreed: every partner signed.").await;
    c.set_window_size(390, 844).await.unwrap();
    assert!(
        fits(&browser).await,
        "the bid page scrolls sideways on a phone"
    );
    c.set_window_size(1280, 1000).await.unwrap();
    c.find(Locator::LinkText("Printable summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for("the summary", DEADLINE, || async {
        browser.text("main").await.contains("Signatures")
    })
    .await;
    let summary = browser.text("main").await;
    assert!(
        summary.contains("Signed by every co-op in the team."),
        "{summary}"
    );
    assert_eq!(
        summary.matches("Signed this document").count(),
        2,
        "{summary}"
    );
    assert!(summary.contains("£14,800"), "{summary}");
    let grouped = them.to_string()[..4].to_owned() + " " + &them.to_string()[4..8];
    assert!(
        summary.contains(&grouped),
        "the partner's fingerprint: {summary}"
    );
    let print_rules = c
        .execute(
            "return [...document.styleSheets].flatMap(s => [...s.cssRules]).some(r => r.media && r.media.mediaText === 'print');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(print_rules, json!(true), "a print stylesheet applies");
    let csv = c
        .execute_async(
            "fetch(arguments[0]).then(r => r.text()).then(arguments[1]);",
            vec![json!(format!("/bids/{id}/roles.csv"))],
        )
        .await
        .unwrap();
    assert!(
        csv.as_str()
            .unwrap()
            .contains(",user experience design,10,580,5800\r\n"),
        "{csv}"
    );
    c.set_window_size(390, 844).await.unwrap();
    assert!(
        fits(&browser).await,
        "the summary scrolls sideways on a phone"
    );
    c.set_window_size(1280, 1000).await.unwrap();

    // The outcome, recorded on the bid's page, reaches the partner.
    c.goto(&format!("{lead_url}/bids/{id}")).await.unwrap();
    browser
        .submit("form[action$='/status'] button[value=submitted]")
        .await;
    c.switch_to_window(second.handle.clone()).await.unwrap();
    wait_for("the outcome on the partner's page", DEADLINE, || async {
        c.goto(&format!("{partner_url}/invitations")).await.unwrap();
        browser
            .text("main")
            .await
            .contains("Submitted to the buyer")
    })
    .await;
    c.set_window_size(390, 844).await.unwrap();
    assert!(
        fits(&browser).await,
        "the invitations page scrolls sideways on a phone"
    );

    browser.close().await;
    lead.stop().await;
    partner.stop().await;
    for node in fed.nodes {
        node.node.shutdown().await;
    }
}
