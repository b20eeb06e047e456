//! Makes a read-only link to one blob, valid for an hour, signed with a user
//! delegation key (no account key involved), and checks that it works.
//!
//! ```text
//! AZURE_STORAGE_ACCOUNT=myaccount cargo run -p azblob --example user_delegation_sas -- reports q4.pdf
//! ```
//!
//! The client signs in with Microsoft Entra ID through the default chain
//! (see the `entra_default` example); its identity needs a role that grants
//! `generateUserDelegationKey` (e.g. Storage Blob Delegator) and read access
//! to the blob (e.g. Storage Blob Data Reader), since a user delegation SAS
//! grants at most what its signer may do.

// An example reports to its user on stdout.
#![allow(clippy::print_stdout)]

use std::time::{Duration, SystemTime};

use azblob::auth::Sas;
use azblob::{BlobClient, ClientBuilder, EnvAuth};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(container), Some(blob)) = (args.next(), args.next()) else {
        return Err("usage: user_delegation_sas CONTAINER BLOB".into());
    };
    let client = ClientBuilder::from_env_auth(EnvAuth::Entra)?.build()?;

    // The key is valid for at most seven days; a SAS cannot outlive it. The
    // start is a few minutes back so clocks slightly ahead of ours accept it.
    let now = SystemTime::now();
    let expiry = now + Duration::from_secs(3600);
    let key = client.user_delegation_key(now - Duration::from_secs(300), expiry).await?;
    println!("got a user delegation key valid until {}", azblob::auth::iso8601(expiry));

    // Read permission on this one blob only, signed locally with the key.
    let sas = Sas::blob(&container, &blob, "r", expiry).sign_user_delegation(client.account(), &key)?;
    let link = format!("{}?{}", client.blob(&container, &blob).url()?, sas.to_query());

    // Anyone holding the link can read the blob until it expires: check it
    // with a client that has no credential but the link's own SAS.
    let anonymous = BlobClient::from_url(&link)?;
    let properties = anonymous.properties().await?;
    println!("the link reads {} bytes of {container}/{blob}", properties.content_length);
    // The link itself is a secret: print it only on purpose.
    println!("{link}");
    Ok(())
}
