//! `azblob find EXPRESSION [az://CONTAINER]`: the blobs whose index tags match, one per line.

use anyhow::{bail, Result};
use clap::Args;
use futures_util::TryStreamExt;

use crate::location::{parse_container_prefix, shown, BlobLocation};
use crate::{json, output};

/// Arguments of `azblob find`.
#[derive(Debug, Args)]
pub(crate) struct FindArgs {
    /// A Find Blobs by Tags expression, e.g. "stage = 'prod' AND run = '42'"
    /// (quote keys with spaces or symbols in double quotes).
    expression: String,
    /// `az://CONTAINER` or a container URL to search in; the whole account without it.
    container: Option<String>,
    /// Print one JSON object per blob: container, name and the matched tags.
    #[arg(long)]
    json: bool,
}

/// Prints every blob whose tags match, as `az://CONTAINER/BLOB`.
pub(crate) async fn run(args: FindArgs, connection: &crate::Connection) -> Result<()> {
    let mut blobs = match &args.container {
        Some(text) => {
            let location = parse_container_prefix(text)?;
            if !location.blob.is_empty() {
                bail!("{} names a prefix; find searches a whole container or the account", shown(text));
            }
            let client = crate::client_for(&location, connection)?;
            client.container(&location.container).find_blobs_by_tags(&args.expression)
        }
        None => {
            // The configured account, with no container: the account-wide search.
            let account = BlobLocation { endpoint: None, container: String::new(), blob: String::new(), sas: None };
            crate::client_for(&account, connection)?.find_blobs_by_tags(&args.expression)
        }
    };
    while let Some(blob) = blobs.try_next().await? {
        if args.json {
            output::json_line(&json::tagged_blob(&blob))?;
        } else {
            output::line(&output::printable(&format!("az://{}/{}", blob.container, blob.name)))?;
        }
    }
    Ok(())
}
