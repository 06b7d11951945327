//! Connection exhaustion (issue 15): 500 TCP connections to a node that
//! never send a byte, from one address (127.0.0.66; this process reopens
//! each one the node closes, so they stay at 500), and a member that
//! connects meanwhile.
//!
//! A founder (`coopnet run`) and a member it admitted; each run the
//! founder publishes a new contract, then the member's process starts
//! (dialling the founder) and is timed from its start to holding that
//! contract (it arrives by the sync that every new connection starts);
//! then the member stops. Five runs with the 500 idle sockets open and
//! five without, alternating; reported: the medians and their ratio
//! (target ≤ 2), and how many sockets the founder refused at once and
//! closed on its handshake timeout.
//!
//! Run: `cargo bench --bench exhaustion`. Under `cargo test --benches` it
//! uses 50 sockets and one run each, and writes no summary.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{
    Mode, Procs, Summary, cleanup_on_signal, list, median, runtime, tcp_port, temp_root,
    wait_control,
};
use coopnet_node::control::{Request, call};
use coopnet_node::identity;
use coopnet_protocol::kinds::Role;
use coopnet_protocol::samples;
use coopnet_tests::federation::{found, prepare_member};

struct Sizes {
    sockets: usize,
    runs: usize,
}

fn main() {
    let mode = Mode::detect();
    let sizes = mode.pick(
        Sizes {
            sockets: 500,
            runs: 5,
        },
        Sizes {
            sockets: 50,
            runs: 1,
        },
    );
    let rt = runtime();
    cleanup_on_signal(&rt);
    let root = temp_root();
    let mut procs = Procs::default();
    let founder_dir = root.path().join("founder");
    std::fs::create_dir_all(&founder_dir).expect("dir");
    let founder_key = identity::create(&founder_dir).expect("identity").public();
    let (_, file) = found(root.path(), founder_key, None);
    let mut config = coopnet_node::config::Config::new("Founder Co-op");
    config.federation = Some(file.clone());
    config.save(&founder_dir).expect("config");
    let member_dir = root.path().join("member");
    let member_key = prepare_member(&member_dir, "Member", &file);
    let founder = procs.spawn(&founder_dir, &[]);
    let target = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), tcp_port(&founder.addr));
    rt.block_on(async {
        wait_control(&founder_dir).await;
        let admit = Request::Admit {
            member: member_key,
            name: "Member".into(),
            role: Role::Member,
            expires_at: None,
        };
        call(&founder_dir, &admit).await.expect("admit");
    });
    let (mut quiet, mut attacked) = (Vec::new(), Vec::new());
    let mut refused = 0;
    for run in 0..sizes.runs * 2 {
        let attack = run % 2 == 1;
        let sockets = attack.then(|| Attack::start(target, sizes.sockets));
        let took = rt.block_on(member_joins(&founder_dir, &member_dir, &founder.addr, run));
        if let Some(attack) = sockets {
            refused = attack.stop();
        }
        eprintln!(
            "run {run} ({}): {took:.0} ms",
            if attack { "attacked" } else { "quiet" }
        );
        match attack {
            true => attacked.push(took),
            false => quiet.push(took),
        }
    }
    let stats = rt
        .block_on(call(&founder_dir, &Request::Status))
        .expect("status");
    let mut summary = Summary::new("exhaustion", mode);
    summary.line(format!(
        "a member joining a founder and receiving a new record, {} runs each way:",
        sizes.runs
    ));
    summary.line(format!(
        "  no idle sockets: median {:.0} ms {}",
        median(&quiet),
        list(&quiet, 0)
    ));
    summary.line(format!(
        "  {} idle sockets from one address: median {:.0} ms {}",
        sizes.sockets,
        median(&attacked),
        list(&attacked, 0)
    ));
    summary.line(format!(
        "  ratio {:.2} (target ≤ 2); sockets the founder closed in the last attacked run: {refused}; \
         connections refused in all: {}",
        median(&attacked) / median(&quiet),
        stats["net"]["connections_refused"]
    ));
    summary.finish();
}

/// The founder publishes a new contract; the member's process starts and
/// is timed to holding it (ms); then it stops.
async fn member_joins(founder: &Path, member: &Path, addr: &str, run: usize) -> f64 {
    let key = format!("fresh-{run}");
    let publish = Request::Publish {
        kind: "contract".into(),
        key: key.clone(),
        body: serde_json::to_value(samples::contract(run)).expect("JSON"),
        expires_at: None,
    };
    call(founder, &publish).await.expect("publish");
    let started = Instant::now();
    let mut mine = Procs::default();
    mine.spawn(member, &["--bootstrap".to_owned(), addr.to_owned()]);
    loop {
        let list = Request::List {
            kind: Some("contract".into()),
            author: None,
            limit: Some(10_000),
            offset: None,
        };
        if let Ok(reply) = call(member, &list).await {
            let records = reply["records"].as_array().cloned().unwrap_or_default();
            if records.iter().any(|r| r["key"] == key.as_str()) {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the member never got the record"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let took = started.elapsed().as_secs_f64() * 1e3;
    mine.kill_all();
    took
}

/// Idle sockets kept open: a thread reopens each one the node closes.
struct Attack {
    stop: Arc<AtomicBool>,
    closed: Arc<AtomicUsize>,
    thread: std::thread::JoinHandle<()>,
}

impl Attack {
    fn start(target: SocketAddr, n: usize) -> Attack {
        let stop = Arc::new(AtomicBool::new(false));
        let closed = Arc::new(AtomicUsize::new(0));
        let (flag, count) = (stop.clone(), closed.clone());
        let from = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 66));
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let mut sockets = coopnet_tests::hostile::idle_sockets(target, from, n).await;
                while !flag.load(Ordering::Relaxed) {
                    let before = sockets.len();
                    sockets
                        .retain(|s| coopnet_tests::hostile::closed(std::slice::from_ref(s)) == 0);
                    count.fetch_add(before - sockets.len(), Ordering::Relaxed);
                    let more =
                        coopnet_tests::hostile::idle_sockets(target, from, n - sockets.len()).await;
                    sockets.extend(more);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            });
        });
        Attack {
            stop,
            closed,
            thread,
        }
    }

    /// Stops reopening and closes them; how many the node closed.
    fn stop(self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        self.closed.load(Ordering::Relaxed)
    }
}
