//! `coopnet demo`: a local federation of N real nodes on loopback, each with
//! its own data directory, seeded with varied sample co-ops and contracts.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use coopnet::web::{WebServer, users};
use coopnet_node::config::Config;
use coopnet_node::store::Role as UserRole;
use coopnet_node::{Node, Overrides, control, genesis, identity};
use coopnet_protocol::PublicKey;
use coopnet_protocol::federation::Genesis;
use coopnet_protocol::kinds::Role;

use super::demo_data;

/// Arguments of `coopnet demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many nodes (co-ops) to run.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=50))]
    nodes: u16,
    /// Where the nodes keep their data; a second run reuses it.
    #[arg(long, default_value = "coopnet-demo")]
    data: PathBuf,
}

/// Starts the nodes, seeds them, prints what runs, and waits for Ctrl-C.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let count = usize::from(args.nodes);
    let dirs: Vec<PathBuf> = (0..count)
        .map(|i| args.data.join(format!("node-{i}")))
        .collect();
    let keys = dirs
        .iter()
        .enumerate()
        .map(|(i, dir)| prepare(dir, i))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let genesis = found_federation(&args.data, keys[0])?;
    let mut nodes: Vec<Arc<Node>> = Vec::new();
    let mut first_addr: Option<String> = None;
    for (i, dir) in dirs.iter().enumerate() {
        let overrides = Overrides {
            listen: vec!["/ip4/127.0.0.1/tcp/0".to_owned()],
            bootstrap: first_addr.iter().cloned().collect(),
            sync_interval: Some(Duration::from_secs(10)),
            status_interval: Some(Duration::from_secs(30)),
            ..Overrides::default()
        };
        let node = Arc::new(Node::start(dir, overrides).await?);
        Node::spawn_heartbeat(&node);
        if i == 0 {
            first_addr = Some(dial_address(&node).await?);
            for (j, key) in keys.iter().enumerate().skip(1) {
                node.admit(*key, &demo_data::name(j), Role::Member, None)
                    .await?;
            }
        }
        tokio::spawn(control::serve(Arc::clone(&node)));
        nodes.push(node);
    }
    println!("Seeding {} co-ops…", nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        demo_data::seed(node, i)
            .await
            .with_context(|| format!("seeding node {i}"))?;
    }
    let contracts = demo_data::seed_ocds(&nodes)
        .await
        .context("importing the OCDS samples")?;
    println!("Imported {contracts} contracts from public OCDS procurement data.");
    let mut webs = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        webs.push(start_web(node, i).await?);
    }
    print_summary(&nodes, &webs, &args.data, &genesis).await?;
    super::shutdown_signal().await;
    println!("Stopping the demo federation…");
    for (web, _) in webs {
        web.stop().await;
    }
    for node in &nodes {
        node.shutdown().await;
    }
    Ok(())
}

/// The first web port the demo tries; node `i` gets this plus `i`, or any
/// free port if that one is taken.
const FIRST_WEB_PORT: u16 = 8080;

/// Serves node `i`'s web app with a fresh password for its `admin`.
async fn start_web(node: &Arc<Node>, i: usize) -> anyhow::Result<(WebServer, String)> {
    let password = users::random_password();
    users::add_user(node.store(), "admin", &password, UserRole::Admin, true).await?;
    let port = FIRST_WEB_PORT.saturating_add(u16::try_from(i).unwrap_or(0));
    let web = match coopnet::web::serve(Arc::clone(node), &format!("127.0.0.1:{port}")).await {
        Ok(web) => web,
        Err(_) => coopnet::web::serve(Arc::clone(node), "127.0.0.1:0").await?,
    };
    Ok((web, password))
}

/// Makes (or reuses) node `i`'s data directory; returns its co-op key.
fn prepare(dir: &Path, i: usize) -> anyhow::Result<PublicKey> {
    coopnet_node::private::create_dir(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    if dir.join(identity::KEY_FILE).exists() {
        return Ok(identity::load(dir)?.public());
    }
    let key = identity::create(dir)?.public();
    Config::new(&demo_data::name(i)).save(dir)?;
    Ok(key)
}

/// The demo federation, founded by node 0 (reused on later runs), and
/// every node's config pointed at it.
fn found_federation(root: &Path, founder: PublicKey) -> anyhow::Result<Genesis> {
    let file = std::path::absolute(root.join("federation.toml"))?;
    let genesis = match file.exists() {
        true => genesis::load(&file)?,
        false => {
            let genesis = Genesis {
                name: "Demo Tech Co-op Federation".into(),
                coordinators: vec![founder],
                bootstrap: Vec::new(),
                created_at: coopnet_node::clock::now(),
                network_key: None,
            };
            genesis::save(&genesis, &file)?;
            genesis
        }
    };
    for entry in std::fs::read_dir(root)? {
        let dir = entry?.path();
        if dir.join(coopnet_node::config::CONFIG_FILE).exists() {
            let mut config = Config::load(&dir)?;
            config.federation = Some(file.clone());
            config.save(&dir)?;
        }
    }
    Ok(genesis)
}

async fn dial_address(node: &Node) -> anyhow::Result<String> {
    let addrs = node.net().wait_listening(Duration::from_secs(5)).await?;
    let addr = addrs.first().context("the first node is not listening")?;
    let peer = identity::peer_id_of(&node.key()).context("no peer id")?;
    Ok(format!("{addr}/p2p/{peer}"))
}

async fn print_summary(
    nodes: &[Arc<Node>],
    webs: &[(WebServer, String)],
    root: &Path,
    genesis: &Genesis,
) -> anyhow::Result<()> {
    println!();
    println!(
        "Federation {:?} (id {}…), founded by node 0",
        genesis.name,
        &genesis.id().to_string()[..16]
    );
    println!(
        "coopnet demo federation: {} nodes on 127.0.0.1 (data in {})",
        nodes.len(),
        root.display()
    );
    println!("{:<30} {:<18} {:<24} log in", "co-op", "key", "web app");
    for (node, (web, password)) in nodes.iter().zip(webs) {
        let key = node.key().to_string();
        println!(
            "{:<30} {:<18} {:<24} admin / {password}",
            node.name(),
            format!("{}…", &key[..16]),
            web.url(),
        );
    }
    println!();
    println!("Peer addresses:");
    for node in nodes {
        println!("  {:<30} {}", node.name(), dial_address(node).await?);
    }
    println!();
    // The binary as it was started (`cargo run` puts it under target/),
    // so the hints work as printed.
    let bin = std::env::current_exe()
        .map(|path| path.display().to_string())
        .unwrap_or_else(|_| "coopnet".to_owned());
    println!("Open a web address above and log in; or, in another terminal:");
    println!(
        "  {bin} list --data {} --kind profile",
        root.join("node-1").display()
    );
    println!("  {bin} status --data {}", root.join("node-0").display());
    println!("Passwords are new on every run. Press Ctrl-C to stop.");
    Ok(())
}
