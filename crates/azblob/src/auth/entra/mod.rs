//! Microsoft Entra ID: the flows that produce bearer tokens, their cache, and the default chain.
//!
//! Every flow implements [`TokenCredential`] and
//! caches its tokens in a [`TokenCache`] (refresh 5 minutes ahead, single
//! flight, a still-valid token survives a failed refresh). Every endpoint is
//! configurable, and plain `http://` is accepted only on loopback (and, for
//! IMDS, at its link-local address), so tests run against local servers.
//! Token requests honour the proxy variables (`HTTPS_PROXY`, `NO_PROXY`, ...);
//! a credential given to a [`ClientBuilder`](crate::ClientBuilder) then takes
//! the client's proxy, root certificates and transport
//! ([`TokenCredential::use_wire`]), except
//! IMDS, which is always reached directly.
//!
//! - [`ClientCredential`]: an app registration, proven by its secret or by a
//!   federated token file (AKS workload identity), see [`ClientProof`].
//! - [`ManagedIdentityCredential`]: IMDS, App Service and Container Apps.
//! - [`AzureCliCredential`]: the developer's `az login`.
//! - [`DefaultAzureCredentialBuilder`]: all of them in the SDKs' order.
//!
//! Their retry, transport and cache settings are one [`CredentialOptions`].
//!
//! Authorize with Microsoft Entra ID:
//! <https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory>
//!
//! ```no_run
//! # async fn demo() -> azblob::Result<()> {
//! use std::sync::Arc;
//! use std::time::{Duration, SystemTime};
//! use azblob::auth::entra::{default_credential, ClientCredential, ClientProof};
//!
//! // The SDKs' default chain, from the environment ...
//! let client = azblob::ClientBuilder::new().account("myaccount").token_credential(default_credential()).build()?;
//! // ... or one flow explicitly.
//! let secret = ClientCredential::new("my-tenant-id", "my-client-id", ClientProof::secret("my-client-secret"))?;
//! let client = azblob::ClientBuilder::new().account("myaccount").token_credential(Arc::new(secret)).build()?;
//!
//! // A read-only link to one blob, valid for an hour, signed by a user delegation key.
//! let now = SystemTime::now();
//! let key = client.user_delegation_key(now, now + Duration::from_secs(3600)).await?;
//! let sas = azblob::auth::Sas::blob("reports", "q4.pdf", "r", now + Duration::from_secs(3600))
//!     .sign_user_delegation(client.account(), &key)?;
//! let link = format!("{}?{}", client.blob("reports", "q4.pdf").url()?, sas.to_query());
//! # let _ = link; Ok(()) }
//! ```

mod azure_cli;
mod cache;
mod chain;
mod client_credential;
mod client_request;
mod http;
mod managed_identity;
mod options;
#[cfg(test)]
mod proptests;
mod token_response;

use std::sync::Arc;

pub use self::azure_cli::AzureCliCredential;
pub use self::cache::{CachedTokenCredential, TokenCache, DEFAULT_MIN_REFRESH_INTERVAL, DEFAULT_REFRESH_MARGIN};
pub use self::chain::{
    ChainedTokenCredential, DefaultAzureCredentialBuilder, AZURE_CLI, ENVIRONMENT, MANAGED_IDENTITY, WORKLOAD_IDENTITY,
};
pub use self::client_credential::{ClientCredential, ClientProof};
pub use self::client_request::DEFAULT_AUTHORITY_HOST;
pub use self::managed_identity::{ManagedIdentityCredential, IMDS_ENDPOINT};
pub use self::options::CredentialOptions;

use crate::auth::TokenCredential;

/// The default chain from the process environment; see [`DefaultAzureCredentialBuilder`].
pub fn default_credential() -> Arc<dyn TokenCredential> {
    Arc::new(DefaultAzureCredentialBuilder::new().build())
}
