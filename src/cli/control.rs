//! The commands that talk to a running node over its control socket.

use std::path::PathBuf;

use anyhow::{Context, bail};
use coopnet_node::control::{Request, call};
use serde_json::Value;

use super::out::Out;

/// The data directory of the running node.
#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// The node's data directory.
    #[arg(long)]
    data: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Arguments of `coopnet publish`.
#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// The node's data directory.
    #[arg(long)]
    data: PathBuf,
    /// Record kind: profile, skills, capacity, contract, bid-notice.
    kind: String,
    /// JSON file with the body's fields (`-` for standard input).
    file: PathBuf,
    /// Key within the kind (contracts: your id for it; empty for profile,
    /// skills and capacity).
    #[arg(long, default_value = "")]
    key: String,
}

/// Arguments of `coopnet withdraw`.
#[derive(Debug, clap::Args)]
pub struct WithdrawArgs {
    /// The node's data directory.
    #[arg(long)]
    data: PathBuf,
    /// Record kind.
    kind: String,
    /// Key within the kind.
    #[arg(long, default_value = "")]
    key: String,
}

/// Arguments of `coopnet list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// The node's data directory.
    #[arg(long)]
    data: PathBuf,
    /// Only this kind.
    #[arg(long)]
    kind: Option<String>,
    /// Only records by this co-op key.
    #[arg(long)]
    author: Option<String>,
    /// At most this many records.
    #[arg(long, default_value_t = 100)]
    limit: usize,
    /// Skip this many first (for the next page).
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Print JSON (one array) instead of a table.
    #[arg(long)]
    json: bool,
}

fn ask(data: &std::path::Path, request: &Request) -> anyhow::Result<Value> {
    let rt = super::runtime()?;
    rt.block_on(call(data, request)).map_err(anyhow::Error::msg)
}

/// `coopnet publish`.
pub fn publish(args: &PublishArgs) -> anyhow::Result<()> {
    let text = if args.file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(&args.file)
            .with_context(|| format!("cannot read {}", args.file.display()))?
    };
    let body: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", args.file.display()))?;
    let request = Request::Publish {
        kind: args.kind.clone(),
        key: args.key.clone(),
        body,
        expires_at: None,
    };
    let reply = ask(&args.data, &request)?;
    println!("{}", serde_json::to_string_pretty(&reply["receipt"])?);
    Ok(())
}

/// `coopnet withdraw`.
pub fn withdraw(args: &WithdrawArgs) -> anyhow::Result<()> {
    let reply = ask(
        &args.data,
        &Request::Withdraw {
            kind: args.kind.clone(),
            key: args.key.clone(),
        },
    )?;
    println!("{}", serde_json::to_string_pretty(&reply["receipt"])?);
    Ok(())
}

/// `coopnet list`: a page of records, and how to get the next.
pub fn list(args: &ListArgs) -> anyhow::Result<()> {
    let author = match &args.author {
        Some(text) => Some(text.parse().map_err(|e| anyhow::anyhow!("--author: {e}"))?),
        None => None,
    };
    let request = Request::List {
        kind: args.kind.clone(),
        author,
        limit: Some(args.limit),
        offset: Some(args.offset),
    };
    let reply = ask(&args.data, &request)?;
    let records = reply["records"].as_array().cloned().unwrap_or_default();
    let more = reply["more"].as_bool().unwrap_or(false);
    let mut out = Out;
    if args.json {
        return out.line(serde_json::to_string_pretty(&records)?);
    }
    out.line(format_args!(
        "{:<12} {:<10} {:<24} {:<16}  summary",
        "author", "kind", "key", "published"
    ))?;
    for r in &records {
        let author = r["author"].as_str().unwrap_or_default();
        let title = r["body"]["name"]
            .as_str()
            .or(r["body"]["title"].as_str())
            .unwrap_or("");
        out.line(format_args!(
            "{:<12} {:<10} {:<24} {:<16}  {}",
            &author[..author.len().min(12)],
            r["kind"].as_str().unwrap_or_default(),
            r["key"].as_str().unwrap_or_default(),
            r["issued_at"].as_u64().map(when).unwrap_or_default(),
            title.chars().take(50).collect::<String>(),
        ))?;
    }
    let first = args.offset + usize::from(!records.is_empty());
    let last = args.offset + records.len();
    match more {
        true => out.line(format_args!(
            "records {first}–{last}; more exist: add --offset {last} for the next {}",
            args.limit
        )),
        false => out.line(format_args!("records {first}–{last}, the last of them")),
    }
}

