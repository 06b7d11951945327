//! `coopnet run`: run one node until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::sync::Arc;

use coopnet_node::{Node, Overrides, control};

/// Arguments of `coopnet run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The node's data directory (made by `coopnet init`).
    #[arg(long)]
    data: PathBuf,
    /// Listen on this multiaddress instead of the configured ones (repeatable).
    #[arg(long)]
    listen: Vec<String>,
    /// Also connect to this peer at start (repeatable).
    #[arg(long)]
    bootstrap: Vec<String>,
    /// Serve the web app on this address instead of the configured one
    /// (`127.0.0.1:8080` by default; port 0 picks a free port).
    #[arg(long)]
    http: Option<String>,
    /// Gossip heartbeat in milliseconds (overrides the config).
    #[arg(long)]
    heartbeat_ms: Option<u64>,
    /// Seconds between sync rounds (overrides the config).
    #[arg(long)]
    sync_interval_secs: Option<u64>,
    /// Seconds between this node's heartbeats (overrides the config).
    #[arg(long)]
    status_interval_secs: Option<u64>,
    /// An address others reach this node at (repeatable; its public IP).
    #[arg(long)]
    external: Vec<String>,
}

/// Runs the node and its control socket; shuts down cleanly on a signal.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let overrides = Overrides {
        listen: args.listen,
        bootstrap: args.bootstrap,
        heartbeat: args.heartbeat_ms.map(std::time::Duration::from_millis),
        sync_interval: args.sync_interval_secs.map(std::time::Duration::from_secs),
        status_interval: args
            .status_interval_secs
            .map(std::time::Duration::from_secs),
        external: args.external,
        ..Overrides::default()
    };
    let node = Arc::new(Node::start(&args.data, overrides).await?);
    Node::spawn_heartbeat(&node);
    let addrs = node
        .net()
        .wait_listening(std::time::Duration::from_secs(5))
        .await?;
    let peer_id = coopnet_node::identity::peer_id_of(&node.key());
    tracing::info!(key = %node.key(), "node of {} running", node.name());
    for addr in addrs {
        let peer = peer_id.map(|p| format!("/p2p/{p}")).unwrap_or_default();
        println!("listening on {addr}{peer}");
    }
    let control = tokio::spawn(control::serve(Arc::clone(&node)));
    let settings = coopnet_node::config::Config::load(&args.data)?.http;
    let http = args
        .http
        .clone()
        .unwrap_or_else(|| settings.address.clone());
    let web_config = coopnet_web::WebConfig {
        secure_cookies: settings.is_https(),
        trusted_proxies: settings.trusted_proxies.clone(),
        metrics_open: settings.metrics_open,
        ..coopnet_web::WebConfig::plain_http()
    };
    let web = coopnet::web::serve_with(Arc::clone(&node), &http, web_config).await?;
    println!("web app on {}", web.url());
    super::shutdown_signal().await;
    tracing::info!("shutting down");
    web.stop().await;
    control.abort();
    let _ = std::fs::remove_file(control::socket_path(&args.data));
    node.shutdown().await;
    Ok(())
}
