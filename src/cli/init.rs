//! `coopnet init`: create a node's data directory, key and config.

use std::path::PathBuf;

use anyhow::Context;
use coopnet_node::config::Config;
use coopnet_node::identity;

/// Arguments of `coopnet init`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The node's data directory (created if missing).
    #[arg(long)]
    data: PathBuf,
    /// The co-op's name.
    #[arg(long)]
    name: String,
    /// The federation genesis file to join.
    #[arg(long)]
    federation: Option<PathBuf>,
    /// Address to listen on for peers (default /ip4/0.0.0.0/tcp/4001).
    #[arg(long)]
    listen: Vec<String>,
}

/// Creates the identity (refusing to overwrite one) and the config.
pub fn run(args: &Args) -> anyhow::Result<()> {
    coopnet_node::private::create_dir(&args.data)
        .with_context(|| format!("cannot create {}", args.data.display()))?;
    let secret = identity::create(&args.data)?;
    let mut config = Config::new(&args.name);
    if let Some(file) = &args.federation {
        let genesis = coopnet_node::genesis::load(file)?;
        println!("Joining federation {} (id {})", genesis.name, genesis.id());
        config.federation = Some(std::path::absolute(file)?);
    }
    if !args.listen.is_empty() {
        config.network.listen = args.listen.clone();
    }
    config.save(&args.data)?;
    println!(
        "Created the node of {} in {}",
        args.name,
        args.data.display()
    );
    println!("  key:     {}", secret.public());
    println!(
        "  config:  {}",
        args.data.join(coopnet_node::config::CONFIG_FILE).display()
    );
    if config.federation.is_some() {
        println!(
            "  join code: {}",
            coopnet_node::genesis::join_code(&secret.public(), &args.name)
        );
        println!("Give the join code to a coordinator of the federation to be admitted.");
    }
    let password = super::runtime()?.block_on(first_admin(&args.data))?;
    println!(
        "  web app: http://{}  log in as admin / {password}",
        config.http.address
    );
    println!("           (the password is shown once; add more users with `coopnet user add`)");
    println!("Start it with: coopnet run --data {}", args.data.display());
    Ok(())
}

/// Arguments of `coopnet join-code`.
#[derive(Debug, clap::Args)]
pub struct JoinCodeArgs {
    /// The node's data directory.
    #[arg(long)]
    data: PathBuf,
}

/// Prints the join code of the node in `data`.
pub fn join_code(args: &JoinCodeArgs) -> anyhow::Result<()> {
    let secret = identity::load(&args.data)?;
    let config = Config::load(&args.data)?;
    println!(
        "{}",
        coopnet_node::genesis::join_code(&secret.public(), &config.name)
    );
    Ok(())
}

/// Creates the web app's first administrator, `admin`, with a random
/// password, and returns the password.
async fn first_admin(data: &std::path::Path) -> anyhow::Result<String> {
    let store = coopnet::web::users::open_store(data).await?;
    let password = coopnet::web::users::random_password();
    coopnet::web::users::add_user(
        &store,
        "admin",
        &password,
        coopnet_node::store::Role::Admin,
        false,
    )
    .await?;
    store.close().await?;
    Ok(password)
}
