//! The commands that talk to a running node over its control socket.

use std::path::PathBuf;

use anyhow::{Context, bail};
use coopnet_node::control::{Request, call};
use serde_json::Value;

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
    #[arg(long, default_value_t = 1_000)]
    limit: usize,
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

/// `coopnet list`.
pub fn list(args: &ListArgs) -> anyhow::Result<()> {
    let author = match &args.author {
        Some(text) => Some(text.parse().map_err(|e| anyhow::anyhow!("--author: {e}"))?),
        None => None,
    };
    let request = Request::List {
        kind: args.kind.clone(),
        author,
        limit: Some(args.limit),
    };
    let reply = ask(&args.data, &request)?;
    let records = reply["records"].as_array().cloned().unwrap_or_default();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&records)?);
        return Ok(());
    }
    println!(
        "{:<12} {:<10} {:<24} {:>14}  summary",
        "author", "kind", "key", "version"
    );
    for r in &records {
        let author = r["author"].as_str().unwrap_or_default();
        let title = r["body"]["name"]
            .as_str()
            .or(r["body"]["title"].as_str())
            .unwrap_or("");
        println!(
            "{:<12} {:<10} {:<24} {:>14}  {}",
            &author[..author.len().min(12)],
            r["kind"].as_str().unwrap_or_default(),
            r["key"].as_str().unwrap_or_default(),
            r["version"],
            title.chars().take(50).collect::<String>(),
        );
    }
    println!("{} records", records.len());
    Ok(())
}

/// `coopnet peers`.
pub fn peers(args: &DataArgs) -> anyhow::Result<()> {
    let reply = ask(&args.data, &Request::Peers)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reply["peers"])?);
        return Ok(());
    }
    let peers = reply["peers"].as_array().cloned().unwrap_or_default();
    for p in &peers {
        println!(
            "{}  score {}  penalty {}",
            p["peer_id"].as_str().unwrap_or_default(),
            p["gossip_score"],
            p["penalty_points"]
        );
    }
    println!("{} peers connected", peers.len());
    Ok(())
}

/// `coopnet status`.
pub fn status(args: &DataArgs) -> anyhow::Result<()> {
    let reply = ask(&args.data, &Request::Status)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reply)?);
        return Ok(());
    }
    let Some(name) = reply["name"].as_str() else {
        bail!("unexpected reply from the node")
    };
    println!("{name}");
    println!("  key:    {}", reply["key"].as_str().unwrap_or_default());
    for addr in reply["listen"].as_array().into_iter().flatten() {
        println!("  listen: {}", addr.as_str().unwrap_or_default());
    }
    println!("  peers:  {}", reply["peers_connected"]);
    println!("  records:{}", reply["records"]);
    Ok(())
}
