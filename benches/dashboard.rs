//! The network dashboard (issue 19): latency of the page `GET /network`
//! and of its API (`/api/v1/network/health`, `…/supply`, `…/capacity`,
//! `…/pipeline`) over a replica of 2,000 co-ops and 100,000 records.
//! Target: p99 ≤ 100 ms. And the heartbeat's cost: gossip bytes per node
//! per hour at 1,000 co-ops, from the measured size of a heartbeat.
//!
//! Set-up (not timed): `common::build_replica` gives 2,000 co-ops'
//! profile, skills and capacity (6,000 records); then, signed on every
//! core and ingested: 47 contracts per co-op (94,000; 3–8 skills of the
//! 48-name pool each, four in five open), one heartbeat per co-op (a
//! third of them stale: offline) and 500 bid notices, so 102,500 records.
//! The node starts in-process (no peers) with its web server and a token.
//!
//! Timed: after a warm-up, five rounds of 100 requests per path over one
//! keep-alive HTTP/1.1 connection, sequential; each answer must be 200.
//! Baseline, same run: what a request would cost if it recomputed the
//! demand from every contract record (read and decode each, count its
//! skills), timed directly on the store, 5 times.
//!
//! Run: `cargo bench --bench dashboard`. Under `cargo test --benches` it
//! runs one round of 4 requests per path over 100 co-ops.

mod common;

use std::time::Instant;

use common::{
    Client, Mode, SKILL_POOL, Summary, WebNode, author_secret, build_replica, cleanup_on_signal,
    list, median, parallel_map, percentile, runtime, temp_root, verify_all,
};
use coopnet_node::clock;
use coopnet_node::config::STORE_FILE;
use coopnet_node::store::{ListFilter, Store};
use coopnet_protocol::kinds::{
    BidNotice, BidNoticeFields, BidStatus, Contract, ContractStatus, NodeStatus, NodeStatusFields,
};
use coopnet_protocol::{Body, Draft, Kind, Timestamp};

const CONTRACTS_PER_COOP: u32 = 47;
const NOTICES: u32 = 500;

fn contract(n: u32, i: u32) -> Body {
    let mut fields = coopnet_protocol::samples::contract(i as usize).into_fields();
    let seed = u64::from(n) * 7_919 + u64::from(i) * 104_729;
    let count = 3 + (seed % 6) as usize;
    fields.required_skills = (0..count)
        .map(|k| {
            SKILL_POOL[((seed / 7 + 13 * k as u64) % SKILL_POOL.len() as u64) as usize].to_owned()
        })
        .collect();
    fields.required_skills.sort();
    fields.required_skills.dedup();
    fields.status = if seed.is_multiple_of(5) {
        ContractStatus::Closed
    } else {
        ContractStatus::Open
    };
    Body::Contract(Contract::parse(fields).expect("a valid contract"))
}

fn heartbeat(n: u32) -> NodeStatus {
    NodeStatus::parse(NodeStatusFields {
        software_version: env!("CARGO_PKG_VERSION").to_owned(),
        records_held: 102_500 - u64::from(n % 50),
        peers_connected: 8,
        last_sync: Some(Timestamp(clock::now().0 - 20_000)),
        uptime_seconds: 86_400 + u64::from(n),
    })
    .expect("a valid heartbeat")
}

/// Co-op `n`'s contracts, heartbeat and (for the first [`NOTICES`]) a bid
/// notice, signed.
fn extra_records(n: u32, coops: u32, now: Timestamp) -> Vec<Vec<u8>> {
    let secret = author_secret(n);
    let mut out = Vec::new();
    let sign = |body: Body, key: String, at: Timestamp, expires: Option<Timestamp>| {
        let mut draft = Draft::new(body, key, 1, at);
        draft.expires_at = expires;
        draft.sign(&secret).expect("sign").into_bytes()
    };
    for i in 0..CONTRACTS_PER_COOP {
        out.push(sign(contract(n, i), format!("c-{i}"), now, None));
    }
    // Every 300 s: a third last beat 12 minutes ago (offline, not yet
    // expired), the rest a minute ago.
    let beat_at = Timestamp(now.0 - if n.is_multiple_of(3) { 720_000 } else { 60_000 });
    let expires = Timestamp(beat_at.0 + 900_000);
    out.push(sign(
        Body::NodeStatus(heartbeat(n)),
        String::new(),
        beat_at,
        Some(expires),
    ));
    if n < NOTICES.min(coops) {
        let statuses = [
            BidStatus::Forming,
            BidStatus::Submitted,
            BidStatus::Won,
            BidStatus::Lost,
        ];
        let notice = BidNotice::parse(BidNoticeFields {
            contract_author: author_secret((n + 1) % coops).public(),
            contract_key: "c-0".into(),
            lead: secret.public(),
            partners: vec![author_secret((n + 2) % coops).public()],
            status: statuses[n as usize % 4],
        })
        .expect("a valid notice");
        let at = Timestamp(now.0 - u64::from(n) * 86_400_000 / 10);
        out.push(sign(Body::BidNotice(notice), format!("{n:032x}"), at, None));
    }
    out
}

