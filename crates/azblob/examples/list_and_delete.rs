//! Lists the blobs under a prefix and deletes them all with batch requests.
//!
//! ```text
//! cargo run -p azblob --example list_and_delete -- models/
//! ```
//!
//! Configuration comes from the environment: `AZURE_STORAGE_CONNECTION_STRING`
//! (or `AZURE_STORAGE_ACCOUNT` with a key, a SAS or Microsoft Entra ID), else
//! the local emulator's development storage; the container is
//! `AZBLOB_EXAMPLE_CONTAINER` (default `examples`). It exits with an error if
//! any blob could not be deleted.

// An example reports to its user on stdout.
#![allow(clippy::print_stdout)]

use azblob::{BatchOutcome, ClientBuilder, ListBlobsOptions, ListItem};
use futures_util::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // An empty prefix would delete the whole container: ask for one.
    let prefix = std::env::args().nth(1).filter(|p| !p.is_empty()).ok_or("usage: list_and_delete PREFIX")?;
    let client = client()?;
    let container_name = std::env::var("AZBLOB_EXAMPLE_CONTAINER").unwrap_or_else(|_| "examples".into());
    let container = client.container(&container_name);

    // The listing is a stream that follows the service's continuation
    // markers page by page; without a delimiter every name under the prefix
    // is a blob, however deep.
    let options = ListBlobsOptions { prefix: Some(prefix.clone()), ..ListBlobsOptions::default() };
    let items: Vec<ListItem> = container.list_blobs_opts(&options).try_collect().await?;
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        if let ListItem::Blob(blob) = item {
            println!("found {} ({} bytes)", blob.name, blob.content_length);
            names.push(blob.name);
        }
    }
    if names.is_empty() {
        println!("no blobs under {container_name}/{prefix}");
        return Ok(());
    }

    // Blob Batch: 256 deletes per request, a few requests in flight. One
    // blob failing does not fail the others; each gets its own outcome.
    let results = container.delete_blobs(&names).await?;
    let mut failed = 0;
    for result in &results {
        match &result.outcome {
            BatchOutcome::Done => {}
            BatchOutcome::NotFound => println!("{} was already gone", result.name),
            BatchOutcome::Failed(e) => {
                failed += 1;
                println!("could not delete {}: {e}", result.name);
            }
        }
    }
    println!("deleted {} of {} blobs under {container_name}/{prefix}", results.len() - failed, results.len());
    match failed {
        0 => Ok(()),
        n => Err(format!("{n} blobs were not deleted").into()),
    }
}

/// The environment's account, or the emulator's development storage when
/// nothing is configured.
fn client() -> azblob::Result<azblob::BlobServiceClient> {
    let vars = ["AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_BLOB_ENDPOINT"];
    let builder = match vars.iter().any(|v| std::env::var_os(v).is_some()) {
        true => ClientBuilder::from_env()?,
        false => ClientBuilder::from_connection_string("UseDevelopmentStorage=true")?,
    };
    builder.build()
}
