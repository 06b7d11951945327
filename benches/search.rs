//! Partner search through the web app (issue 5): latency per API request
//! against a replica of 10,000 co-ops (target p99 ≤ 20 ms), and the ratio
//! of the API's p50 to the bare SQL statement the search runs, same
//! database, same run (target ≤ 2).
//!
//! Set-up (not timed): `common::build_replica` signs a profile, a skills
//! record and a capacity record for each of 10,000 co-ops on every core and
//! ingests them into a node's store; the node is started in-process (no
//! peers) with its web server on 127.0.0.1:0, an admin user and an API
//! token. The queries are a fixed mix of six ([`mix`]): one skill; two
//! skills, all; three skills, any; a skill with a date window and
//! `min_days`; a skill with `max_rate` and a region; free text. Each runs
//! with the API's default limit (50 hits). The node's cache of search
//! answers is turned off, so
//! that every request runs its query (the `throughput` bench measures the
//! API with them on, as it runs in production).
//!
//! - **API**: `GET /api/v1/coops?…` with `Authorization: Bearer <token>`,
//!   sequential over one keep-alive HTTP/1.1 connection (hyper client, in
//!   the server's runtime), timed from sending the request to the last
//!   byte of the body; every response must be 200 with as many hits as
//!   `partners::find_coops` gives for the query.
//! - **bare SQL**: the statement `partners::find_coops_sql` builds for the
//!   same `CoopQuery` (made from the same query string by the web app's
//!   `CoopParams`, our own key left out, as the API does), prepared once on
//!   a plain rusqlite `Connection` on the same store file while the node
//!   runs, executed and stepped to the last row (every column read).
//!
//! Once, before timing, the API's hit list for every query of the mix must
//! equal what `partners::find_coops` returns on the same database (same
//! co-ops, same order): the baseline is the same work. After a warm-up,
//! five rounds, each 400 API requests and then the same 400 statements (the
//! mix in turn); per round p50 and p99 and API p50 / SQL p50; medians over
//! rounds, and a per-query breakdown.
//!
//! Run: `cargo bench --bench search`. Under `cargo test --benches` it runs
//! one round of 12 requests over 200 co-ops and writes no summary file.

mod common;

use common::{
    Client, Mode, ReplicaStats, Summary, WebNode, build_replica, cleanup_on_signal, list, median,
    percentile, runtime, step_all, temp_root,
};
use coopnet_node::clock;
use coopnet_node::config::STORE_FILE;
use coopnet_node::store::CoopQuery;
use coopnet_node::store::partners::{self, CoopSql};
use coopnet_protocol::{Day, PublicKey};
use coopnet_web::query::CoopParams;
use rusqlite::{Connection, Statement};
use std::time::Instant;

/// One query of the mix, with what it must return.
struct Query {
    label: &'static str,
    path: String,
    sql: CoopSql,
    /// The hits' keys, best first, from `partners::find_coops`.
    hits: Vec<String>,
    /// How many co-ops match with no limit.
    matches: usize,
}

/// The query strings of the mix; windows are relative to `today`.
fn mix(today: Day) -> Vec<(&'static str, String)> {
    let day = |d: i32| Day::from_days(today.days() + d).expect("a day");
    vec![
        ("one skill", "skill=python".to_owned()),
        (
            "two skills, all",
            "skill=javascript&skill=user+research".to_owned(),
        ),
        (
            "three skills, any",
            "skill=drupal&skill=wordpress&skill=php&match=any".to_owned(),
        ),
        (
            "skill + window + min_days",
            format!(
                "skill=web+development&from={}&to={}&min_days=20",
                day(28),
                day(90)
            ),
        ),
        (
            "skill + max_rate + region",
            "skill=accessibility&max_rate=400&region=leeds".to_owned(),
        ),
        ("free text", "q=housing+associations".to_owned()),
    ]
}

