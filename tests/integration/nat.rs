//! Nodes behind NAT (issue 20) on a small internet of network namespaces
//! (`coopnet_tests::natlab`): a public node and two nodes each behind its
//! own masquerading router, every one a real `coopnet run` process on TCP
//! and QUIC. Each node behind NAT finds (AutoNAT v2) that it cannot be
//! dialled, keeps its DHT in client mode, reserves a slot on the public
//! node's relay and listens through it; a record published behind one NAT
//! reaches the other. A behind one NAT invites B behind the other into a
//! bid: A finds B through the relay (B is in no routing table), B's node
//! holds the invitation and B's acceptance comes back. The connection made
//! through the relay is replaced by a direct one by hole punching when the
//! NATs allow it (and the relayed one closed), and stays relayed when they
//! do not. Without root or nftables the test says SKIPPED, visibly.

use std::path::{Path, PathBuf};

use coopnet_node::control::{Request, call};
use coopnet_protocol::samples;
use coopnet_tests::natlab::{
    HTTP_PORT, Host, NatLab, PUBLIC, Run, in_namespace, init_node, links, net_counter as net,
    records_held,
};
use coopnet_tests::{DEADLINE, wait_for};
use serde_json::{Value, json};

use crate::web::Api;

/// Records A publishes while B is not running, in the symmetric case.
const BACKLOG: usize = 2_000;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_coopnet"))
}

fn run(bootstrap: Option<&str>) -> Run<'_> {
    Run {
        bootstrap,
        // The public node knows its address.
        external: bootstrap.is_none().then_some(PUBLIC),
        sync_interval_secs: 2,
    }
}

async fn status(dir: &Path) -> Value {
    call(dir, &Request::Status).await.unwrap_or(Value::Null)
}

async fn publish(dir: &Path, key: &str) {
    let request = Request::Publish {
        kind: "contract".into(),
        key: key.into(),
        body: serde_json::to_value(samples::contract(3)).unwrap(),
        expires_at: None,
    };
    call(dir, &request).await.expect("publish");
}

async fn holds(dir: &Path, key: &str) -> bool {
    let request = Request::List {
        kind: Some("contract".into()),
        author: None,
        limit: Some(1_000),
        offset: None,
    };
    call(dir, &request).await.is_ok_and(|r| {
        r["records"]
            .as_array()
            .is_some_and(|l| l.iter().any(|x| x["key"] == key))
    })
}

/// An API call to the web app of the node in namespace `ns`.
async fn api(ns: &str, token: &str, method: &str, path: &str, body: String) -> (u16, Value) {
    let (ns, token, method, path) = (
        ns.to_owned(),
        token.to_owned(),
        method.to_owned(),
        path.to_owned(),
    );
    tokio::task::spawn_blocking(move || {
        in_namespace(&ns, move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            let api = Api::at(format!("http://127.0.0.1:{HTTP_PORT}"), token);
            rt.block_on(api.call(&method, &path, &body))
        })
    })
    .await
    .expect("the API call")
}

