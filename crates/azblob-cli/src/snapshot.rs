//! `azblob snapshot az://C/B`: take a snapshot and print its timestamp.

use anyhow::Result;
use clap::Args;
use serde_json::json;

use crate::pairs::lease_conditions;
use crate::{output, target};

/// Arguments of `azblob snapshot`.
#[derive(Debug, Args)]
pub(crate) struct SnapshotArgs {
    /// `az://CONTAINER/BLOB` or a blob URL.
    blob: String,
    /// The blob's active lease, if it has one (the snapshot is then taken only under it).
    #[arg(long, value_name = "ID")]
    lease_id: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Creates a snapshot of a blob and prints its timestamp.
pub(crate) async fn run(args: SnapshotArgs, connection: &crate::Connection) -> Result<()> {
    let blob = target::blob(&args.blob, connection)?;
    let options =
        azblob::SnapshotOptions { conditions: lease_conditions(args.lease_id.as_deref()), ..Default::default() };
    let info = blob.create_snapshot_opts(&options).await?;
    if args.json {
        output::json_line(&json!({
            "snapshot": info.snapshot,
            "etag": info.etag.map(|e| e.0),
            "version_id": info.version_id,
        }))
    } else {
        output::line(&info.snapshot)
    }
}
