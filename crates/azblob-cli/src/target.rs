//! Turning a command-line argument into a blob or container client.

use anyhow::{bail, Result};
use azblob::{BlobClient, ContainerClient};

use crate::location::{parse_container_prefix, Location};

/// The blob named by `az://C/B` or a blob URL.
pub(crate) fn blob(text: &str, connection: &crate::Connection) -> Result<BlobClient> {
    match Location::parse(text)? {
        Location::Blob(location) => {
            Ok(crate::client_for(&location, connection)?.blob(&location.container, &location.blob))
        }
        _ => bail!("{:?} is not a blob: expected az://CONTAINER/BLOB or a blob URL", without_query(text)),
    }
}

/// The argument as an error may show it: up to its query, which may be a
/// SAS (a mistyped scheme makes a URL look like a local path).
fn without_query(text: &str) -> &str {
    text.split_once('?').map_or(text, |(before, _)| before)
}

/// The container and the (possibly empty) prefix named by `az://C[/PREFIX]`.
pub(crate) fn container(text: &str, connection: &crate::Connection) -> Result<(ContainerClient, String)> {
    let location = parse_container_prefix(text)?;
    let client = crate::client_for(&location, connection)?;
    Ok((client.container(&location.container), location.blob))
}
