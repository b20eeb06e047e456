//! `BlobClient::from_url` and `ContainerClient::from_url`: a client straight
//! from a URL. They live with the builder, which they use, since the client
//! layer sits below the configuration.

use super::BlobUrl;
use crate::client::{BlobClient, ContainerClient};
use crate::error::{Error, Result};
use crate::redact::redact_url_text;

impl BlobClient {
    /// A client for the blob a URL names, such as
    /// `https://acct.blob.core.windows.net/c/dir/b.txt?sv=...&sig=...` or
    /// `http://127.0.0.1:10000/devstoreaccount1/c/b.txt`, authorized by the
    /// URL's SAS if it carries one (anonymous otherwise), with default
    /// settings. For other settings, start from
    /// [`ClientBuilder::from_url`](crate::ClientBuilder::from_url).
    ///
    /// Fails with [`InvalidInput`](crate::ErrorKind::InvalidInput) if the URL
    /// names no blob, or selects a snapshot or version: a `BlobClient`
    /// addresses the current blob, and the `_opts` operations take a
    /// [`BlobSelector`](crate::BlobSelector) (the parsed URL's
    /// [`selector`](BlobUrl::selector)).
    pub fn from_url(url: &str) -> Result<BlobClient> {
        let parsed = parse_current(url)?;
        let (Some(container), Some(blob)) = (&parsed.container, &parsed.blob) else {
            return Err(Error::invalid_input(format!("{} names no blob", redact_url_text(url))));
        };
        Ok(parsed.builder()?.build()?.blob(container, blob))
    }
}

impl ContainerClient {
    /// A client for the container a URL names (a blob name after it is
    /// ignored), with the URL's SAS if it carries one; see
    /// [`BlobClient::from_url`].
    pub fn from_url(url: &str) -> Result<ContainerClient> {
        let parsed = parse_current(url)?;
        let Some(container) = &parsed.container else {
            return Err(Error::invalid_input(format!("{} names no container", redact_url_text(url))));
        };
        Ok(parsed.builder()?.build()?.container(container))
    }
}

/// Parses `url`, refusing one that selects a snapshot or a version.
fn parse_current(url: &str) -> Result<BlobUrl> {
    let parsed = BlobUrl::parse(url)?;
    if !parsed.selector.is_current() {
        return Err(Error::invalid_input(format!(
            "{} selects a snapshot or version; a client addresses the current blob (pass the selector to an _opts operation)",
            redact_url_text(url)
        )));
    }
    Ok(parsed)
}