fn token(dir: &Path) -> String {
    let out = crate::coopnet(&[
        "token",
        "create",
        "--data",
        dir.to_str().unwrap(),
        "--user",
        "admin",
        "--name",
        "t",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn coop_key(dir: &Path) -> String {
    coopnet_node::identity::load(dir)
        .unwrap()
        .public()
        .to_string()
}

async fn behind_nat(symmetric: bool) {
    if let Some(why) = coopnet_tests::netns::unavailable() {
        eprintln!("SKIPPED nodes behind NAT: {why}");
        return;
    }
    let lab = NatLab::new(symmetric);
    let root = tempfile::tempdir().unwrap();
    let dirs: Vec<PathBuf> = ["p", "a", "b"]
        .iter()
        .map(|n| root.path().join(n))
        .collect();
    let peer_p = init_node(bin(), &dirs[0], "Public Co-op");
    let peer_a = init_node(bin(), &dirs[1], "Home Co-op A");
    init_node(bin(), &dirs[2], "Home Co-op B");
    let (token_a, token_b) = (token(&dirs[1]), token(&dirs[2]));
    let (key_a, key_b) = (coop_key(&dirs[1]), coop_key(&dirs[2]));
    let (ns_a, ns_b) = (lab.ns(Host::A), lab.ns(Host::B));
    // Over QUIC: the routers keep its port, so a peer's observed address
    // is one a hole punch can use (TCP's is an ephemeral port).
    let boot = format!("/ip4/{PUBLIC}/udp/4001/quic-v1/p2p/{peer_p}");
    let _p = lab.run(Host::Public, bin(), &dirs[0], run(None));
    wait_for("the public node", DEADLINE, || async {
        !status(&dirs[0]).await.is_null()
    })
    .await;
    let _a = lab.run(Host::A, bin(), &dirs[1], run(Some(&boot)));
    // A backlog B will have to catch up on behind its NAT.
    let backlog = if symmetric { BACKLOG } else { 0 };
    wait_for("node A", DEADLINE, || async {
        !status(&dirs[1]).await.is_null()
    })
    .await;
    for n in 0..backlog {
        publish(&dirs[1], &format!("backlog-{n}")).await;
    }
    let _b = lab.run(Host::B, bin(), &dirs[2], run(Some(&boot)));

    // Behind NAT, each finds it cannot be dialled, reserves on the relay,
    // and keeps its DHT in client mode; the public node's is a server.
    for dir in &dirs[1..] {
        wait_for("a relay reservation behind NAT", DEADLINE, || async {
            net(dir, "relay_reservations").await >= 1
        })
        .await;
        assert!(net(dir, "nat_tests_failed").await >= 1);
        assert_eq!(
            status(dir).await["net"]["dht_server"],
            false,
            "behind NAT: DHT client"
        );
    }
    assert_eq!(
        status(&dirs[0]).await["net"]["dht_server"],
        true,
        "public: DHT server"
    );
    // A record published behind one NAT reaches the other.
    publish(&dirs[1], "from-a").await;
    wait_for("A's record at B", DEADLINE, || async {
        holds(&dirs[2], "from-a").await
    })
    .await;

    // A invites B into a bid: a private message from behind one NAT to
    // behind the other. B is in no routing table: A reaches it through
    // the relay.
    let profile = coopnet_protocol::samples::profile(3).into_fields();
    let mut profile = json!(coopnet_web::api::bodies::ProfileJson::from(profile));
    profile["name"] = "Home Co-op B".into();
    let (status_code, put) = api(
        &ns_b,
        &token_b,
        "PUT",
        "/api/v1/profile",
        profile.to_string(),
    )
    .await;
    assert_eq!(status_code, 200, "{put}");
    wait_for("A to know B's co-op", DEADLINE, || async {
        api(
            &ns_a,
            &token_a,
            "GET",
            &format!("/api/v1/coops/{key_b}"),
            String::new(),
        )
        .await
        .0 == 200
    })
    .await;
    let (status_code, added) = api(
        &ns_a,
        &token_a,
        "POST",
        "/api/v1/contracts",
        crate::bids::contract_json(),
    )
    .await;
    assert_eq!(status_code, 201, "{added}");
    let role = |coop: &str, skill: &str| json!({"coop_key": coop, "skills": [{"skill": skill, "days": 10}], "day_rate": 600});
    let bid = json!({"contract_id": added["contract_id"], "roles": [role(&key_a, "Rust"), role(&key_b, "PostgreSQL")]});
    let (status_code, bid) = api(&ns_a, &token_a, "POST", "/api/v1/bids", bid.to_string()).await;
    assert_eq!(status_code, 201, "{bid}");
    let id = bid["bid_id"].as_str().unwrap().to_owned();
    let (status_code, invited) = api(
        &ns_a,
        &token_a,
        "POST",
        &format!("/api/v1/bids/{id}/invite"),
        "{}".into(),
    )
    .await;
    assert_eq!(status_code, 200, "{invited}");
    wait_for("B's node to hold the invitation", DEADLINE, || async {
        let (_, listed) = api(&ns_b, &token_b, "GET", "/api/v1/invitations", String::new()).await;
        listed["invitations"]
            .as_array()
            .is_some_and(|l| l.len() == 1)
    })
    .await;
    assert!(
        net(&dirs[1], "dialled_through_relays").await >= 1,
        "A found B through the relay"
    );
    wait_for("the public node relaying a circuit", DEADLINE, || async {
        net(&dirs[0], "circuits_relayed").await >= 1
    })
    .await;
    let direct = |l: &Vec<String>| l.iter().any(|a| !a.contains("p2p-circuit"));
    let relayed = |l: &Vec<String>| l.iter().any(|a| a.contains("p2p-circuit"));
    if symmetric {
        wait_for("the hole punch to fail", DEADLINE, || async {
            net(&dirs[1], "hole_punches_failed").await + net(&dirs[2], "hole_punches_failed").await
                >= 1
        })
        .await;
        let l = links(&dirs[2], &peer_a).await;
        assert!(!l.is_empty() && !direct(&l), "B–A must stay relayed: {l:?}");
    } else {
        wait_for(
            "a direct connection by hole punching, the relayed one closed",
            DEADLINE,
            || async {
                let l = links(&dirs[2], &peer_a).await;
                direct(&l) && !relayed(&l)
            },
        )
        .await;
        assert!(net(&dirs[1], "holes_punched").await + net(&dirs[2], "holes_punched").await >= 1);
        assert!(
            net(&dirs[1], "relayed_replaced").await + net(&dirs[2], "relayed_replaced").await >= 1
        );
    }
    // B accepts: the answer goes back from behind one NAT to the other.
    let (status_code, answered) = api(
        &ns_b,
        &token_b,
        "POST",
        &format!("/api/v1/invitations/{id}/answer"),
        r#"{"decision": "accept"}"#.into(),
    )
    .await;
    assert_eq!(status_code, 202, "{answered}");
    wait_for("A to take B's acceptance", DEADLINE, || async {
        let (_, n) = api(
            &ns_a,
            &token_a,
            "GET",
            &format!("/api/v1/bids/{id}/negotiation"),
            String::new(),
        )
        .await;
        n["partners"].as_array().is_some_and(|p| {
            p.iter()
                .any(|p| p["coop_key"] == key_b.as_str() && p["state"] == "accepted")
        })
    })
    .await;
    // The backlog reached B by sync.
    if backlog > 0 {
        wait_for("the backlog at B", DEADLINE, || async {
            records_held(&dirs[2]).await >= backlog as u64
        })
        .await;
        let synced = net(&dirs[2], "records_fetched").await
            + net(&dirs[2], "records_received_by_push").await;
        assert!(
            synced >= 1,
            "B took records by sync (fetched or pushed to it)"
        );
    }
    // Records still flow.
    publish(&dirs[1], "from-a-later").await;
    wait_for("A's later record at B", DEADLINE, || async {
        holds(&dirs[2], "from-a-later").await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_nats_that_allow_it_a_relayed_connection_becomes_direct() {
    behind_nat(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_symmetric_nats_the_connection_stays_relayed_and_records_flow() {
    behind_nat(true).await;
}
