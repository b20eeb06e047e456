//! `azblob versions az://C/B`: a blob's versions, newest first.

use anyhow::Result;
use clap::Args;

use crate::{json, output, target};

/// Arguments of `azblob versions`.
#[derive(Debug, Args)]
pub(crate) struct VersionsArgs {
    /// `az://CONTAINER/BLOB` or a blob URL.
    blob: String,
    /// Print one JSON object per line.
    #[arg(long)]
    json: bool,
}

/// Lists a blob's versions.
pub(crate) async fn run(args: VersionsArgs, connection: &crate::Connection) -> Result<()> {
    let blob = target::blob(&args.blob, connection)?;
    let versions = blob.list_versions().await?;
    if versions.is_empty() && !args.json {
        output::note("no versions (is versioning enabled on the account?)");
    }
    for v in &versions {
        if args.json {
            output::json_line(&json::blob_item(v))?;
        } else {
            let current = if v.is_current_version == Some(true) { "  (current)" } else { "" };
            let id = v.version_id.as_deref().unwrap_or("");
            output::line(&format!("{id}  {:>12}{current}", v.content_length))?;
        }
    }
    Ok(())
}
