//! The partner-search replica of the web benchmarks (`search`,
//! `throughput`): `n` co-ops, each with a profile, a skills record and a
//! capacity record, signed on every core and ingested into a node's store;
//! then that node started in-process with its web server, an admin user and
//! an API token.
//!
//! - **Skills**: 4 to 12 distinct skills per co-op out of [`SKILL_POOL`]
//!   (names as a member would type them, normalised through the ESCO
//!   taxonomy as the web app does), drawn with Zipf-like weights (the k-th
//!   skill ∝ 1/(k+1)^0.9), so the common ones are held by thousands of
//!   co-ops and the tail by a hundred or so; levels and headcounts vary.
//! - **Capacity**: 1 to 4 windows starting 1 to 22 weeks from today, 2 to
//!   10 weeks long, 5 to 60 person-days, day rates from £250 to £650.
//! - **Profile**: `samples::profile(n)` (8 UK cities as regions) with a
//!   description naming two of [`SECTORS`], for free-text queries.

#![allow(dead_code)]

use super::*;

use coopnet::web::{WebServer, users};
use coopnet_node::config::STORE_FILE;
use coopnet_node::store::{Role, Store};
use coopnet_protocol::kinds::{
    Capacity, CapacityFields, CapacityWindow, RateBand, SkillEntry, SkillLevel, Skills,
    SkillsFields, WorkMode,
};
use coopnet_protocol::taxonomy::Taxonomy;
use coopnet_protocol::{Day, kinds::Profile};

/// Skill names, most commonly held first.
pub const SKILL_POOL: [&str; 48] = [
    "JavaScript",
    "Python",
    "web development",
    "user research",
    "accessibility",
    "PHP",
    "Drupal",
    "WordPress",
    "SQL",
    "project management",
    "ui design",
    "TypeScript",
    "CSS",
    "html",
    "data visualisation",
    "unit testing",
    "React",
    "Django",
    "Linux",
    "Docker",
    "Java (computer programming)",
    "usability testing",
    "search engine optimisation",
    "Ruby on Rails",
    "MySQL",
    "PostgreSQL",
    "machine learning",
    "cyber security",
    "Go",
    "Rust",
    "CiviCRM",
    "geographic information systems",
    "test automation",
    "api design",
    "Kubernetes",
    "Amazon Web Services",
    "Figma",
    "Node.js",
    "Vue.js",
    "GraphQL",
    "Kotlin",
    "C++",
    "Sass",
    "data mining",
    "web analytics",
    "Haskell",
    "Adobe Illustrator",
    "Swift (computer programming)",
];

/// The most commonly held skill, as a query would name it.
pub const COMMON_SKILL: &str = "python";

/// Who co-ops work for; each description names two.
pub const SECTORS: [&str; 10] = [
    "housing associations",
    "health charities",
    "local councils",
    "universities",
    "arts organisations",
    "trade unions",
    "food co-operatives",
    "environmental groups",
    "museums and archives",
    "community energy schemes",
];

/// What was built.
#[derive(Debug, Clone)]
pub struct ReplicaStats {
    /// Co-ops.
    pub coops: u32,
    /// Signed records (three per co-op).
    pub records: usize,
    /// Their signed bytes.
    pub bytes: u64,
    /// Skill entries over all co-ops.
    pub skills: usize,
    /// Capacity windows over all co-ops.
    pub windows: usize,
    /// The day the windows were laid out from.
    pub today: Day,
    /// How long signing, verifying and ingesting took.
    pub build: Duration,
}

impl ReplicaStats {
    /// One line describing the replica.
    pub fn describe(&self) -> String {
        format!(
            "replica: {} co-ops (profile + skills + capacity each; {} signed records, {:.1} MB), \
             {:.1} skills and {:.1} capacity windows per co-op on average ({} skill names, \
             Zipf-weighted), windows from {}; built in {:.1?}",
            self.coops,
            self.records,
            self.bytes as f64 / 1e6,
            self.skills as f64 / f64::from(self.coops),
            self.windows as f64 / f64::from(self.coops),
            SKILL_POOL.len(),
            self.today,
            self.build
        )
    }
}