fn main() {
    let mode = Mode::detect();
    let (coops, requests, rounds) = mode.pick((10_000, 400, 5), (200, 12, 1));
    let rt = runtime();
    cleanup_on_signal(&rt);
    let root = temp_root();
    let dir = root.path().join("node");
    let stats = rt.block_on(build_replica(&dir, coops, clock::now()));
    eprintln!("{}", stats.describe());
    // Caches off: every request runs its query, the work the target is about.
    let node = rt.block_on(WebNode::start(&dir, false));
    let conn = Connection::open(dir.join(STORE_FILE)).expect("open the store file");
    let queries = prepare(&conn, node.node.node.key(), stats.today);
    if mode == Mode::Bench {
        for q in &queries {
            assert!(!q.hits.is_empty(), "{}: no hits on the replica", q.label);
        }
    }
    let mut statements: Vec<Statement<'_>> = queries
        .iter()
        .map(|q| conn.prepare(&q.sql.sql).expect("prepare"))
        .collect();
    let mut client = rt.block_on(Client::connect(node.web.addr, &node.token));
    rt.block_on(check_same_hits(&mut client, &queries));
    rt.block_on(api_round(&mut client, &queries, 2 * queries.len()));
    sql_round(&mut statements, &queries, 2 * queries.len());

    let (mut api, mut sql) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        api.push(rt.block_on(api_round(&mut client, &queries, requests)));
        sql.push(sql_round(&mut statements, &queries, requests));
        let (a, s) = (&api[round], &sql[round]);
        eprintln!(
            "round {round}: API p50 {:.2} ms p99 {:.2} ms, SQL p50 {:.2} ms p99 {:.2} ms",
            1e3 * percentile(a, 50.0),
            1e3 * percentile(a, 99.0),
            1e3 * percentile(s, 50.0),
            1e3 * percentile(s, 99.0)
        );
    }
    drop(client);
    rt.block_on(node.stop());
    report(mode, &stats, &queries, &api, &sql);
}

/// The mix as `Query`s, with the hits and match counts of each.
fn prepare(conn: &Connection, own: PublicKey, today: Day) -> Vec<Query> {
    mix(today)
        .into_iter()
        .map(|(label, query)| {
            let store = store_query(&query, own);
            let sql = partners::find_coops_sql(&store).expect("a statement");
            let page = partners::find_coops(conn, &store).expect("find_coops");
            let hits = page.hits.iter().map(|h| h.author.to_string()).collect();
            let matches = page.total;
            Query {
                label,
                path: format!("/api/v1/coops?{query}"),
                sql,
                hits,
                matches,
            }
        })
        .collect()
}

/// The store's query for an API query string, made as the API makes it
/// (`CoopParams`; `NodeBackend::find_coops` passes it on as it is).
fn store_query(query: &str, own: PublicKey) -> CoopQuery {
    CoopParams::from_query(query)
        .to_query(Some(own))
        .expect("a valid query")
}

/// The keys of an API answer's hits, in order.
fn keys(path: &str, body: &[u8]) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_slice(body).expect("a JSON answer");
    let hits = json["coops"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: no list of co-ops: {json}"));
    hits.iter()
        .map(|h| h["coop_key"].as_str().expect("a hit's key").to_owned())
        .collect()
}

/// The API's hits for every query are `partners::find_coops`'s.
async fn check_same_hits(client: &mut Client, queries: &[Query]) {
    for q in queries {
        let (status, body, _) = client.get(&q.path).await;
        assert_eq!(
            status,
            200,
            "{}: {}",
            q.path,
            String::from_utf8_lossy(&body)
        );
        assert_eq!(
            keys(&q.path, &body),
            q.hits,
            "{}: the API's hits are not partners::find_coops's",
            q.label
        );
    }
}

/// `n` requests (the mix in turn): seconds each; each answer is checked
/// after its time is taken.
async fn api_round(client: &mut Client, queries: &[Query], n: usize) -> Vec<f64> {
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let q = &queries[i % queries.len()];
        let (status, body, secs) = client.get(&q.path).await;
        times.push(secs);
        assert_eq!(
            status,
            200,
            "{}: {}",
            q.path,
            String::from_utf8_lossy(&body)
        );
        assert_eq!(keys(&q.path, &body).len(), q.hits.len(), "{}", q.label);
    }
    times
}

