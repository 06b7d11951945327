//! A small internet in network namespaces, for tests of nodes behind NAT:
//! a public host and two routers on one "internet" bridge, each router
//! masquerading a home network with one host behind it.
//!
//! ```text
//!   pub 10.99.0.10 ─┐
//!   r1  10.99.0.1  ─┼─ bridge (inet)      a 192.168.1.2 ── r1 192.168.1.1
//!   r2  10.99.0.2  ─┘                     b 192.168.2.2 ── r2 192.168.2.1
//! ```
//!
//! The routers forward and masquerade with nftables: by default Linux's
//! port-preserving mapping (endpoint-independent, so hole punching can
//! work); with `symmetric`, `masquerade random` (a new port per
//! destination: hole punching cannot work, only a relay can). Like home
//! routers, they silently drop what nobody inside asked for.

use std::net::Ipv4Addr;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

static LABS: AtomicUsize = AtomicUsize::new(0);

/// The hosts of the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// The public host.
    Public,
    /// Behind the first router.
    A,
    /// Behind the second router.
    B,
    /// A second public host (10.99.0.11), for comparisons.
    Public2,
}

/// The public host's address.
pub const PUBLIC: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 10);
/// The second public host's address.
pub const PUBLIC2: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 11);

/// The port each node's web app listens on, on the loopback of its own
/// namespace (reach it with [`in_namespace`]).
pub const HTTP_PORT: u16 = 8080;

/// The namespaces; removed on drop.
#[derive(Debug)]
pub struct NatLab {
    prefix: String,
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ip(args: &[&str]) {
    run("ip", args);
}

impl NatLab {
    /// Builds the lab; `symmetric`: the routers map each destination to a
    /// new port.
    pub fn new(symmetric: bool) -> NatLab {
        let n = LABS.fetch_add(1, Ordering::Relaxed);
        let lab = NatLab {
            prefix: format!("cz{}x{n}", std::process::id() % 100_000),
        };
        for ns in ["inet", "pub", "pub2", "r1", "r2", "a", "b"] {
            let ns = lab.ns_named(ns);
            ip(&["netns", "add", &ns]);
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
        }
        let inet = lab.ns_named("inet");
        ip(&["-n", &inet, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &inet, "link", "set", "br0", "up"]);
        lab.wire("pub", "pu", "10.99.0.10/24", "inet", "pi", None);
        lab.wire("pub2", "qu", "10.99.0.11/24", "inet", "qi", None);
        lab.wire("r1", "1w", "10.99.0.1/24", "inet", "1i", None);
        lab.wire("r2", "2w", "10.99.0.2/24", "inet", "2i", None);
        lab.wire(
            "a",
            "al",
            "192.168.1.2/24",
            "r1",
            "ar",
            Some("192.168.1.1/24"),
        );
        lab.wire(
            "b",
            "bl",
            "192.168.2.2/24",
            "r2",
            "br",
            Some("192.168.2.1/24"),
        );
        ip(&[
            "-n",
            &lab.ns_named("a"),
            "route",
            "add",
            "default",
            "via",
            "192.168.1.1",
        ]);
        ip(&[
            "-n",
            &lab.ns_named("b"),
            "route",
            "add",
            "default",
            "via",
            "192.168.2.1",
        ]);
        for (router, wan) in [("r1", "1w"), ("r2", "2w")] {
            let ns = lab.ns_named(router);
            run(
                "ip",
                &[
                    "netns",
                    "exec",
                    &ns,
                    "sysctl",
                    "-qw",
                    "net.ipv4.ip_forward=1",
                ],
            );
            let nft = |args: &[&str]| {
                let mut all = vec!["netns", "exec", &ns, "nft"];
                all.extend_from_slice(args);
                run("ip", &all);
            };
            nft(&["add", "table", "ip", "nat"]);
            nft(&[
                "add",
                "chain",
                "ip",
                "nat",
                "post",
                "{ type nat hook postrouting priority 100 ; }",
            ]);
            let wan = format!("{}{wan}", lab.prefix);
            let mut rule = vec![
                "add",
                "rule",
                "ip",
                "nat",
                "post",
                "oifname",
                &wan,
                "masquerade",
            ];
            if symmetric {
                rule.push("random");
            }
            nft(&rule);
            // Like a home router: what nobody inside asked for is dropped
            // silently (and leaves no connection-tracking entry that would
            // make the router map a later outgoing flow to another port).
            nft(&["add", "table", "ip", "filter"]);
            nft(&[
                "add",
                "chain",
                "ip",
                "filter",
                "input",
                "{ type filter hook input priority 0 ; }",
            ]);
            nft(&[
                "add", "rule", "ip", "filter", "input", "iifname", &wan, "ct", "state", "new",
                "drop",
            ]);
        }
        lab
    }