/// A skill of the pool as a member's node publishes it: the name as
/// typed, linked to its concept.
struct PoolSkill {
    name: String,
    concept: Option<String>,
}

/// The pool, resolved as the web app resolves what members type; no two
/// names are the same skill.
fn pool() -> Vec<PoolSkill> {
    let taxonomy = Taxonomy::esco();
    let mut keys = Vec::new();
    SKILL_POOL
        .iter()
        .map(|name| {
            let resolved = taxonomy.resolve(name).expect("a skill name");
            assert!(!keys.contains(&resolved.key), "{name} is in the pool twice");
            keys.push(resolved.key);
            PoolSkill {
                name: resolved.name,
                concept: resolved.concept.map(|c| c.uri().to_owned()),
            }
        })
        .collect()
}

/// `count` distinct indexes into a pool of `len`, Zipf-weighted.
fn pick_skills(rng: &mut Rng, len: usize, count: usize) -> Vec<usize> {
    let weights: Vec<f64> = (0..len).map(|k| 1.0 / ((k + 1) as f64).powf(0.9)).collect();
    let total: f64 = weights.iter().sum();
    let mut picked = Vec::with_capacity(count);
    while picked.len() < count.min(len) {
        let mut x = (rng.next_u64() as f64 / u64::MAX as f64) * total;
        let k = weights
            .iter()
            .position(|w| {
                x -= w;
                x <= 0.0
            })
            .unwrap_or(len - 1);
        if !picked.contains(&k) {
            picked.push(k);
        }
    }
    picked
}

fn skills_body(rng: &mut Rng, pool: &[PoolSkill], picks: &[usize]) -> Skills {
    let levels = [
        SkillLevel::Working,
        SkillLevel::Proficient,
        SkillLevel::Expert,
    ];
    let entries = picks
        .iter()
        .map(|&k| SkillEntry {
            name: pool[k].name.clone(),
            concept: pool[k].concept.clone(),
            level: levels[rng.below(3)],
            headcount: 1 + rng.below(8) as u32,
        })
        .collect();
    Skills::parse(SkillsFields { entries }).expect("valid skills")
}

fn capacity_body(rng: &mut Rng, pool: &[PoolSkill], picks: &[usize], today: Day) -> Capacity {
    let day = |days: i32| Day::from_days(today.days() + days).expect("a day");
    let windows = (0..1 + rng.below(4))
        .map(|_| {
            let start = 7 * (1 + rng.below(22)) as i32;
            let length = 7 * (2 + rng.below(9)) as i32;
            let min = 250 + 25 * rng.below(17) as u32;
            let offered = picks.iter().take(1 + rng.below(3));
            CapacityWindow {
                from: day(start),
                to: day(start + length - 1),
                person_days: 5 + rng.below(56) as u32,
                rate: RateBand {
                    min,
                    max: min + 50 + 25 * rng.below(8) as u32,
                    currency: "GBP".into(),
                },
                mode: [WorkMode::Remote, WorkMode::Hybrid, WorkMode::OnSite][rng.below(3)],
                skills: offered.map(|&k| pool[k].name.clone()).collect(),
            }
        })
        .collect();
    Capacity::parse(CapacityFields { windows }).expect("valid capacity")
}

fn profile_body(n: usize) -> Profile {
    let mut fields = samples::profile(n).into_fields();
    let (a, b) = (SECTORS[n % 10], SECTORS[(n / 10 + n % 10 + 1) % 10]);
    fields.description = format!(
        "{} is a worker co-operative based in {}. We work mostly with {a} and {b}, and we \
         share work with the federation when a job is bigger than us.",
        fields.name, fields.region
    );
    Profile::parse(fields).expect("valid profile")
}

