//! `coopnet bid verify FILE`: checks an exported bid document and its
//! signatures offline (SPEC §11.4) and says who signed what.

use std::path::PathBuf;

use anyhow::{Context, bail};
use coopnet_protocol::bidwire::ExportedDocument;

/// Arguments of `coopnet bid verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The exported document (JSON: `document_hex` and `signatures`).
    file: PathBuf,
}

/// Prints the document's summary and each role's signature; fails unless
/// every co-op with a role signed and every signature is valid.
pub fn verify(args: &VerifyArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let export: ExportedDocument =
        serde_json::from_str(&text).context("not an exported bid document (JSON)")?;
    let checked = export.check().context("the document does not decode")?;
    let d = &checked.document;
    println!("bid document: {} (version {})", d.title, d.version);
    println!("hash: {}", hex::encode(d.hash()));
    println!(
        "{} roles, {} person-days, {} {} in all",
        d.roles.len(),
        d.total_days,
        d.total_cost,
        d.currency
    );
    for (coop, name, signed) in &checked.roles {
        let mark = if *signed { "signed" } else { "NOT signed" };
        let name = if name.is_empty() { "(no name)" } else { name };
        println!("  {mark:<10} {name} ({})", coop.short());
    }
    for coop in &checked.invalid {
        println!(
            "  INVALID    a signature claimed by {} does not verify",
            coop.short()
        );
    }
    for coop in &checked.strangers {
        println!(
            "  IGNORED    a signature by {}, which has no role",
            coop.short()
        );
    }
    if !checked.complete() {
        bail!("the document is not signed by every co-op with a role");
    }
    println!("agreed: every co-op with a role signed this document");
    Ok(())
}