/// The heartbeat's cost at 1,000 co-ops, from a signed heartbeat's size.
fn heartbeat_cost(period_s: u64) -> (usize, String) {
    let secret = author_secret(0);
    let now = clock::now();
    let mut draft = Draft::new(Body::NodeStatus(heartbeat(0)), String::new(), now.0, now);
    draft.expires_at = Some(Timestamp(now.0 + 3 * period_s * 1_000));
    let bytes = draft.sign(&secret).expect("sign").into_bytes().len();
    // A gossipsub message: the data plus its protobuf framing and the
    // topic (`coopnet/<federation id, 64 hex>/records/1`): about 90 bytes.
    let message = bytes + 90;
    let per_hour = 1_000 * 3_600 / period_s;
    // Each node takes each heartbeat once from the mesh; at worst from all
    // six mesh peers (gossipsub's D; IDONTWANT only cuts messages over
    // 1,000 bytes), plus an IHAVE of its id (about 40 bytes) to six more.
    let once = per_hour * message as u64;
    let worst = per_hour * (6 * message as u64 + 6 * 40);
    (
        bytes,
        format!(
            "heartbeat: a signed NodeStatus is {bytes} bytes (about {message} as a gossip message); \
             every {period_s} s at 1,000 co-ops each node receives {per_hour} an hour: {:.1} MB an \
             hour taking each once, {:.1} MB at worst with every mesh duplicate and IHAVE \
             ({:.1}–{:.1} kB/s)",
            once as f64 / 1e6,
            worst as f64 / 1e6,
            once as f64 / 3.6e6,
            worst as f64 / 3.6e6
        ),
    )
}

