//! `coopnet backup` and `coopnet restore`: the store, copied while the node
//! runs and checked; the identity key only when asked, with a warning.

use std::path::PathBuf;

use anyhow::{Context, bail};
use coopnet_node::config::STORE_FILE;
use coopnet_node::control::{Request, call};
use coopnet_node::identity::KEY_FILE;
use coopnet_node::store::backup;

/// Arguments of `coopnet backup`.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The node's data directory (the node may be running).
    #[arg(long)]
    data: PathBuf,
    /// Where to write the backup of the store (must not exist).
    #[arg(long)]
    out: PathBuf,
    /// Also copy the co-op's identity key here (must not exist). Keep it
    /// apart from the store backup: it signs as your co-op.
    #[arg(long)]
    key_out: Option<PathBuf>,
}

/// Arguments of `coopnet restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The node's data directory (the node must be stopped).
    #[arg(long)]
    data: PathBuf,
    /// The store backup to restore.
    #[arg(long)]
    from: PathBuf,
    /// The identity key backup, when the data directory has lost its key.
    #[arg(long)]
    key: Option<PathBuf>,
}

const KEY_WARNING: &str = "This file IS your co-op's identity: whoever holds it can sign records \
                           and bids as your co-op. Keep it offline or encrypted, never beside the \
                           store backup or in a shared drive.";

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Backs up the store (and the key when asked).
pub fn run_backup(args: &BackupArgs) -> anyhow::Result<()> {
    let db = args.data.join(STORE_FILE);
    let copied =
        backup::backup(&db, &args.out).with_context(|| format!("backing up {}", db.display()))?;
    println!(
        "Backed up {} records ({}) to {} in {:.1} s; integrity check ok, schema version {}.",
        copied.records,
        megabytes(copied.bytes),
        args.out.display(),
        copied.took.as_secs_f64(),
        copied.schema
    );
    match &args.key_out {
        Some(key_out) => {
            if key_out.exists() {
                bail!("{} exists already: choose another name", key_out.display());
            }
            let key = std::fs::read_to_string(args.data.join(KEY_FILE))
                .context("reading the identity key")?;
            coopnet_node::private::write_file(key_out, &key)
                .with_context(|| format!("writing {}", key_out.display()))?;
            println!(
                "Copied the identity key to {} (readable by you only).",
                key_out.display()
            );
            eprintln!("WARNING: {KEY_WARNING}");
        }
        None => println!(
            "The identity key is not in the backup: back it up once with --key-out, and keep it apart."
        ),
    }
    Ok(())
}

/// Restores a store backup (and the key when asked) into a stopped node's
/// data directory.
pub async fn run_restore(args: &RestoreArgs) -> anyhow::Result<()> {
    if call(&args.data, &Request::Status).await.is_ok() {
        bail!(
            "the node in {} is running: stop it first (Ctrl-C, or `systemctl stop coopnet`)",
            args.data.display()
        );
    }
    if !args.data.is_dir() {
        coopnet_node::private::create_dir(&args.data)
            .with_context(|| format!("creating {}", args.data.display()))?;
    }
    let key_path = args.data.join(KEY_FILE);
    if let Some(key) = &args.key {
        if key_path.exists() {
            bail!(
                "{} already has an identity key; restore the key only into a directory without one",
                args.data.display()
            );
        }
        let text =
            std::fs::read_to_string(key).with_context(|| format!("reading {}", key.display()))?;
        coopnet_node::private::write_file(&key_path, &text).context("writing the identity key")?;
        coopnet_node::identity::load(&args.data).context("the restored key does not load")?;
        println!("Restored the identity key.");
    }
    let now = coopnet_node::clock::now().0;
    let (copied, kept) = backup::restore(&args.from, &args.data.join(STORE_FILE), now)
        .with_context(|| format!("restoring {}", args.from.display()))?;
    println!(
        "Restored {} records ({}) from {}; integrity check ok.",
        copied.records,
        megabytes(copied.bytes),
        args.from.display()
    );
    if let Some(kept) = kept {
        println!("The store that was there is kept as {}.", kept.display());
    }
    if !key_path.exists() {
        println!(
            "There is no identity key in {}: restore it with --key, or the node cannot start.",
            args.data.display()
        );
    }
    Ok(())
}
