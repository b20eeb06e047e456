//! Lists a container with Microsoft Entra ID, through the default credential
//! chain the Azure SDKs use.
//!
//! ```text
//! az login   # or a managed identity, workload identity, or AZURE_CLIENT_SECRET
//! AZURE_STORAGE_ACCOUNT=myaccount cargo run -p azblob --example entra_default -- mycontainer
//! ```
//!
//! The chain tries, in order: a client secret from `AZURE_TENANT_ID`,
//! `AZURE_CLIENT_ID` and `AZURE_CLIENT_SECRET`; workload identity
//! (`AZURE_FEDERATED_TOKEN_FILE`); managed identity; the Azure CLI's login.
//! The account comes from `AZURE_STORAGE_ACCOUNT` (or
//! `AZURE_STORAGE_BLOB_ENDPOINT`); the identity needs a data role such as
//! Storage Blob Data Reader on it.

// An example reports to its user on stdout.
#![allow(clippy::print_stdout)]

use azblob::{ClientBuilder, EnvAuth, ListItem};
use futures_util::StreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let container = std::env::args().nth(1).ok_or("usage: entra_default CONTAINER")?;
    // `EnvAuth::Entra` takes the account from the environment and a token
    // from the default chain, even if a key or SAS is configured too. The
    // chain asks for a token only with the first request, and when no link
    // yields one the error lists every link and why it failed.
    let client = ClientBuilder::from_env_auth(EnvAuth::Entra)?.build()?;
    println!("listing {}/{container} with Microsoft Entra ID", client.endpoint());

    let mut blobs = client.container(&container).list_blobs();
    let (mut count, mut bytes) = (0u64, 0u64);
    while let Some(item) = blobs.next().await {
        if let ListItem::Blob(blob) = item? {
            println!("{:>12}  {}", blob.content_length, blob.name);
            count += 1;
            bytes += blob.content_length;
        }
    }
    println!("{count} blobs, {bytes} bytes");
    Ok(())
}
