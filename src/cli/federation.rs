//! `coopnet federation`: create a federation, admit and revoke members.

use std::path::PathBuf;

use anyhow::{Context, bail};
use coopnet_node::config::Config;
use coopnet_node::control::{Request, call};
use coopnet_node::{genesis, identity};
use coopnet_protocol::federation::{Genesis, NetworkKey};
use coopnet_protocol::kinds::Role;

/// What to do with the federation.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Write a new federation's genesis file, with this node's co-op as
    /// its first coordinator, and point this node's config at it.
    Create {
        /// The coordinator node's data directory.
        #[arg(long)]
        data: PathBuf,
        /// The federation's name.
        #[arg(long)]
        name: String,
        /// Where to write the genesis file.
        #[arg(long)]
        out: PathBuf,
        /// Bootstrap address members dial first (repeatable), e.g.
        /// /ip4/203.0.113.5/tcp/4001/p2p/12D3KooW….
        #[arg(long)]
        bootstrap: Vec<String>,
        /// Also generate a private-network key (TCP only): nodes without the
        /// file cannot even complete a handshake.
        #[arg(long)]
        network_key: bool,
    },
    /// Admit a co-op from its join code (node running; coordinators only).
    Admit {
        /// The join code the new co-op's `coopnet init` printed.
        code: String,
        /// The coordinator node's data directory.
        #[arg(long)]
        data: PathBuf,
        /// Make it a coordinator too.
        #[arg(long)]
        coordinator: bool,
        /// Membership lapses after this many days.
        #[arg(long)]
        expires_days: Option<u64>,
    },
    /// Revoke a co-op's membership (node running; coordinators only).
    Revoke {
        /// The co-op's key.
        key: String,
        /// Why (kept for audit).
        #[arg(long)]
        reason: String,
        /// The coordinator node's data directory.
        #[arg(long)]
        data: PathBuf,
    },
}

/// Runs a `federation` command.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Create {
            data,
            name,
            out,
            bootstrap,
            network_key,
        } => create(&data, name, &out, bootstrap, network_key),
        Command::Admit {
            code,
            data,
            coordinator,
            expires_days,
        } => {
            let (member, name) = genesis::parse_join_code(&code).map_err(anyhow::Error::msg)?;
            let role = if coordinator {
                Role::Coordinator
            } else {
                Role::Member
            };
            let expires_at = expires_days.map(|d| coopnet_node::clock::now().0 + d * 86_400_000);
            let request = Request::Admit {
                member,
                name: name.clone(),
                role,
                expires_at,
            };
            let rt = super::runtime()?;
            rt.block_on(call(&data, &request))
                .map_err(anyhow::Error::msg)?;
            println!("Admitted {name} ({member}); its node will sync in shortly.");
            Ok(())
        }
        Command::Revoke { key, reason, data } => {
            let member = key.parse().map_err(|e| anyhow::anyhow!("{key}: {e}"))?;
            let rt = super::runtime()?;
            rt.block_on(call(&data, &Request::Revoke { member, reason }))
                .map_err(anyhow::Error::msg)?;
            println!("Revoked {key}.");
            Ok(())
        }
    }
}

fn create(
    data: &std::path::Path,
    name: String,
    out: &std::path::Path,
    bootstrap: Vec<String>,
    network_key: bool,
) -> anyhow::Result<()> {
    let secret = identity::load(data)?;
    if out.exists() {
        bail!(
            "{} exists; refusing to overwrite a federation file",
            out.display()
        );
    }
    let network_key = network_key.then(|| {
        use rand_core::RngCore;
        let mut key = [0u8; 32];
        rand_core::OsRng.fill_bytes(&mut key);
        NetworkKey(key)
    });
    let genesis = Genesis {
        name,
        coordinators: vec![secret.public()],
        bootstrap,
        created_at: coopnet_node::clock::now(),
        network_key,
    };
    genesis.check().map_err(|e| anyhow::anyhow!("{e}"))?;
    genesis::save(&genesis, out)?;
    let mut config = Config::load(data)?;
    config.federation =
        Some(std::path::absolute(out).context("cannot resolve the federation file's path")?);
    config.save(data)?;
    println!("Created federation {} (id {})", genesis.name, genesis.id());
    println!("  file: {} — give it to every member co-op", out.display());
    println!("  first coordinator: {}", secret.public());
    Ok(())
}
