//! A small network of hosts in Linux network namespaces, for tests and
//! benchmarks of real partitions: each host is a namespace, each link a
//! veth pair with a /30 of its own, and a link is *cut* with nftables rules
//! that drop every packet on it (both ends), so TCP sees silence, not
//! errors — what a failed router or cable does. Hosts reach only their
//! neighbours (no forwarding), so a line is a line.
//!
//! Needs root, `ip` (iproute2) and `nft` (nftables); [`unavailable`] says
//! why not when they are missing, so a test can say SKIPPED visibly.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Labs made by this process (for unique names).
static LABS: AtomicUsize = AtomicUsize::new(0);

/// Why namespaces cannot be used here, or `None` if they can.
pub fn unavailable() -> Option<String> {
    let probe = format!("cnprobe{}", std::process::id());
    let made = Command::new("ip").args(["netns", "add", &probe]).output();
    match made {
        Err(e) => return Some(format!("cannot run `ip` (install iproute2): {e}")),
        Ok(out) if !out.status.success() => {
            let why = String::from_utf8_lossy(&out.stderr).trim().to_owned();
            return Some(format!(
                "cannot create a network namespace (needs root): {why}"
            ));
        }
        Ok(_) => {}
    }
    let nft = Command::new("ip")
        .args(["netns", "exec", &probe, "nft", "list", "tables"])
        .output();
    let _ = Command::new("ip").args(["netns", "del", &probe]).status();
    match nft {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "nftables does not work here: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Some(format!("cannot run `nft` (install nftables): {e}")),
    }
}

/// Runs `ip` with `args`, panicking with its error if it fails.
fn ip(args: &[&str]) {
    run("ip", args);
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

/// One link: a veth pair between two hosts.
#[derive(Debug, Clone)]
pub struct Link {
    /// The two hosts it joins.
    pub ends: (usize, usize),
    /// Its interface in each host's namespace.
    ifaces: (String, String),
    /// Each end's address.
    pub addrs: (Ipv4Addr, Ipv4Addr),
}

/// Hosts in namespaces and the links between them; all removed on drop.
#[derive(Debug)]
pub struct Lab {
    prefix: String,
    hosts: usize,
    links: Vec<Link>,
}

impl Lab {
    /// Makes `hosts` namespaces joined by `links` (pairs of host indices).
    pub fn new(hosts: usize, links: &[(usize, usize)]) -> Lab {
        let n = LABS.fetch_add(1, Ordering::Relaxed);
        let prefix = format!("cn{}x{n}", std::process::id() % 100_000);
        let mut lab = Lab {
            prefix,
            hosts,
            links: Vec::new(),
        };
        for host in 0..hosts {
            let ns = lab.ns(host);
            ip(&["netns", "add", &ns]);
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
        }
        for (k, &(a, b)) in links.iter().enumerate() {
            lab.links.push(lab.link(k, a, b));
        }
        lab
    }

    fn link(&self, k: usize, a: usize, b: usize) -> Link {
        let ifaces = (
            format!("{}l{k}a", self.prefix),
            format!("{}l{k}b", self.prefix),
        );
        let addrs = (
            Ipv4Addr::new(10, 99, k as u8, 1),
            Ipv4Addr::new(10, 99, k as u8, 2),
        );
        ip(&[
            "link", "add", &ifaces.0, "type", "veth", "peer", "name", &ifaces.1,
        ]);
        for (iface, host, addr) in [(&ifaces.0, a, addrs.0), (&ifaces.1, b, addrs.1)] {
            let ns = self.ns(host);
            ip(&["link", "set", iface, "netns", &ns]);
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("{addr}/30"),
                "dev",
                iface,
            ]);
            ip(&["-n", &ns, "link", "set", iface, "up"]);
        }
        Link {
            ends: (a, b),
            ifaces,
            addrs,
        }
    }

    /// The namespace of `host`.
    pub fn ns(&self, host: usize) -> String {
        format!("{}h{host}", self.prefix)
    }

    /// How many hosts.
    pub fn hosts(&self) -> usize {
        self.hosts
    }

    /// The links, in the order given.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// The address `host` has on link `k`.
    pub fn addr_on(&self, host: usize, k: usize) -> Ipv4Addr {
        let link = &self.links[k];
        if link.ends.0 == host {
            link.addrs.0
        } else {
            link.addrs.1
        }
    }

    fn table(k: usize) -> String {
        format!("cut{k}")
    }

    /// Cuts link `k`: from now every packet on it is dropped, both ways.
    pub fn cut(&self, k: usize) {
        let link = &self.links[k];
        let table = Self::table(k);
        for (host, iface) in [(link.ends.0, &link.ifaces.0), (link.ends.1, &link.ifaces.1)] {
            let ns = self.ns(host);
            let nft = |rule: &str| run("ip", &["netns", "exec", &ns, "nft", rule]);
            nft(&format!("add table inet {table}"));
            nft(&format!(
                "add chain inet {table} in {{ type filter hook input priority -10; policy accept; }}"
            ));
            nft(&format!(
                "add chain inet {table} out {{ type filter hook output priority -10; policy accept; }}"
            ));
            nft(&format!("add rule inet {table} in iifname {iface} drop"));
            nft(&format!("add rule inet {table} out oifname {iface} drop"));
        }
    }

    /// Restores link `k`.
    pub fn heal(&self, k: usize) {
        let link = &self.links[k];
        let table = Self::table(k);
        for host in [link.ends.0, link.ends.1] {
            let ns = self.ns(host);
            run(
                "ip",
                &[
                    "netns",
                    "exec",
                    &ns,
                    "nft",
                    &format!("delete table inet {table}"),
                ],
            );
        }
    }

    /// A command that runs `program` in `host`'s namespace.
    pub fn command(&self, host: usize, program: &Path) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.ns(host)]).arg(program);
        command
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for host in 0..self.hosts {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.ns(host)])
                .status();
        }
    }
}

/// A `coopnet run` process in a host of a [`Lab`]; killed on drop.
#[derive(Debug)]
pub struct HostNode {
    /// Its data directory.
    pub dir: PathBuf,
    child: Child,
}

impl HostNode {
    /// Starts `coopnet run` for the node in `dir` in `host`, listening on
    /// every address of the host at TCP port 4001 and dialling
    /// `bootstrap`, with `extra` arguments.
    pub fn start(
        lab: &Lab,
        host: usize,
        bin: &Path,
        dir: &Path,
        bootstrap: &[String],
        extra: &[&str],
    ) -> HostNode {
        let mut command = lab.command(host, bin);
        command
            .args(["run", "--data"])
            .arg(dir)
            .args(["--listen", "/ip4/0.0.0.0/tcp/4001", "--http", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for addr in bootstrap {
            command.args(["--bootstrap", addr]);
        }
        let child = command.spawn().expect("start coopnet run in a namespace");
        HostNode {
            dir: dir.to_owned(),
            child,
        }
    }

    /// The address of this node's port 4001 at `addr`, with its peer id.
    pub fn dial_addr(addr: Ipv4Addr, peer: &str) -> String {
        format!("/ip4/{addr}/tcp/4001/p2p/{peer}")
    }
}

impl Drop for HostNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
