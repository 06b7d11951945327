//! `/metrics` (issue 19): read by Prometheus' own checker (`promtool check
//! metrics`, Debian's `prometheus` package), and its rejection counter
//! moves, with an event naming the peer, when a member gossips a forged
//! record.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

use coopnet_protocol::{Body, SecretKey, samples};
use coopnet_tests::{DEADLINE, stop_all, wait_for};

use super::*;
use crate::web::Api;

/// The value of the sample whose line starts with `prefix`, 0 if absent.
fn sample(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// `promtool check metrics` on `text`: `None` when promtool is missing.
fn promtool(text: &str) -> Option<(bool, String)> {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    Some((out.status.success(), said))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_pass_promtool_and_count_a_forged_record_with_its_peer() {
    let root = tempfile::tempdir().unwrap();
    let fed = gossip_only_federation(root.path(), 1).await;
    let web = coopnet::web::serve(Arc::clone(&fed.nodes[0].node), "127.0.0.1:0")
        .await
        .unwrap();
    // On loopback /metrics needs no log-in.
    let scraper = Api::at(web.url(), String::new());
    let scrape = || async {
        let (status, text) = scraper.call("GET", "/metrics", "").await;
        assert_eq!(status, 200);
        text.as_str().unwrap().to_owned()
    };
    let first = scrape().await;
    assert!(
        first.contains("coopnet_state{what=\"peers_connected\"}"),
        "{first}"
    );
    assert!(first.contains("libp2p_"), "libp2p's own metrics: {first}");
    match promtool(&first) {
        Some((ok, said)) => assert!(ok, "promtool check metrics: {said}\n{first}"),
        None => eprintln!(
            "SKIPPED promtool check: promtool is not installed (apt-get install prometheus)"
        ),
    }

    let forger = SecretKey::from_seed(&[73; 32]);
    fed.admit(forger.public(), "Forger").await;
    let forging = hostile_connected_to(&fed, &forger, &[0]).await;
    wait_subscribed(&fed, &forging, &[0]).await;
    let counter = "coopnet_records_rejected_total{reason=\"bad-signature\"}";
    let before = sample(&first, counter);
    let now = coopnet_node::clock::now();
    let genuine = signed(&forger, Body::Profile(samples::profile(8)), "", 1, now);
    let mut forged = genuine.bytes().to_vec();
    *forged.last_mut().unwrap() ^= 1;
    assert_eq!(forging.gossip(vec![forged]).await, 1);
    wait_for("the rejection counted", DEADLINE, || async {
        sample(&scrape().await, counter) == before + 1.0
    })
    .await;
    let peer = coopnet_node::identity::peer_id_of(&forger.public())
        .unwrap()
        .to_string();
    let events = fed.nodes[0].node.events(10).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "rejected" && e.peer.as_deref() == Some(peer.as_str())),
        "{events:?}"
    );
    let last = scrape().await;
    if let Some((ok, said)) = promtool(&last) {
        assert!(ok, "promtool check metrics after the rejection: {said}");
    }
    // Every series the example Grafana dashboard draws is served.
    let dashboard = include_str!("../../../deploy/grafana/coopnet-node.json");
    let mut names: Vec<&str> = dashboard
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("coopnet_") || w.starts_with("libp2p_"))
        .collect();
    names.sort();
    names.dedup();
    assert!(names.len() >= 6, "{names:?}");
    for name in names {
        assert!(
            last.lines()
                .any(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} "))),
            "the Grafana dashboard draws {name}, which /metrics does not serve"
        );
    }

    forging.stop();
    web.stop().await;
    stop_all(fed.nodes).await;
}
