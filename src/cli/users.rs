//! `coopnet user add` and `coopnet token create|list|revoke`: local
//! accounts of a node's web app. They work whether or not the node is
//! running; a revoked token stops working at once.

use std::io::BufRead;
use std::path::PathBuf;

use coopnet::web::users;
use coopnet_node::store::Role;

/// Arguments of `coopnet user add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The node's data directory.
    #[arg(long)]
    data: PathBuf,
    /// The new user's log-in name.
    name: String,
    /// Make them an administrator (default: member).
    #[arg(long)]
    admin: bool,
    /// Let them admit and revoke members in the web app (on a node whose
    /// co-op is a federation coordinator; administrators always may).
    #[arg(long)]
    coordinator: bool,
    /// Read the password from the first line of standard input instead of
    /// generating one.
    #[arg(long)]
    password_stdin: bool,
    /// If the user exists, set this new password (and end their sessions).
    #[arg(long)]
    reset: bool,
}

/// Arguments of `coopnet token create`.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// The node's data directory.
    #[arg(long)]
    data: PathBuf,
    /// The user the token acts as.
    #[arg(long)]
    user: String,
    /// A label to recognise the token by.
    #[arg(long, default_value = "script")]
    name: String,
}

/// Arguments of `coopnet token list`.
#[derive(Debug, clap::Args)]
pub struct TokenListArgs {
    /// The node's data directory.
    #[arg(long)]
    data: PathBuf,
    /// Whose tokens.
    #[arg(long)]
    user: String,
}

/// Arguments of `coopnet token revoke`.
#[derive(Debug, clap::Args)]
pub struct TokenRevokeArgs {
    /// The node's data directory.
    #[arg(long)]
    data: PathBuf,
    /// Whose token.
    #[arg(long)]
    user: String,
    /// The token's id (from `coopnet token list`) or its name.
    token: String,
}

/// Adds a user and prints its password when it was generated.
pub async fn add(args: AddArgs) -> anyhow::Result<()> {
    let store = users::open_store(&args.data).await?;
    let (password, generated) = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (users::random_password(), true)
    };
    let role = if args.admin {
        Role::Admin
    } else {
        Role::Member
    };
    users::add_user(&store, &args.name, &password, role, args.reset).await?;
    store
        .set_coordinator(args.name.clone(), args.coordinator)
        .await?;
    store.close().await?;
    let also = if args.coordinator {
        ", coordinator"
    } else {
        ""
    };
    println!(
        "User {} ({role}{also}) can now log in to the web app.",
        args.name
    );
    if generated {
        println!("  password: {password}   (shown once; keep it somewhere safe)");
    }
    Ok(())
}

/// Creates an API token and prints it.
pub async fn token(args: TokenArgs) -> anyhow::Result<()> {
    let store = users::open_store(&args.data).await?;
    let token = users::create_token(&store, &args.user, &args.name).await?;
    store.close().await?;
    println!("{token}");
    eprintln!(
        "API token for {} (shown once). Send it as `Authorization: Bearer <token>`.",
        args.user
    );
    Ok(())
}

/// Lists a user's API tokens (never the tokens themselves).
pub async fn token_list(args: TokenListArgs) -> anyhow::Result<()> {
    let store = users::open_store(&args.data).await?;
    let tokens = users::list_tokens(&store, &args.user).await?;
    store.close().await?;
    if tokens.is_empty() {
        println!("{} has no API tokens.", args.user);
        return Ok(());
    }
    println!("{:<12}  {:<20}  {:<17}  last used", "id", "name", "created");
    for token in tokens {
        let used = token.last_used_at.map_or("never".to_owned(), when);
        println!(
            "{:<12}  {:<20}  {:<17}  {used}",
            token.id,
            token.name,
            when(token.created_at)
        );
    }
    Ok(())
}

/// Deletes one of a user's API tokens.
pub async fn token_revoke(args: TokenRevokeArgs) -> anyhow::Result<()> {
    let store = users::open_store(&args.data).await?;
    let revoked = users::revoke_token(&store, &args.user, &args.token).await;
    store.close().await?;
    let revoked = revoked?;
    println!(
        "Revoked {}'s token {} ({}): it no longer works.",
        args.user, revoked.id, revoked.name
    );
    Ok(())
}

/// A Unix-ms time as `2026-12-07 14:05 UTC`.
fn when(ms: u64) -> String {
    let day = coopnet_protocol::Timestamp(ms).day();
    let minutes = (ms / 60_000) % (24 * 60);
    format!("{day} {:02}:{:02} UTC", minutes / 60, minutes % 60)
}
