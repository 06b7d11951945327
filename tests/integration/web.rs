//! The web app over real sockets: nodes with their web servers, the JSON
//! API with a bearer token, and a co-op's profile edited on one node found
//! by partner search on another.

use std::sync::Arc;

use coopnet::web::{WebServer, users};
use coopnet_node::store::Role;
use coopnet_tests::{DEADLINE, TestNode, start_node, wait_for};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The password every test admin gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// A node with its web app and an admin called `admin`.
pub struct WebNode {
    pub node: TestNode,
    pub web: WebServer,
}

impl WebNode {
    /// Starts a node in `dir` (dialling `bootstrap`) and its web server.
    pub async fn start(dir: &std::path::Path, name: &str, bootstrap: &[String]) -> WebNode {
        let node = start_node(dir, name, bootstrap).await;
        users::add_user(node.node.store(), "admin", PASSWORD, Role::Admin, true)
            .await
            .unwrap();
        let web = coopnet::web::serve(Arc::clone(&node.node), "127.0.0.1:0")
            .await
            .unwrap();
        WebNode { node, web }
    }

    /// Nodes A and B under `root`, B dialling A, each with its web server.
    pub async fn pair(root: &std::path::Path) -> (WebNode, WebNode) {
        let a = WebNode::start(&root.join("a"), "Node A", &[]).await;
        let b = WebNode::start(
            &root.join("b"),
            "Node B",
            std::slice::from_ref(&a.node.addr),
        )
        .await;
        (a, b)
    }

    /// An API token for `admin`.
    pub async fn token(&self) -> String {
        users::create_token(self.node.node.store(), "admin", "test")
            .await
            .unwrap()
    }

    pub async fn stop(self) {
        self.web.stop().await;
        self.node.node.shutdown().await;
    }
}

/// A plain HTTP client for the API.
pub struct Api {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
    token: String,
}

impl Api {
    /// A client of the API at `base` (`http://host:port`) with `token`.
    pub fn at(base: String, token: String) -> Api {
        Api {
            client: Client::builder(TokioExecutor::new()).build_http(),
            base,
            token,
        }
    }

    pub async fn new(node: &WebNode) -> Api {
        Api {
            client: Client::builder(TokioExecutor::new()).build_http(),
            base: node.web.url(),
            token: node.token().await,
        }
    }

    /// Sends a request; returns the status and the body as JSON (or a JSON
    /// string holding the text).
    pub async fn call(&self, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
        self.call_bytes(method, path, body.as_bytes().to_vec())
            .await
    }

    /// [`Api::call`] with a body of any bytes.
    pub async fn call_bytes(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
    ) -> (u16, serde_json::Value) {
        let request = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let response = self.client.request(request).await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        (status, json)
    }
}