    fn ns_named(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// A veth pair from `a` (address `a_addr`) to `b`: into `b`'s bridge
    /// when `b_addr` is `None`, else addressed `b_addr`.
    fn wire(&self, a: &str, a_if: &str, a_addr: &str, b: &str, b_if: &str, b_addr: Option<&str>) {
        let (ai, bi) = (
            format!("{}{a_if}", self.prefix),
            format!("{}{b_if}", self.prefix),
        );
        ip(&["link", "add", &ai, "type", "veth", "peer", "name", &bi]);
        let (ans, bns) = (self.ns_named(a), self.ns_named(b));
        ip(&["link", "set", &ai, "netns", &ans]);
        ip(&["link", "set", &bi, "netns", &bns]);
        ip(&["-n", &ans, "addr", "add", a_addr, "dev", &ai]);
        ip(&["-n", &ans, "link", "set", &ai, "up"]);
        match b_addr {
            Some(addr) => ip(&["-n", &bns, "addr", "add", addr, "dev", &bi]),
            None => ip(&["-n", &bns, "link", "set", &bi, "master", "br0"]),
        }
        ip(&["-n", &bns, "link", "set", &bi, "up"]);
    }

    /// The namespace of a host.
    pub fn ns(&self, host: Host) -> String {
        self.ns_named(match host {
            Host::Public => "pub",
            Host::A => "a",
            Host::B => "b",
            Host::Public2 => "pub2",
        })
    }

    /// Bytes received and sent on `host`'s links to the lab (its
    /// loopback not counted): what went over the wire, headers and all.
    pub fn wire_bytes(&self, host: Host) -> (u64, u64) {
        let out = Command::new("ip")
            .args(["-n", &self.ns(host), "-j", "-s", "link", "show"])
            .output()
            .expect("ip link show");
        let links: serde_json::Value = serde_json::from_slice(&out.stdout).expect("ip's JSON");
        let mut total = (0, 0);
        for link in links.as_array().into_iter().flatten() {
            if link["ifname"] == "lo" {
                continue;
            }
            total.0 += link["stats64"]["rx"]["bytes"].as_u64().unwrap_or(0);
            total.1 += link["stats64"]["tx"]["bytes"].as_u64().unwrap_or(0);
        }
        total
    }

    /// A command running `program` in `host`'s namespace.
    pub fn command(&self, host: Host, program: &std::path::Path) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.ns(host)]).arg(program);
        command
    }
}

impl Drop for NatLab {
    fn drop(&mut self) {
        for ns in ["a", "b", "r1", "r2", "pub", "pub2", "inet"] {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.ns_named(ns)])
                .status();
        }
    }
}

/// Runs `f` on a new thread inside the network namespace `ns` (see
/// [`NatLab::ns`]): the sockets it opens are that namespace's, e.g. a
/// connection to a node's web app on its loopback.
pub fn in_namespace<T: Send + 'static>(ns: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let ns = ns.to_owned();
    std::thread::spawn(move || {
        enter_namespace(&ns);
        f()
    })
    .join()
    .expect("the thread in the namespace")
}

