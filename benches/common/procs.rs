//! `coopnet` processes for the benchmarks: starting them, killing them on
//! drop or on a signal, waiting for them, and reading `/proc`.

#![allow(dead_code)]

use super::*;

/// The `coopnet` binary of this build.
pub fn coopnet_bin() -> &'static str {
    env!("CARGO_BIN_EXE_coopnet")
}

/// Runs `coopnet init --data dir --name name`.
pub fn coopnet_init(dir: &Path, name: &str) {
    let out = Command::new(coopnet_bin())
        .args(["init", "--data"])
        .arg(dir)
        .args(["--name", name])
        .output()
        .expect("run coopnet init");
    assert!(
        out.status.success(),
        "coopnet init failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Process ids of the `coopnet run` children still running, for
/// [`cleanup_on_signal`].
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());
/// Directories made by [`temp_root`], for [`cleanup_on_signal`].
static ROOTS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A temporary directory for a bench's data, removed when dropped and by
/// [`cleanup_on_signal`].
pub fn temp_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    if let Ok(mut roots) = ROOTS.lock() {
        roots.push(dir.path().to_owned());
    }
    dir
}

/// On Ctrl-C or SIGTERM, kills every `coopnet run` child still running,
/// removes the [`temp_root`] directories and exits (drop guards do not run
/// when a signal ends the process).
pub fn cleanup_on_signal(rt: &tokio::runtime::Runtime) {
    rt.spawn(async {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        let pids = CHILDREN.lock().map(|c| c.clone()).unwrap_or_default();
        for pid in pids {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        let roots = ROOTS.lock().map(|r| r.clone()).unwrap_or_default();
        for root in roots {
            let _ = std::fs::remove_dir_all(root);
        }
        eprintln!("interrupted: killed this bench's coopnet processes, removed its data");
        std::process::exit(130);
    });
}

/// `coopnet run` child processes; every one still running is killed and
/// reaped when this is dropped, panics included.
#[derive(Debug, Default)]
pub struct Procs {
    children: Vec<Child>,
}

/// One started `coopnet run`.
#[derive(Debug, Clone)]
pub struct Proc {
    /// Its process id.
    pub pid: u32,
    /// Its data directory.
    pub dir: PathBuf,
    /// Its dialable address.
    pub addr: String,
}

impl Procs {
    /// Starts `coopnet run --data dir --listen /ip4/127.0.0.1/tcp/0` with
    /// `extra` arguments, and waits for its "listening on" line. With
    /// `COOPNET_BENCH_LOGS=<dir>` each node's log (at `RUST_LOG`, default
    /// `warn`) is kept in `<dir>/<its data dir's name>.log`.
    pub fn spawn(&mut self, dir: &Path, extra: &[String]) -> Proc {
        let (stderr, level) = match std::env::var_os("COOPNET_BENCH_LOGS") {
            Some(logs) => {
                let name = dir.file_name().unwrap_or_default().to_string_lossy();
                let file = std::fs::File::create(Path::new(&logs).join(format!("{name}.log")))
                    .expect("create the node's log");
                let level = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into());
                (Stdio::from(file), level)
            }
            None => (Stdio::null(), "warn".to_owned()),
        };
        let mut child = Command::new(coopnet_bin())
            .args(["run", "--data"])
            .arg(dir)
            .args(["--listen", "/ip4/127.0.0.1/tcp/0", "--http", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", level)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start coopnet run");
        let pid = child.id();
        let stdout = child.stdout.take().expect("piped stdout");
        // Owned by the guard before anything below can panic.
        self.children.push(child);
        if let Ok(mut all) = CHILDREN.lock() {
            all.push(pid);
        }
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("coopnet run exited before listening")
                .expect("read coopnet run's output");
            if let Some(addr) = line.strip_prefix("listening on ") {
                break addr.trim().to_owned();
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Proc {
            pid,
            dir: dir.to_owned(),
            addr,
        }
    }

    /// Kills and reaps every child.
    pub fn kill_all(&mut self) {
        for mut child in self.children.drain(..) {
            let _ = child.kill();
            let _ = child.wait();
            if let Ok(mut all) = CHILDREN.lock() {
                all.retain(|&pid| pid != child.id());
            }
        }
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        self.kill_all();
    }
}

/// Waits until the control socket of the node in `dir` answers.
pub async fn wait_control(dir: &Path) {
    use coopnet_node::control::{Request, call};
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while call(dir, &Request::Status).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the control socket of {} never answered",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until every node in `dirs` has at least one peer subscribed to
/// the topic; returns how long that took.
pub async fn wait_subscribed(dirs: &[PathBuf], timeout: Duration) -> Duration {
    use coopnet_node::control::{Request, call};
    let start = tokio::time::Instant::now();
    'poll: loop {
        assert!(
            start.elapsed() < timeout,
            "nodes still lacked a subscribed peer after {timeout:?}"
        );
        for dir in dirs {
            let reply = call(dir, &Request::Peers).await.unwrap_or_default();
            let subscribed = reply["peers"]
                .as_array()
                .is_some_and(|peers| peers.iter().any(|p| p["subscribed"] == true));
            if !subscribed {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue 'poll;
            }
        }
        return start.elapsed();
    }
}

/// A `/proc/PID/status` field in kB (e.g. `VmRSS`).
pub fn proc_status_kb(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// utime + stime of a process, in clock ticks (`/proc/PID/stat`).
pub fn cpu_ticks(pid: u32) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc stat");
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &text[text.rfind(')').expect("a stat line") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
    let field = |i: usize| fields[i].parse::<u64>().expect("a tick count");
    field(11) + field(12)
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 if that fails).
pub fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100)
}