/// A Unix-ms time as `2026-12-07 14:05` (UTC).
fn when(ms: u64) -> String {
    let day = coopnet_protocol::Timestamp(ms).day();
    let minutes = (ms / 60_000) % (24 * 60);
    format!("{day} {:02}:{:02}", minutes / 60, minutes % 60)
}

/// `coopnet peers`.
/// Arguments of `coopnet connect`.
#[derive(Debug, clap::Args)]
pub struct ConnectArgs {
    /// The node's data directory.
    #[arg(long)]
    data: PathBuf,
    /// The peer's multiaddress, with `/p2p/<peer id>` (through a relay:
    /// `…/p2p/<relay>/p2p-circuit/p2p/<peer>`).
    addr: String,
}

/// Asks the running node to connect to a peer.
pub fn connect(args: &ConnectArgs) -> anyhow::Result<()> {
    ask(
        &args.data,
        &Request::Connect {
            addr: args.addr.clone(),
        },
    )?;
    Out.line(format_args!("dialling {}", args.addr))
}

pub fn peers(args: &DataArgs) -> anyhow::Result<()> {
    let reply = ask(&args.data, &Request::Peers)?;
    let mut out = Out;
    if args.json {
        return out.line(serde_json::to_string_pretty(&reply["peers"])?);
    }
    let peers = reply["peers"].as_array().cloned().unwrap_or_default();
    for p in &peers {
        out.line(format_args!(
            "{}  score {}  penalty {}",
            p["peer_id"].as_str().unwrap_or_default(),
            p["gossip_score"],
            p["penalty_points"]
        ))?;
    }
    out.line(format_args!("{} peers connected", peers.len()))
}

/// `coopnet status`: one fact a line, as people read them.
pub fn status(args: &DataArgs) -> anyhow::Result<()> {
    let reply = ask(&args.data, &Request::Status)?;
    let mut out = Out;
    if args.json {
        return out.line(serde_json::to_string_pretty(&reply)?);
    }
    let Some(name) = reply["name"].as_str() else {
        bail!("unexpected reply from the node")
    };
    let text = |v: &Value| v.as_str().unwrap_or("?").to_owned();
    out.line(name)?;
    out.line(format_args!("  key:        {}", text(&reply["key"])))?;
    for addr in reply["listen"].as_array().into_iter().flatten() {
        out.line(format_args!("  listening:  {}", text(addr)))?;
    }
    match reply["federation"]["name"].as_str() {
        Some(federation) => {
            let standing = match reply["member"].as_bool() {
                Some(true) => "a member",
                _ => "not (yet) a member",
            };
            out.line(format_args!("  federation: {federation} ({standing})"))?;
        }
        None => out.line("  federation: none (an open network)")?,
    }
    out.line(format_args!(
        "  peers:      {} connected",
        reply["peers_connected"]
    ))?;
    out.line(format_args!("  records:    {}", reply["records"]))?;
    if let Some(held) = reply["held"].as_u64().filter(|h| *h > 0) {
        out.line(format_args!(
            "  held:       {held} (their authors' membership has not arrived)"
        ))?;
    }
    let net = &reply["net"];
    out.line(format_args!(
        "  synced:     {} rounds, {} records fetched",
        net["syncs_completed"], net["records_fetched"]
    ))?;
    out.line(format_args!(
        "  refused:    {} gossip over a peer's rate, {} over an author's, {} peers blocked",
        net["gossip_over_peer_rate"], net["gossip_over_author_rate"], net["peers_blocked"]
    ))
}