/// Co-op `n`'s three signed records.
fn coop_records(n: u32, pool: &[PoolSkill], today: Day, now: Timestamp) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(0x5ea7_c400_0000 + u64::from(n));
    let count = 4 + rng.below(9);
    let picks = pick_skills(&mut rng, pool.len(), count);
    let bodies = [
        Body::Profile(profile_body(n as usize)),
        Body::Skills(skills_body(&mut rng, pool, &picks)),
        Body::Capacity(capacity_body(&mut rng, pool, &picks, today)),
    ];
    let secret = author_secret(n);
    let issued = Timestamp(now.0 - 60_000 - rng.next_u64() % (30 * 86_400_000));
    bodies
        .into_iter()
        .map(|body| {
            let draft = Draft::new(body, String::new(), 1, issued);
            draft.sign(&secret).expect("sign").into_bytes()
        })
        .collect()
}

/// Signs co-ops `0..coops`' records on every core, verifies them, and
/// ingests them into the store of the node data directory `dir` (made here).
pub async fn build_replica(dir: &Path, coops: u32, now: Timestamp) -> ReplicaStats {
    let started = std::time::Instant::now();
    let pool = pool();
    let today = now.day();
    let ids: Vec<u32> = (0..coops).collect();
    let records: Vec<Vec<u8>> = parallel_map(&ids, |&n| coop_records(n, &pool, today, now))
        .into_iter()
        .flatten()
        .collect();
    let verified = verify_all(&records, now);
    let (mut skills, mut windows) = (0, 0);
    for v in &verified {
        match v.body() {
            Some(Body::Skills(s)) => skills += s.entries.len(),
            Some(Body::Capacity(c)) => windows += c.windows.len(),
            _ => {}
        }
    }
    init_dir(dir, "Search Bench Co-op");
    let store = Store::open(dir.join(STORE_FILE)).await.expect("open store");
    for chunk in verified.chunks(1_000) {
        store.ingest(chunk.to_vec()).await.expect("ingest");
    }
    store.close().await.expect("close store");
    ReplicaStats {
        coops,
        records: records.len(),
        bytes: records.iter().map(|r| r.len() as u64).sum(),
        skills,
        windows,
        today,
        build: started.elapsed(),
    }
}

/// A node running in this process with its web server and an API token.
#[derive(Debug)]
pub struct WebNode {
    /// The node.
    pub node: InProcess,
    /// Its web server.
    pub web: WebServer,
    /// A bearer token of its admin.
    pub token: String,
}

impl WebNode {
    /// Starts the node in `dir` (no peers) and its web server on a loopback
    /// port, with an admin and a token; `cached`: with the search answers
    /// cached as in production (off, every request runs its query).
    pub async fn start(dir: &Path, cached: bool) -> WebNode {
        let node = start_in_process(dir, Vec::new(), None, Some(Duration::from_secs(3_600))).await;
        let store = node.node.store();
        let password = users::random_password();
        users::add_user(store, "bench", &password, Role::Admin, true)
            .await
            .expect("add user");
        let token = users::create_token(store, "bench", "bench")
            .await
            .expect("create token");
        node.node.search_cache().set_enabled(cached);
        let config = coopnet_web::WebConfig::plain_http();
        let web = coopnet::web::serve_with(Arc::clone(&node.node), "127.0.0.1:0", config)
            .await
            .expect("web server");
        WebNode { node, web, token }
    }

    /// Stops the web server, then the node.
    pub async fn stop(self) {
        self.web.stop().await;
        self.node.node.shutdown().await;
    }
}

/// Runs a prepared partner-search statement (from `find_coops_sql`) with
/// its `params` and steps every row, reading each column as SQLite holds
/// it (no conversion); returns the rows. This is the bare-SQL baseline.
pub fn step_all(stmt: &mut rusqlite::Statement<'_>, params: &[rusqlite::types::Value]) -> usize {
    let columns = stmt.column_count();
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params))
        .expect("run the statement");
    let mut n = 0;
    while let Some(row) = rows.next().expect("step") {
        for c in 0..columns {
            std::hint::black_box(row.get_ref(c).expect("a column"));
        }
        n += 1;
    }
    n
}