/// Moves the calling thread (only) into network namespace `ns`.
pub fn enter_namespace(ns: &str) {
    let path = format!("/run/netns/{ns}");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)
        .unwrap_or_else(|e| panic!("entering {path}: {e}"));
}

/// A `coopnet run` process in the lab; killed on drop.
#[derive(Debug)]
pub struct LabProc(std::process::Child);

impl Drop for LabProc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// How a node of the lab runs.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    /// The peer it dials at start.
    pub bootstrap: Option<&'a str>,
    /// Its public address, stated (TCP and QUIC at port 4001).
    pub external: Option<Ipv4Addr>,
    /// Seconds between sync rounds.
    pub sync_interval_secs: u64,
}

/// `coopnet init` for a node in `dir`; returns its peer id.
pub fn init_node(bin: &std::path::Path, dir: &std::path::Path, name: &str) -> String {
    let out = Command::new(bin)
        .args(["init", "--data"])
        .arg(dir)
        .args(["--name", name])
        .output()
        .expect("run coopnet init");
    assert!(
        out.status.success(),
        "coopnet init: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = coopnet_node::identity::load(dir)
        .expect("the new key")
        .public();
    coopnet_node::identity::peer_id_of(&key)
        .expect("a peer id")
        .to_string()
}

impl NatLab {
    /// Starts `coopnet run` for `dir` in `host`, on TCP and QUIC port 4001.
    /// With `COOPNET_NAT_LOGS=DIR` its log goes to `DIR/<host>.log`.
    pub fn run(
        &self,
        host: Host,
        bin: &std::path::Path,
        dir: &std::path::Path,
        run: Run<'_>,
    ) -> LabProc {
        use std::process::Stdio;
        let mut command = self.command(host, bin);
        command
            .args(["run", "--data"])
            .arg(dir)
            .args(["--listen", "/ip4/0.0.0.0/tcp/4001"])
            .args(["--listen", "/ip4/0.0.0.0/udp/4001/quic-v1"])
            .args(["--http", &format!("127.0.0.1:{HTTP_PORT}")])
            .args(["--sync-interval-secs", &run.sync_interval_secs.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Ok(logs) = std::env::var("COOPNET_NAT_LOGS") {
            let file = std::fs::File::create(format!("{logs}/{host:?}.log")).expect("a log file");
            command
                .env(
                    "RUST_LOG",
                    "info,libp2p_autonat=debug,libp2p_relay=debug,libp2p_dcutr=debug",
                )
                .stderr(file);
        }
        if let Some(addr) = run.bootstrap {
            command.args(["--bootstrap", addr]);
        }
        if let Some(ip) = run.external {
            command.args(["--external", &format!("/ip4/{ip}/tcp/4001")]);
            command.args(["--external", &format!("/ip4/{ip}/udp/4001/quic-v1")]);
        }
        LabProc(command.spawn().expect("coopnet run in a namespace"))
    }
}

/// A counter of `coopnet status`'s network figures (0 if the node does
/// not answer).
pub async fn net_counter(dir: &std::path::Path, counter: &str) -> u64 {
    use coopnet_node::control::{Request, call};
    let status = call(dir, &Request::Status).await.unwrap_or_default();
    status["net"][counter].as_u64().unwrap_or(0)
}

/// The records the node's store holds (0 if the node does not answer).
pub async fn records_held(dir: &std::path::Path) -> u64 {
    use coopnet_node::control::{Request, call};
    let status = call(dir, &Request::Status).await.unwrap_or_default();
    status["records"].as_u64().unwrap_or(0)
}

/// The remote addresses of the node's connections to `peer` (a relayed
/// one has `/p2p-circuit`).
pub async fn links(dir: &std::path::Path, peer: &str) -> Vec<String> {
    use coopnet_node::control::{Request, call};
    let reply = call(dir, &Request::Peers).await.unwrap_or_default();
    reply["peers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["peer_id"] == peer)
        .flat_map(|p| p["addresses"].as_array().cloned().unwrap_or_default())
        .filter_map(|a| a.as_str().map(str::to_owned))
        .collect()
}
