//! Browser tests: the web app driven in a real headless Chromium through
//! ChromeDriver (Debian's `chromium` and `chromium-driver`), against real
//! nodes over loopback. Without Chromium they are skipped, saying so on
//! the terminal (not captured by the test harness).

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use coopnet_tests::{DEADLINE, wait_for};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use super::web::{PASSWORD, WebNode};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A headless Chromium session and the ChromeDriver behind it.
pub(crate) struct Browser {
    pub(crate) client: Client,
    _driver: tokio::process::Child,
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium; `None` (with a message
    /// on the terminal) when they are not installed.
    pub(crate) async fn start(test: &str) -> Option<Browser> {
        let chromium = std::env::var("COOPNET_CHROMIUM").unwrap_or_else(|_| CHROMIUM.to_owned());
        let driver =
            std::env::var("COOPNET_CHROMEDRIVER").unwrap_or_else(|_| CHROMEDRIVER.to_owned());
        if !Path::new(&chromium).exists() || !Path::new(&driver).exists() {
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED browser test {test}: Chromium or ChromeDriver is not installed \
                 (apt-get install chromium chromium-driver)"
            );
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = tokio::process::Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let ready = || async move {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
        };
        wait_for("ChromeDriver to listen", DEADLINE, ready).await;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({
                "binary": chromium,
                // No background traffic: the machine has no network but
                // loopback, and nothing but the page under test should run.
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--window-size=1280,1000", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--disable-quic"],
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("start a Chromium session");
        Some(Browser {
            client,
            _driver: child,
        })
    }

    pub(crate) async fn login(&self, node: &WebNode) {
        self.login_at(&node.web.url()).await;
    }

    /// Logs in as the admin at `url` (`localhost` and `127.0.0.1` keep
    /// separate cookies, so one browser can be two nodes' member).
    pub(crate) async fn login_at(&self, url: &str) {
        let c = &self.client;
        c.goto(&format!("{url}/")).await.unwrap();
        assert!(
            c.current_url().await.unwrap().path().starts_with("/login"),
            "not sent to log in"
        );
        c.find(Locator::Css("input[name=username]"))
            .await
            .unwrap()
            .send_keys("admin")
            .await
            .unwrap();
        c.find(Locator::Css("input[name=password]"))
            .await
            .unwrap()
            .send_keys(PASSWORD)
            .await
            .unwrap();
        self.submit("form[action='/login'] button").await;
        let body = self.text("body").await;
        assert!(body.contains("Welcome, admin"), "log-in failed: {body}");
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub(crate) async fn fill(&self, css: &str, value: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Sets a field's value directly: a date input takes typed keys in
    /// the browser's locale format, not ISO dates.
    pub(crate) async fn set_value(&self, css: &str, value: &str) {
        let script = "document.querySelector(arguments[0]).value = arguments[1];";
        let args = vec![css.into(), value.into()];
        self.client.execute(script, args).await.unwrap();
    }

    /// Clicks a form's button and waits until the page it leads to has
    /// loaded: the old document's root has gone stale and the new one is
    /// complete (a WebDriver click does not wait for the navigation).
    pub(crate) async fn submit(&self, css: &str) {
        let old = self.client.find(Locator::Css("html")).await.unwrap();
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let loaded = || {
            let (client, old) = (&self.client, &old);
            async move {
                if old.tag_name().await.is_ok() {
                    return false;
                }
                let state = client.execute("return document.readyState;", vec![]).await;
                state.is_ok_and(|s| s == "complete")
            }
        };
        wait_for("the submitted form's page to load", DEADLINE, loaded).await;
    }

    /// Uploads `file` through the contracts page's OCDS import form.
    pub(crate) async fn upload_ocds(&self, url: &str, file: &Path) {
        self.client.goto(&format!("{url}/contracts")).await.unwrap();
        // The form is folded away until the member opens it.
        self.client
            .find(Locator::Css("details#import summary"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let input = self
            .client
            .find(Locator::Css("input[type=file]"))
            .await
            .unwrap();
        input.send_keys(file.to_str().unwrap()).await.unwrap();
        self.submit("form[enctype='multipart/form-data'] button")
            .await;
    }

    pub(crate) async fn close(self) {
        let _ = self.client.close().await;
    }
}

#[tokio::test]
async fn browser_edits_profile_and_skills_and_another_node_finds_them() {
    let Some(browser) = Browser::start("edit and find").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = WebNode::pair(dir.path()).await;

    browser.login(&a).await;
    browser
        .client
        .goto(&format!("{}/our-coop", a.web.url()))
        .await
        .unwrap();
    browser
        .fill(
            "form[action='/our-coop/profile'] input[name=name]",
            "Hedgerow Digital",
        )
        .await;
    browser
        .fill(
            "input[name=summary]",
            "Accessible public-sector web services",
        )
        .await;
    browser.fill("input[name=region]", "Yorkshire").await;
    browser.fill("input[name=country]", "GB").await;
    browser
        .fill("input[name=legal_form]", "Workers' co-operative")
        .await;
    browser.fill("input[name=member_count]", "7").await;
    browser
        .fill("input[name=contact_email]", "hello@hedgerow.coop")
        .await;
    browser
        .submit("form[action='/our-coop/profile'] button")
        .await;
    let notice = browser.text("p.notice").await;
    assert!(notice.contains("Profile published"), "{notice}");

    browser
        .fill(
            "form[action^='/our-coop/skills'] input[name=name]",
            "python",
        )
        .await;
    let level = browser
        .client
        .find(Locator::Css("select[name=level]"))
        .await
        .unwrap();
    level.select_by_value("expert").await.unwrap();
    browser
        .fill(
            "form[action^='/our-coop/skills'] input[name=headcount]",
            "3",
        )
        .await;
    browser
        .submit("form[action^='/our-coop/skills'] button")
        .await;
    assert!(browser.text("p.notice").await.contains("Skills published"));
    let shown = browser
        .client
        .find(Locator::Css(
            "form[action^='/our-coop/skills'] input[name=name]",
        ))
        .await
        .unwrap();
    // The name stays as typed; the taxonomy links it, it does not rename it.
    assert_eq!(
        shown.prop("value").await.unwrap().as_deref(),
        Some("python")
    );

    browser.login(&b).await;
    let search = format!(
        "{}/partners?skills=py&match=all&region=yorkshire",
        b.web.url()
    );
    let found = || {
        let (browser, search) = (&browser, &search);
        async move {
            browser.client.goto(search).await.unwrap();
            browser.text("main").await.contains("Hedgerow Digital")
        }
    };
    wait_for(
        "node B's partner search to show node A's co-op",
        DEADLINE,
        found,
    )
    .await;
    let why = browser.text("ol.results .why").await;
    assert!(why.contains("1 of 1 skills (python)"), "{why}");
    browser.close().await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn browser_searches_with_filters_and_imports_an_ocds_file() {
    let Some(browser) = Browser::start("filters and OCDS import").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = WebNode::pair(dir.path()).await;
    coopnet_tests::publish_profile(&b.node.node, 4).await;
    let skills = coopnet_protocol::samples::skills(4, 5);
    let wanted = skills.entries[0].name.clone();
    b.node
        .node
        .publish(
            coopnet_protocol::Kind::Skills.code(),
            "",
            Some(coopnet_protocol::Body::Skills(skills)),
            None,
        )
        .await
        .unwrap();

    browser.login(&a).await;
    // A filter that matches, then one that excludes it by region.
    let url = a.web.url();
    let name = coopnet_protocol::samples::profile(4).name.clone();
    let found = || {
        let (browser, url, wanted, name) = (&browser, &url, &wanted, &name);
        async move {
            browser
                .client
                .goto(&format!("{url}/partners"))
                .await
                .unwrap();
            browser.fill("input[name=skills]", wanted).await;
            browser.submit("form.search button").await;
            browser.text("main").await.contains(name.as_str())
        }
    };
    wait_for(
        "a skills search on node A to find node B's co-op",
        DEADLINE,
        found,
    )
    .await;
    browser.fill("input[name=region]", "Nowhere-on-Sea").await;
    browser.submit("form.search button").await;
    let main = browser.text("main").await;
    assert!(
        main.contains("0 co-ops found") && !main.contains(name.as_str()),
        "{main}"
    );
    browser.set_value("input[name=from]", "2027-02-01").await;
    browser.set_value("input[name=to]", "2027-01-01").await;
    browser.submit("form.search button").await;
    assert!(
        browser
            .text("p.error")
            .await
            .contains("until: must not be before")
    );

    // Import a real OCDS file through the upload form.
    let (file_name, bytes) = coopnet_node::ocds::demo_files()[0];
    let file = dir.path().join(file_name);
    std::fs::write(&file, bytes).unwrap();
    browser.upload_ocds(&url, &file).await;
    let summary = browser.text("p.notice").await;
    assert!(
        summary.contains("imported") && !summary.starts_with("0 imported"),
        "{summary}"
    );

    // A file that is not OCDS gets a clear error.
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, b"{\"not\": \"ocds\"}").unwrap();
    browser.upload_ocds(&url, &junk).await;
    let error = browser.text("p.error").await;
    assert!(error.contains("OCDS"), "{error}");
    browser.close().await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn browser_shows_hostile_markup_from_another_node_as_inert_text() {
    let Some(browser) = Browser::start("hostile markup").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = WebNode::pair(dir.path()).await;
    let mut fields = coopnet_protocol::samples::profile(5).into_fields();
    fields.name = "<script>window.pwned = 1</script>Evil <b>Co-op</b>".to_owned();
    fields.summary = "<img src=x onerror=\"window.pwned = 2\">".to_owned();
    fields.description = "<a href=\"javascript:window.pwned=3\">click</a>".to_owned();
    let profile = coopnet_protocol::kinds::Profile::parse(fields).unwrap();
    b.node
        .node
        .publish(
            coopnet_protocol::Kind::Profile.code(),
            "",
            Some(coopnet_protocol::Body::Profile(profile)),
            None,
        )
        .await
        .unwrap();
    let key = b.node.node.key();
    let arrived = || {
        let node = &a.node.node;
        async move {
            let kind = coopnet_protocol::Kind::Profile.code();
            node.store()
                .current(key, kind, String::new())
                .await
                .unwrap()
                .is_some()
        }
    };
    wait_for("node B's profile to reach node A", DEADLINE, arrived).await;

    browser.login(&a).await;
    for path in [format!("/coops/{key}"), "/".to_owned()] {
        browser
            .client
            .goto(&format!("{}{path}", a.web.url()))
            .await
            .unwrap();
        let main = browser.text("main").await;
        assert!(
            main.contains("<script>window.pwned = 1</script>Evil <b>Co-op</b>"),
            "{path}: {main}"
        );
        let pwned = browser
            .client
            .execute(
                "return window.pwned === undefined ? null : window.pwned;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            pwned,
            serde_json::Value::Null,
            "{path}: a script from another node ran"
        );
        let scripts = browser
            .client
            .find_all(Locator::Css("main script, main img, main b"))
            .await
            .unwrap();
        assert!(
            scripts.is_empty(),
            "{path}: markup from another node became elements"
        );
    }
    browser.close().await;
    b.stop().await;
    a.stop().await;
}
