//! The lead's `coopnet run` process killed (`kill -9`) in the middle of a
//! negotiation (issue 18): one partner has answered, the other is offline
//! with its invitation still in the lead's outbox. The lead restarts with
//! its bid, the answer it took and its outbox intact; the offline partner
//! gets its invitation within seconds of starting; the agreement is
//! finished and verifies.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use coopnet_node::identity;
use coopnet_protocol::PublicKey;
use coopnet_protocol::bidwire::Answer;
use coopnet_tests::{DEADLINE, start_node, wait_for};
use serde_json::{Value, json};

use crate::bids::{OFFERS, contract_json, publish};
use crate::web::Api;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn cli(args: &[&str]) -> String {
    let out = crate::coopnet(args);
    assert!(
        out.status.success(),
        "coopnet {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn run_lead(dir: &Path, p2p: u16, http: u16, bootstrap: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_coopnet"))
        .args(["run", "--data", dir.to_str().unwrap()])
        .args(["--listen", &format!("/ip4/127.0.0.1/tcp/{p2p}")])
        .args(["--http", &format!("127.0.0.1:{http}")])
        .args(["--bootstrap", bootstrap, "--sync-interval-secs", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start coopnet run")
}

async fn negotiation(api: &Api, id: &str) -> Value {
    api.call("GET", &format!("/api/v1/bids/{id}/negotiation"), "")
        .await
        .1
}

fn state_of(n: &Value, coop: &PublicKey) -> String {
    n["partners"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["coop_key"] == coop.to_string())
        .and_then(|p| p["state"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_killed_mid_negotiation_restarts_with_everything_and_finishes_the_agreement() {
    let root = tempfile::tempdir().unwrap();
    let a = start_node(&root.path().join("a"), "Partner A", &[]).await;
    let (lead_dir, b_dir) = (root.path().join("lead"), root.path().join("b"));
    let b = start_node(&b_dir, "Partner B", std::slice::from_ref(&a.addr)).await;
    publish(&a.node, &OFFERS[2]).await;
    publish(&b.node, &OFFERS[0]).await;
    cli(&[
        "init",
        "--data",
        lead_dir.to_str().unwrap(),
        "--name",
        "Lead Co-op",
    ]);
    let lead_key = identity::load(&lead_dir).unwrap().public();
    let b_key = b.node.key();
    let token = cli(&[
        "token",
        "create",
        "--data",
        lead_dir.to_str().unwrap(),
        "--user",
        "admin",
        "--name",
        "t",
    ]);
    let (p2p, http) = (free_port(), free_port());
    let lead_addr = format!(
        "/ip4/127.0.0.1/tcp/{p2p}/p2p/{}",
        identity::peer_id_of(&lead_key).unwrap()
    );
    let api = Api::at(format!("http://127.0.0.1:{http}"), token.trim().to_owned());
    let up = || async {
        tokio::net::TcpStream::connect(("127.0.0.1", http))
            .await
            .is_ok()
            && api.call("GET", "/api/v1/status", "").await.0 == 200
    };

    let mut lead = run_lead(&lead_dir, p2p, http, &a.addr);
    wait_for("the lead's API", DEADLINE, up).await;
    for coop in [a.node.key(), b_key] {
        wait_for("the lead to know both partners", DEADLINE, || async {
            api.call("GET", &format!("/api/v1/coops/{coop}"), "")
                .await
                .0
                == 200
        })
        .await;
    }
    // B goes offline before it is invited.
    b.node.shutdown().await;
    drop(b);
    let (_, added) = api
        .call("POST", "/api/v1/contracts", &contract_json())
        .await;
    let role = |coop: PublicKey, skill: &str, days: u32, rate: u32| json!({"coop_key": coop.to_string(), "skills": [{"skill": skill, "days": days}], "day_rate": rate});
    let body = json!({"contract_id": added["contract_id"], "roles": [
        role(lead_key, "Rust", 15, 600),
        role(a.node.key(), "user experience design", 10, 550),
        role(b_key, "PostgreSQL", 10, 650)]});
    let (status, bid) = api.call("POST", "/api/v1/bids", &body.to_string()).await;
    assert_eq!(status, 201, "{bid}");
    let id = bid["bid_id"].as_str().unwrap().to_owned();
    let wire: [u8; 16] = hex::decode(&id).unwrap().try_into().unwrap();
    let (status, invited) = api
        .call("POST", &format!("/api/v1/bids/{id}/invite"), "{}")
        .await;
    assert_eq!(status, 200, "{invited}");

    // A answers; B is not running.
    wait_for("partner A's invitation", DEADLINE, || async {
        a.node.invitations().await.unwrap().len() == 1
    })
    .await;
    a.node
        .answer_invitation(wire, Answer::Accept)
        .await
        .unwrap();
    wait_for("the lead to take A's answer", DEADLINE, || async {
        state_of(&negotiation(&api, &id).await, &a.node.key()) == "accepted"
    })
    .await;

    lead.kill().unwrap(); // SIGKILL
    lead.wait().unwrap();
    assert!(!up().await, "the killed lead no longer answers");
    let db = rusqlite::Connection::open(lead_dir.join("coopnet.db")).unwrap();
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let waiting: i64 = db
        .query_row(
            "SELECT count(*) FROM bid_outbox WHERE status IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(waiting, 1, "B's invitation waits in the outbox");
    drop(db);

    let mut lead = run_lead(&lead_dir, p2p, http, &a.addr);
    wait_for("the restarted lead's API", DEADLINE, up).await;
    let (_, again) = api.call("GET", &format!("/api/v1/bids/{id}"), "").await;
    assert_eq!(
        (&again["status"], &again["version"]),
        (&json!("inviting"), &invited["version"]),
        "{again}"
    );
    let n = negotiation(&api, &id).await;
    assert_eq!(state_of(&n, &a.node.key()), "accepted", "{n}");
    assert_eq!(state_of(&n, &b_key), "invited", "{n}");

    // B starts: its invitation arrives within seconds.
    let started = Instant::now();
    let b = start_node(&b_dir, "Partner B", &[a.addr.clone(), lead_addr]).await;
    wait_for("partner B's invitation", DEADLINE, || async {
        b.node.invitations().await.unwrap().len() == 1
    })
    .await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "B waited {took:?}");
    assert_eq!(
        b.node.invitations().await.unwrap()[0].version,
        invited["version"].as_u64().unwrap()
    );
    b.node
        .answer_invitation(wire, Answer::Accept)
        .await
        .unwrap();
    wait_for("both partners to have accepted", DEADLINE, || async {
        negotiation(&api, &id).await["ready_to_freeze"] == true
    })
    .await;

    // Finished: frozen, signed by both, agreed, verified.
    let (status, frozen) = api
        .call(
            "POST",
            &format!("/api/v1/bids/{id}/freeze"),
            r#"{"terms": "Net 30."}"#,
        )
        .await;
    assert_eq!(status, 200, "{frozen}");
    for partner in [&a, &b] {
        wait_for("the document on each partner's node", DEADLINE, || async {
            partner.node.documents_to_sign().await.unwrap().len() == 1
        })
        .await;
        partner.node.sign_bid_document(wire).await.unwrap();
    }
    wait_for("the bid to be agreed", DEADLINE, || async {
        let n = negotiation(&api, &id).await;
        n["agreed"] == true
            && [a.node.key(), b_key]
                .iter()
                .all(|k| state_of(&n, k) == "signed")
    })
    .await;
    let (_, agreed) = api.call("GET", &format!("/api/v1/bids/{id}"), "").await;
    assert_eq!(agreed["status"], "agreed");
    let (_, agreement) = api
        .call("GET", &format!("/api/v1/bids/{id}/agreement"), "")
        .await;
    let file = root.path().join("agreement.json");
    std::fs::write(&file, agreement.to_string()).unwrap();
    let said = cli(&["bid", "verify", file.to_str().unwrap()]);
    assert_eq!(said.matches("signed     ").count(), 3, "{said}");

    lead.kill().unwrap();
    lead.wait().unwrap();
    a.node.shutdown().await;
    b.node.shutdown().await;
}
