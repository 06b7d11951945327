//! `coopnet check --data DIR`: what is wrong with a data directory and its
//! config, in plain words — the key's permissions, the config, the
//! federation file and whether the store's roster is of the same
//! federation, the store's schema and integrity, whether the bootstrap
//! peers answer. Exits non-zero when anything needs fixing.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use coopnet_node::config::{Config, STORE_FILE};
use coopnet_node::control::{Request, call};
use coopnet_node::identity::KEY_FILE;

/// Arguments of `coopnet check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The node's data directory.
    #[arg(long)]
    data: PathBuf,
}

/// What the check found.
#[derive(Debug, Default)]
struct Findings {
    lines: Vec<String>,
    problems: usize,
}

impl Findings {
    fn ok(&mut self, text: impl Into<String>) {
        self.lines.push(format!("ok       {}", text.into()));
    }
    fn problem(&mut self, text: impl Into<String>) {
        self.problems += 1;
        self.lines.push(format!("PROBLEM  {}", text.into()));
    }
    fn note(&mut self, text: impl Into<String>) {
        self.lines.push(format!("note     {}", text.into()));
    }
}

fn mode(path: &Path) -> Option<u32> {
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

fn check_key(dir: &Path, f: &mut Findings) {
    let path = dir.join(KEY_FILE);
    match mode(&path) {
        None => f.problem(format!(
            "there is no identity key ({}): run `coopnet init`, or restore it with `coopnet restore --key`",
            path.display()
        )),
        Some(m) if m & 0o077 != 0 => f.problem(format!(
            "the identity key {} can be read by others (mode {m:o}): run `chmod 600 {}`",
            path.display(),
            path.display()
        )),
        Some(_) => match coopnet_node::identity::load(dir) {
            Ok(key) => f.ok(format!("identity key, readable by its owner only (co-op {})", key.public())),
            Err(e) => f.problem(format!("the identity key does not load: {e}")),
        },
    }
    if let Some(m) = mode(dir)
        && m & 0o077 != 0
    {
        f.note(format!(
            "the data directory is mode {m:o}; the node tightens it to 700 when it starts"
        ));
    }
}

/// `host:port` of a TCP multiaddress, if it is one.
fn tcp_target(addr: &str) -> Option<String> {
    let parts: Vec<&str> = addr.split('/').collect();
    let host = parts.windows(2).find_map(|w| match w[0] {
        "ip4" | "dns" | "dns4" | "dns6" => Some(w[1].to_owned()),
        "ip6" => Some(format!("[{}]", w[1])),
        _ => None,
    })?;
    let port = parts
        .windows(2)
        .find_map(|w| (w[0] == "tcp").then(|| w[1].to_owned()))?;
    Some(format!("{host}:{port}"))
}

async fn check_bootstrap(addrs: &[String], f: &mut Findings) {
    for addr in addrs {
        let Some(target) = tcp_target(addr) else {
            f.problem(format!("bootstrap {addr} is not a TCP multiaddress"));
            continue;
        };
        let dial = tokio::net::TcpStream::connect(&target);
        match tokio::time::timeout(Duration::from_secs(3), dial).await {
            Ok(Ok(_)) => f.ok(format!("bootstrap peer {target} answers")),
            Ok(Err(e)) => f.problem(format!(
                "bootstrap peer {target} cannot be reached ({e}): is it running, and is its port open?"
            )),
            Err(_) => f.problem(format!(
                "bootstrap peer {target} did not answer in 3 s: a firewall, or the wrong address?"
            )),
        }
    }
}

fn check_store(db: &Path, f: &mut Findings) {
    if !db.exists() {
        f.note("no store yet: the node makes one when it first starts");
        return;
    }
    match coopnet_node::store::backup::check_file(db) {
        Ok((schema, records)) => {
            let supported = coopnet_node::store::schema::supported_version();
            let upgrade = if schema < supported {
                format!(" (this coopnet upgrades it to {supported} when it starts)")
            } else {
                String::new()
            };
            f.ok(format!(
                "store: integrity check ok, {records} records, schema version {schema}{upgrade}"
            ));
        }
        Err(e) => f.problem(format!("store {}: {e}", db.display())),
    }
}

/// Runs every check and prints what it found.
pub async fn run(args: &Args) -> anyhow::Result<()> {
    let mut f = Findings::default();
    let dir = &args.data;
    if !dir.is_dir() {
        f.problem(format!(
            "{} is not a directory: run `coopnet init --data {}` first",
            dir.display(),
            dir.display()
        ));
        return finish(f);
    }
    check_key(dir, &mut f);
    let config = match Config::load(dir) {
        Ok(config) => {
            f.ok("config.toml reads");
            Some(config)
        }
        Err(e) => {
            f.problem(format!("{e}"));
            None
        }
    };
    let mut bootstrap = Vec::new();
    if let Some(config) = &config {
        bootstrap.extend(config.network.bootstrap.iter().cloned());
        if let Some(file) = &config.federation {
            let path = dir.join(file);
            match coopnet_node::genesis::load(&path) {
                Ok(genesis) => {
                    f.ok(format!(
                        "federation file: {} ({})",
                        genesis.name,
                        genesis.id()
                    ));
                    bootstrap.extend(genesis.bootstrap.iter().cloned());
                    let seen: Vec<String> =
                        coopnet_node::store::backup::roster_federations(&dir.join(STORE_FILE))
                            .unwrap_or_default()
                            .iter()
                            .map(ToString::to_string)
                            .collect();
                    let ours = genesis.id().to_string();
                    if seen.iter().any(|id| *id != ours) {
                        f.problem(format!(
                            "genesis mismatch: the store holds memberships of federation {} but \
                             config.toml names {ours}; point `federation` at the right file, or \
                             start from a fresh data directory",
                            seen.join(", ")
                        ));
                    }
                }
                Err(e) => f.problem(format!("{e}")),
            }
        } else {
            f.note("no federation file: an open network (a development mode)");
        }
        if !config.http.address.starts_with("127.") && !config.http.is_https() {
            f.note(format!(
                "the web app listens on {} over plain HTTP: put it behind a TLS proxy and set public_url",
                config.http.address
            ));
        }
    }
    check_store(&dir.join(STORE_FILE), &mut f);
    if bootstrap.is_empty() {
        f.note("no bootstrap peers: this node only waits for others to dial it");
    } else {
        check_bootstrap(&bootstrap, &mut f).await;
    }
    if call(dir, &Request::Status).await.is_ok() {
        f.note("the node is running");
    }
    finish(f)
}

fn finish(f: Findings) -> anyhow::Result<()> {
    for line in &f.lines {
        println!("{line}");
    }
    if f.problems > 0 {
        anyhow::bail!(
            "{} problem{} to fix",
            f.problems,
            if f.problems == 1 { "" } else { "s" }
        );
    }
    println!("Nothing to fix.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_targets_are_read_from_multiaddresses() {
        assert_eq!(
            tcp_target("/ip4/203.0.113.5/tcp/4001/p2p/12D3KooW").as_deref(),
            Some("203.0.113.5:4001")
        );
        assert_eq!(
            tcp_target("/dns4/node.example.coop/tcp/4001").as_deref(),
            Some("node.example.coop:4001")
        );
        assert_eq!(tcp_target("/ip6/::1/tcp/9").as_deref(), Some("[::1]:9"));
        assert_eq!(tcp_target("/ip4/1.2.3.4/udp/9/quic-v1"), None);
    }
}