/// `n` bare statements (the mix in turn): seconds each.
fn sql_round(statements: &mut [Statement<'_>], queries: &[Query], n: usize) -> Vec<f64> {
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let q = &queries[i % queries.len()];
        let start = Instant::now();
        let rows = step_all(&mut statements[i % queries.len()], &q.sql.params);
        times.push(start.elapsed().as_secs_f64());
        assert_eq!(rows, q.hits.len(), "{}", q.label);
    }
    times
}

/// The times of query `q` (of `len`) over every round, in ms.
fn of_query(rounds: &[Vec<f64>], q: usize, len: usize) -> Vec<f64> {
    let pick = |times: &Vec<f64>| {
        let mine: Vec<f64> = times.iter().skip(q).step_by(len).map(|t| t * 1e3).collect();
        mine
    };
    rounds.iter().flat_map(pick).collect()
}

fn met(ok: bool) -> &'static str {
    if ok { "MET" } else { "MISSED" }
}

fn report(mode: Mode, stats: &ReplicaStats, queries: &[Query], api: &[Vec<f64>], sql: &[Vec<f64>]) {
    let mut summary = Summary::new("search", mode);
    summary.line(stats.describe());
    summary.line(
        "server: in-process coopnet_node::Node (no peers) + coopnet::web::serve on 127.0.0.1, \
         one tokio runtime of 2 workers and the store's thread; client: hyper HTTP/1.1, one \
         keep-alive connection, sequential, same process (2 cores shared by all)",
    );
    summary.line(
        "bare SQL: partners::find_coops_sql's statement prepared once on a plain rusqlite \
         Connection on the same store file, executed and stepped to the last row",
    );
    summary.line("queries (API default limit 50; matches = co-ops matching with no limit):");
    for q in queries {
        summary.line(format!(
            "  {:<26} {:>5} matches {:>3} hits  {}",
            q.label,
            q.matches,
            q.hits.len(),
            q.path
        ));
    }
    let n = queries.len() as f64;
    let mean_hits = queries.iter().map(|q| q.hits.len() as f64).sum::<f64>() / n;
    let mean_matches = queries.iter().map(|q| q.matches as f64).sum::<f64>() / n;
    summary.line(format!(
        "hits per request: {mean_hits:.1} on average (the mix in turn); matching co-ops: \
         {mean_matches:.0} on average"
    ));
    let ms = |times: &[Vec<f64>], p: f64| -> Vec<f64> {
        times.iter().map(|t| 1e3 * percentile(t, p)).collect()
    };
    let (api50, api99, sql50, sql99) = (ms(api, 50.0), ms(api, 99.0), ms(sql, 50.0), ms(sql, 99.0));
    let ratios: Vec<f64> = api50.iter().zip(&sql50).map(|(a, s)| a / s).collect();
    for r in 0..api.len() {
        summary.line(format!(
            "round {r}: {} requests: API p50 {:.2} ms p99 {:.2} ms | bare SQL p50 {:.2} ms \
             p99 {:.2} ms | API p50 / SQL p50 {:.2}",
            api[r].len(),
            api50[r],
            api99[r],
            sql50[r],
            sql99[r],
            ratios[r]
        ));
    }
    let (p99, ratio) = (median(&api99), median(&ratios));
    summary.line(format!(
        "median of {} rounds: API p50 {:.2} ms, p99 {p99:.2} ms (target <= 20 ms: {}); bare SQL \
         p50 {:.2} ms, p99 {:.2} ms; API p50 / SQL p50 {ratio:.2} (per round {}; target <= 2: {})",
        api.len(),
        median(&api50),
        met(p99 <= 20.0),
        median(&sql50),
        median(&sql99),
        list(&ratios, 2),
        met(ratio <= 2.0)
    ));
    summary.line("per query, all rounds (ms): API p50 p99 | SQL p50 p99 | API - SQL at p50");
    for (i, q) in queries.iter().enumerate() {
        let (a, s) = (
            of_query(api, i, queries.len()),
            of_query(sql, i, queries.len()),
        );
        let (a50, s50) = (percentile(&a, 50.0), percentile(&s, 50.0));
        summary.line(format!(
            "  {:<26} {a50:>6.2} {:>6.2} | {s50:>6.2} {:>6.2} | {:>+6.2}",
            q.label,
            percentile(&a, 99.0),
            percentile(&s, 99.0),
            a50 - s50
        ));
    }
    summary.finish();
}
