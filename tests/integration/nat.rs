//! Nodes behind NAT (issue 20) on a small internet of network namespaces
//! (`coopnet_tests::natlab`): a public node and two nodes each behind its
//! own masquerading router, every one a real `coopnet run` process on TCP
//! and QUIC. Each node behind NAT finds (AutoNAT v2) that it cannot be
//! dialled, reserves a slot on the public node's relay and listens through
//! it; a record published behind one NAT reaches the other; a connection
//! made through the relay is replaced by a direct one by hole punching
//! when the NATs allow it, and stays relayed when they do not.
//! Without root or nftables the test says SKIPPED, visibly.

use std::path::{Path, PathBuf};

use coopnet_node::control::{Request, call};
use coopnet_protocol::samples;
use coopnet_tests::natlab::{Host, NatLab, PUBLIC, Run, init_node, links, net_counter as net};
use coopnet_tests::{DEADLINE, wait_for};
use serde_json::Value;

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

    // Behind NAT, each finds it cannot be dialled and reserves on the relay.
    for dir in &dirs[1..] {
        wait_for("a relay reservation behind NAT", DEADLINE, || async {
            net(dir, "relay_reservations").await >= 1
        })
        .await;
        assert!(net(dir, "nat_tests_failed").await >= 1);
    }
    // A record published behind one NAT reaches the other.
    publish(&dirs[1], "from-a").await;
    wait_for("A's record at B", DEADLINE, || async {
        holds(&dirs[2], "from-a").await
    })
    .await;

    // B connects to A through the relay.
    let circuit = format!("{boot}/p2p-circuit/p2p/{peer_a}");
    call(&dirs[2], &Request::Connect { addr: circuit })
        .await
        .expect("connect");
    wait_for("B connected to A", DEADLINE, || async {
        !links(&dirs[2], &peer_a).await.is_empty()
    })
    .await;
    wait_for("the public node relaying a circuit", DEADLINE, || async {
        net(&dirs[0], "circuits_relayed").await >= 1
    })
    .await;
    let direct = |l: &Vec<String>| l.iter().any(|a| !a.contains("p2p-circuit"));
    if symmetric {
        wait_for("the hole punch to fail", DEADLINE, || async {
            net(&dirs[1], "hole_punches_failed").await + net(&dirs[2], "hole_punches_failed").await
                >= 1
        })
        .await;
        let l = links(&dirs[2], &peer_a).await;
        assert!(!l.is_empty() && !direct(&l), "B–A must stay relayed: {l:?}");
    } else {
        wait_for("a direct connection by hole punching", DEADLINE, || async {
            direct(&links(&dirs[2], &peer_a).await)
        })
        .await;
        assert!(net(&dirs[1], "holes_punched").await + net(&dirs[2], "holes_punched").await >= 1);
    }
    // The backlog reached B by sync.
    if backlog > 0 {
        wait_for("the backlog at B", DEADLINE, || async {
            status(&dirs[2]).await["records"].as_u64().unwrap_or(0) >= backlog as u64
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