#[tokio::test]
async fn a_profile_put_through_the_api_is_found_by_partner_search_on_another_node() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = WebNode::pair(dir.path()).await;
    let (api_a, api_b) = (Api::new(&a).await, Api::new(&b).await);

    let (status, info) = api_a.call("GET", "/api/v1/status", "").await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["name"], "Node A");

    let profile = coopnet_protocol::samples::profile(3).into_fields();
    let mut profile =
        serde_json::to_value(coopnet_web::api::bodies::ProfileJson::from(profile)).unwrap();
    profile["name"] = "Rivet Works Co-operative".into();
    profile["region"] = "Yorkshire".into();
    let (status, put) = api_a
        .call("PUT", "/api/v1/profile", &profile.to_string())
        .await;
    assert_eq!(status, 200, "{put}");
    let skills = r#"{"entries":[{"name":"python","concept":null,"level":"expert","headcount":3},
        {"name":"user research","concept":null,"level":"working","headcount":1}]}"#;
    let (status, put) = api_a.call("PUT", "/api/v1/skills", skills).await;
    assert_eq!(status, 200, "{put}");

    let found = || {
        let api = &api_b;
        async move {
            let query = "/api/v1/coops?skill=py&region=yorkshire";
            let (status, hits) = api.call("GET", query, "").await;
            assert_eq!(status, 200, "{hits}");
            let hits = hits["coops"].as_array().unwrap().clone();
            hits.iter().any(|h| h["name"] == "Rivet Works Co-operative")
        }
    };
    wait_for(
        "node B to find node A's co-op by skill and region",
        DEADLINE,
        found,
    )
    .await;
    let (_, hits) = api_b.call("GET", "/api/v1/coops?skill=Python", "").await;
    let hit = &hits["coops"][0];
    // The co-op's own name for the skill, linked to its concept.
    assert_eq!(hit["matched_skills"][0], "python", "{hit}");
    let (_, ours) = api_a.call("GET", "/api/v1/skills", "").await;
    assert_eq!(
        ours["body"]["entries"][0]["concept"],
        coopnet_protocol::taxonomy::Taxonomy::esco()
            .resolve("Python")
            .unwrap()
            .concept
            .unwrap()
            .uri(),
        "{ours}"
    );
    assert!(
        hit["why"].as_str().unwrap().contains("1 of 1 skills"),
        "{hit}"
    );

    // The author's own node does not list itself.
    let (_, own) = api_a.call("GET", "/api/v1/coops?skill=Python", "").await;
    assert!(own["coops"].as_array().unwrap().is_empty(), "{own}");
    assert_eq!(own["total"], 0);

    // And A's page counts the peer holding its profile, once it knows.
    let held = || {
        let api = &api_a;
        async move {
            let (_, got) = api.call("GET", "/api/v1/profile", "").await;
            got["published"]["peers_holding"] == 1
        }
    };
    wait_for(
        "node A to learn that node B holds its profile",
        DEADLINE,
        held,
    )
    .await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn an_ocds_file_posted_to_the_api_becomes_contracts_and_a_bad_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = WebNode::start(&dir.path().join("a"), "Node A", &[]).await;
    let api = Api::new(&a).await;
    let (name, bytes) = coopnet_node::ocds::demo_files()[0];
    let body = String::from_utf8(bytes.to_vec()).unwrap();
    let (status, report) = api.call("POST", "/api/v1/contracts/import", &body).await;
    assert_eq!(status, 200, "{name}: {report}");
    let lines = report["lines"].as_array().unwrap();
    let imported = lines.iter().filter(|l| l["action"] == "imported").count();
    assert!(imported > 0, "{name}: nothing imported: {report}");
    let (_, again) = api.call("POST", "/api/v1/contracts/import", &body).await;
    let unchanged = again["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["action"] == "unchanged")
        .count();
    assert_eq!(unchanged, imported, "a second import changes nothing");
    let (_, listed) = api
        .call("GET", "/api/v1/contracts?mine=true&status=all", "")
        .await;
    assert_eq!(listed["contracts"].as_array().unwrap().len(), imported);
    assert_eq!(listed["total"], imported);
    // Barnet's tender gives a range (minValue to value), kept in pence,
    // and the report says each contract's status.
    let contract = &listed["contracts"][0];
    assert_eq!(contract["value"]["amount"], 110_000_000, "{contract}");
    assert_eq!(contract["value"]["min"], 60_000_000, "{contract}");
    assert!(lines.iter().any(|l| l["status"] == "open"), "{report}");
    let page = format!("/contracts/{}", contract["contract_id"].as_str().unwrap());
    let (status, html) = api.call("GET", &page, "").await;
    assert_eq!(status, 200);
    assert!(
        html.as_str().unwrap().contains("£600,000–£1,100,000"),
        "the page shows the range as people write it"
    );

    // The shipped ISO-8859-1 file imports, and the report says how it was read.
    let latin = coopnet_node::ocds::demo_files()
        .into_iter()
        .find(|(name, _)| name.contains("iso-8859-1"))
        .unwrap()
        .1;
    let (status, report) = api
        .call_bytes("POST", "/api/v1/contracts/import", latin.to_vec())
        .await;
    assert_eq!(status, 200, "{report}");
    assert!(
        report["notes"][0]
            .as_str()
            .unwrap()
            .contains("Windows-1252"),
        "{report}"
    );

    let (status, error) = api
        .call("POST", "/api/v1/contracts/import", "{\"hello\": 1}")
        .await;
    assert_eq!(status, 422);
    assert!(error["error"].as_str().unwrap().contains("OCDS"), "{error}");
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_with_the_cli_stops_working_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let node = WebNode::start(&dir.path().join("a"), "Node A", &[]).await;
    let data = node.node.dir.to_str().unwrap().to_owned();
    let cli = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            crate::coopnet(&args)
        })
    };
    let args = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
    let made = cli(args(&[
        "token", "create", "--data", &data, "--user", "admin", "--name", "nightly",
    ]))
    .await
    .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let token = String::from_utf8(made.stdout).unwrap().trim().to_owned();
    let api = Api {
        client: Client::builder(TokioExecutor::new()).build_http(),
        base: node.web.url(),
        token,
    };
    let (status, _) = api.call("GET", "/api/v1/status", "").await;
    assert_eq!(status, 200);

    let listed = cli(args(&["token", "list", "--data", &data, "--user", "admin"]))
        .await
        .unwrap();
    let listing = String::from_utf8(listed.stdout).unwrap();
    assert!(listing.contains("nightly"), "{listing}");
    assert!(
        !listing.contains(&api.token),
        "the token itself is never shown"
    );

    let revoked = cli(args(&[
        "token", "revoke", "--data", &data, "--user", "admin", "nightly",
    ]))
    .await
    .unwrap();
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    // At once: no cache keeps it alive.
    let (status, body) = api.call("GET", "/api/v1/status", "").await;
    assert_eq!(status, 401, "{body}");
    node.stop().await;
}
