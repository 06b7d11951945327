//! The in-process variant of the propagation bench: 50 `Node`s in this
//! process, latency from just before `Node::publish` to the last other
//! node's `arrivals()` event, with the diagnostics of `diagnostics.rs`.

use super::*;

/// One run of the in-process variant: a fresh federation of
/// `sizes.in_process_nodes` nodes.
pub(crate) async fn run(sizes: &Sizes, rate_per_s: u64, seed: u64) -> Run {
    use coopnet_protocol::{Body, Kind, RecordId};
    let root = temp_root();
    let links = topology(sizes.in_process_nodes, seed);
    let mut nodes: Vec<InProcess> = Vec::new();
    for (i, dials) in links.iter().enumerate() {
        let dir = root.path().join(format!("node-{i}"));
        init_dir(&dir, &format!("In-process Co-op {i}"));
        let bootstrap = dials.iter().map(|&j| nodes[j].addr.clone()).collect();
        let heartbeat = Some(Duration::from_millis(HEARTBEAT_MS));
        nodes.push(start_in_process(&dir, bootstrap, heartbeat, None).await);
    }
    let started = Instant::now();
    'wait: loop {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "in-process nodes still lacked a subscribed peer"
        );
        for n in &nodes {
            let peers = n.node.net().peers().await.expect("peers");
            if !peers.iter().any(|p| p.subscribed) {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue 'wait;
            }
        }
        break;
    }
    let subscribe_secs = started.elapsed().as_secs_f64();
    let settled = wait_settled(
        || async {
            let mut counts = Vec::new();
            for n in &nodes {
                counts.push(n.node.net().peers().await.map_or(0, |p| p.len()));
            }
            counts
        },
        || cpu_ticks(std::process::id()),
        SETTLE_TIMEOUT,
    )
    .await;

    // One listener per node, stamping each arrival with an Instant.
    type Stamps = Arc<Mutex<HashMap<(usize, RecordId), Instant>>>;
    let stamps: Stamps = Arc::default();
    let mut listeners = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let mut arrivals = n.node.arrivals();
        let stamps = Arc::clone(&stamps);
        listeners.push(tokio::spawn(async move {
            loop {
                match arrivals.recv().await {
                    Ok(arrival) => {
                        let now = Instant::now();
                        stamps
                            .lock()
                            .expect("stamps lock")
                            .insert((i, arrival.id), now);
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        eprintln!("warning: node {i}'s arrivals listener lagged by {n}");
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        }));
    }

    let mut rng = Rng::new(seed ^ 0xb0b);
    let mut published: Vec<(RecordId, usize, Instant)> = Vec::new();
    let mut publish_ms = Vec::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(1_000 / rate_per_s));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let ticks_before = cpu_ticks(std::process::id());
    let start = Instant::now();
    for k in 0..sizes.records {
        ticker.tick().await;
        let from = rng.below(nodes.len());
        let body = Body::Contract(samples::contract(k));
        let key = format!("inproc-{seed}-{k}");
        let t0 = Instant::now();
        let receipt = nodes[from]
            .node
            .publish(Kind::Contract.code(), &key, Some(body), None)
            .await
            .expect("publish");
        publish_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        published.push((receipt.id, from, t0));
    }
    let publish_secs = start.elapsed().as_secs_f64();
    eprintln!(
        "Node::publish (sign, durable store, gossip): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&publish_ms, 50.0),
        percentile(&publish_ms, 99.0),
        percentile(&publish_ms, 100.0)
    );
    let ticks = cpu_ticks(std::process::id()) - ticks_before;
    let cpu_percent = 100.0 * ticks as f64 / clock_ticks_per_second() as f64 / publish_secs;

    // Wait until every other node has seen every record arrive, or 15 s.
    let expected = published.len() * (nodes.len() - 1);
    let deadline = Instant::now() + Duration::from_secs(15);
    while stamps.lock().expect("stamps lock").len() < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for listener in &listeners {
        listener.abort();
    }
    let connected = diagnostics::print_node_counters(&nodes).await;
    for n in &nodes {
        n.node.shutdown().await;
    }
    let stamps = stamps.lock().expect("stamps lock").clone();
    diagnostics::print_slow_receivers(&published, &stamps, &connected);

    let mut latencies_ms = Vec::new();
    let mut all_pairs_ms = Vec::new();
    let mut delivered = 0;
    for (id, from, t0) in &published {
        let mut worst = 0.0f64;
        for node in (0..nodes.len()).filter(|n| n != from) {
            match stamps.get(&(node, *id)) {
                Some(at) => {
                    delivered += 1;
                    let ms = at.duration_since(*t0).as_secs_f64() * 1e3;
                    all_pairs_ms.push(ms);
                    worst = worst.max(ms);
                }
                // Never arrived: the record's latency is infinite.
                None => worst = f64::INFINITY,
            }
        }
        latencies_ms.push(worst);
    }
    Run {
        latencies_ms,
        delivered,
        expected,
        publish_secs,
        subscribe_secs,
        settled,
        links,
        all_pairs_ms,
        cpu_percent,
    }
}
