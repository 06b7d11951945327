//! `coopnet user add` and `coopnet token create`: local accounts of a
//! node's web app. They work whether or not the node is running.

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
    store.close().await?;
    println!("User {} ({role}) can now log in to the web app.", args.name);
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