fn main() {
    let mode = Mode::detect();
    let (coops, requests, rounds) = mode.pick((2_000, 100, 5), (100, 4, 1));
    let rt = runtime();
    cleanup_on_signal(&rt);
    let root = temp_root();
    let dir = root.path().join("node");
    let now = clock::now();
    let stats = rt.block_on(build_replica(&dir, coops, now));
    let ids: Vec<u32> = (0..coops).collect();
    let extra: Vec<Vec<u8>> = parallel_map(&ids, |&n| extra_records(n, coops, now))
        .into_iter()
        .flatten()
        .collect();
    let verified = verify_all(&extra, now);
    let total = stats.records + verified.len();
    rt.block_on(async {
        let store = Store::open(dir.join(STORE_FILE)).await.expect("open store");
        for chunk in verified.chunks(1_000) {
            store.ingest(chunk.to_vec()).await.expect("ingest");
        }
        store.close().await.expect("close store");
    });
    eprintln!(
        "{} and {} more records: {total}",
        stats.describe(),
        verified.len()
    );
    let node = rt.block_on(WebNode::start(&dir, false));
    let paths = [
        "/network",
        "/api/v1/network/health",
        "/api/v1/network/supply",
        "/api/v1/network/capacity",
        "/api/v1/network/capacity?skill=Python&region=Leeds",
        "/api/v1/network/pipeline",
    ];
    let mut client = rt.block_on(Client::connect(node.web.addr, &node.token));
    let mut sizes = Vec::new();
    for path in paths {
        let (status, body, _) = rt.block_on(client.get(path));
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        sizes.push(body.len());
    }
    let (_, health, _) = rt.block_on(client.get("/api/v1/network/health"));
    let health: serde_json::Value = serde_json::from_slice(&health).expect("JSON");
    let (_, supply, _) = rt.block_on(client.get("/api/v1/network/supply"));
    let supply: serde_json::Value = serde_json::from_slice(&supply).expect("JSON");
    let mut per_path: Vec<Vec<Vec<f64>>> = vec![Vec::new(); paths.len()];
    let mut failed = 0;
    for r in 0..rounds {
        for (p, path) in paths.iter().enumerate() {
            let mut times = Vec::with_capacity(requests);
            for _ in 0..requests {
                let (status, body, secs) = rt.block_on(client.get(path));
                if status == 200 {
                    times.push(secs * 1e3);
                } else {
                    failed += 1;
                    eprintln!("{path}: {status} {}", String::from_utf8_lossy(&body));
                }
            }
            eprintln!(
                "round {r} {path}: p50 {:.1} ms p99 {:.1} ms",
                percentile(&times, 50.0),
                percentile(&times, 99.0)
            );
            per_path[p].push(times);
        }
    }
    drop(client);
    // Baseline: recomputing the demand from every contract per request.
    let mut naive = Vec::new();
    for _ in 0..mode.pick(5, 1) {
        let started = Instant::now();
        let filter = ListFilter {
            kind: Some(Kind::Contract.code()),
            limit: 1_000_000,
            ..ListFilter::default()
        };
        let records = rt
            .block_on(node.node.node.store().list(filter))
            .expect("list");
        let mut demand = std::collections::HashMap::<String, u64>::new();
        for r in &records {
            if let Some(Ok(Body::Contract(c))) = r
                .record
                .body_bytes()
                .map(|b| Body::decode(Kind::Contract.code(), b))
                && c.status == ContractStatus::Open
            {
                for s in &c.required_skills {
                    *demand.entry(s.clone()).or_default() += 1;
                }
            }
        }
        naive.push(started.elapsed().as_secs_f64() * 1e3);
    }
    rt.block_on(node.stop());

    let mut summary = Summary::new("dashboard", mode);
    summary.line(format!(
        "{}; plus {} contracts ({} a co-op, 4 in 5 open), {coops} heartbeats (a third stale) and \
         {} bid notices: {total} records",
        stats.describe(),
        coops * CONTRACTS_PER_COOP,
        CONTRACTS_PER_COOP,
        NOTICES.min(coops)
    ));
    summary.line(format!(
        "the answers: {} online, {} offline; {} skills in demand, the scarcest {}",
        health["online"],
        health["offline"],
        supply["skills"].as_array().map_or(0, Vec::len),
        supply["skills"][0]["skill"]
    ));
    summary.line(
        "server: in-process coopnet_node::Node (no peers) + coopnet::web::serve on 127.0.0.1; \
         client: hyper HTTP/1.1, one keep-alive connection, sequential, same process (2 cores)",
    );
    let mut worst = 0.0_f64;
    for (p, path) in paths.iter().enumerate() {
        let p50: Vec<f64> = per_path[p].iter().map(|t| percentile(t, 50.0)).collect();
        let p99: Vec<f64> = per_path[p].iter().map(|t| percentile(t, 99.0)).collect();
        worst = worst.max(median(&p99));
        let answered: usize = per_path[p].iter().map(Vec::len).sum();
        let against = median(&naive) / median(&p50);
        summary.line(format!(
            "  {path:<52} {:>7} bytes; answered 200 {answered}/{}; p50 per round {} ms, p99 per round {} ms; median p50 {:.1} ms, p99 {:.1} ms; the baseline's time / this p50 {against:.0}",
            sizes[p],
            rounds * requests,
            list(&p50, 1),
            list(&p99, 1),
            median(&p50),
            median(&p99)
        ));
    }
    let page_p50 = median(
        &per_path[0]
            .iter()
            .map(|t| percentile(t, 50.0))
            .collect::<Vec<_>>(),
    );
    summary.line(format!(
        "baseline, same run: recomputing the demand from every contract record (read, decode, count) \
         takes {} ms (median {:.0} ms), {:.0}x the whole page's p50",
        list(&naive, 0),
        median(&naive),
        median(&naive) / page_p50
    ));
    let ok = worst <= 100.0 && failed == 0;
    summary.line(format!(
        "slowest path's median p99 {worst:.1} ms, {failed} failed (target p99 <= 100 ms: {})",
        if ok { "MET" } else { "MISSED" }
    ));
    for period in [300, 60] {
        summary.line(heartbeat_cost(period).1);
    }
    summary.finish();
}
