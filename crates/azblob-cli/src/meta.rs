//! `azblob meta az://C/B [KEY=VALUE ...]`: print a blob's metadata, or replace it.

use anyhow::Result;
use azblob::Metadata;
use clap::Args;

use crate::pairs::{lease_conditions, parse_pairs};
use crate::{json, output, target};

/// Arguments of `azblob meta`.
#[derive(Debug, Args)]
pub(crate) struct MetaArgs {
    /// `az://CONTAINER/BLOB` or a blob URL.
    blob: String,
    /// New metadata; replaces all of it. Without pairs, the metadata is printed.
    #[arg(value_name = "KEY=VALUE")]
    pairs: Vec<String>,
    /// The blob's active lease, needed to replace the metadata of a leased blob.
    #[arg(long, value_name = "ID")]
    lease_id: Option<String>,
    /// Print the metadata as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Shows or sets a blob's metadata.
pub(crate) async fn run(args: MetaArgs, connection: &crate::Connection) -> Result<()> {
    let blob = target::blob(&args.blob, connection)?;
    let metadata = if args.pairs.is_empty() {
        blob.properties().await?.metadata
    } else {
        let metadata: Metadata = parse_pairs(&args.pairs, "metadata key", "")?;
        blob.set_metadata_opts(&metadata, &lease_conditions(args.lease_id.as_deref())).await?;
        metadata
    };
    if args.json {
        output::json_line(&json::metadata(&metadata))?;
    } else if args.pairs.is_empty() {
        for (k, v) in &metadata {
            output::line(&format!("{k}={v}"))?;
        }
    }
    Ok(())
}
