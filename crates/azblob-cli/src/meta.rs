//! `azblob meta az://C/B [KEY=VALUE ...]`: print a blob's metadata, or replace it.

use anyhow::{Context, Result};
use azblob::Metadata;
use clap::Args;

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
        let mut metadata = Metadata::new();
        for pair in &args.pairs {
            let (k, v) = pair.split_once('=').with_context(|| format!("{pair:?} is not KEY=VALUE"))?;
            metadata.insert(k.to_owned(), v.to_owned());
        }
        let conditions = azblob::Conditions { lease_id: args.lease_id.clone(), ..Default::default() };
        blob.set_metadata_opts(&metadata, &conditions).await?;
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
