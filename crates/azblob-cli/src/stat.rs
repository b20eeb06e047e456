//! `azblob stat az://C/B`: a blob's properties and metadata.

use anyhow::Result;
use azblob::{BlobSelector, PropertiesOptions};
use clap::Args;

use crate::{json, output, target};

/// Arguments of `azblob stat`.
#[derive(Debug, Args)]
pub(crate) struct StatArgs {
    /// `az://CONTAINER/BLOB` or a blob URL.
    blob: String,
    /// A version of the blob instead of the current one.
    #[arg(long)]
    version_id: Option<String>,
    /// A snapshot of the blob instead of the current one.
    #[arg(long, conflicts_with = "version_id")]
    snapshot: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Prints a blob's properties.
pub(crate) async fn run(args: StatArgs, connection: &crate::Connection) -> Result<()> {
    let blob = target::blob(&args.blob, connection)?;
    let selector = BlobSelector { snapshot: args.snapshot, version_id: args.version_id };
    let props = blob.properties_opts(&PropertiesOptions { selector, ..Default::default() }).await?;
    let value = json::properties(blob.container_name(), blob.name(), &props);
    if args.json {
        return output::json_line(&value);
    }
    // The same fields as the JSON, one `key: value` line each, nulls left out.
    if let serde_json::Value::Object(fields) = value {
        for (key, value) in fields {
            match value {
                serde_json::Value::Null => {}
                serde_json::Value::String(s) => output::line(&format!("{key}: {s}"))?,
                other => output::line(&format!("{key}: {other}"))?,
            }
        }
    }
    Ok(())
}
