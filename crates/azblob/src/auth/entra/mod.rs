//! Microsoft Entra ID: the flows that produce bearer tokens, their cache, and the default chain.
//!
//! Every flow implements [`TokenCredential`] and
//! caches its tokens in a [`TokenCache`] (refresh 5 minutes ahead, single
//! flight, a still-valid token survives a failed refresh). Every endpoint is
//! configurable, and plain `http://` is accepted only on loopback (and, for
//! IMDS, at its link-local address), so tests run against local servers.
//!
//! - [`ClientSecretCredential`]: an app registration's secret.
//! - [`WorkloadIdentityCredential`]: a federated token file (AKS workload identity).
//! - [`ManagedIdentityCredential`]: IMDS, App Service and Container Apps.
//! - [`AzureCliCredential`]: the developer's `az login`.
//! - [`DefaultAzureCredentialBuilder`]: all of them in the SDKs' order.
//!
//! Authorize with Microsoft Entra ID:
//! <https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory>

mod azure_cli;
mod cache;
mod chain;
mod client_credentials;
mod client_secret;
mod http;
mod managed_identity;
mod token_response;
mod workload_identity;

use std::sync::Arc;

pub use self::azure_cli::AzureCliCredential;
pub use self::cache::{CachedTokenCredential, TokenCache, DEFAULT_MIN_REFRESH_INTERVAL, DEFAULT_REFRESH_MARGIN};
pub use self::chain::{
    ChainedTokenCredential, DefaultAzureCredentialBuilder, AZURE_CLI, ENVIRONMENT, MANAGED_IDENTITY, WORKLOAD_IDENTITY,
};
pub use self::client_credentials::DEFAULT_AUTHORITY_HOST;
pub use self::client_secret::ClientSecretCredential;
pub use self::managed_identity::{ManagedIdentityCredential, IMDS_ENDPOINT};
pub use self::workload_identity::WorkloadIdentityCredential;

use crate::auth::TokenCredential;

/// The default chain from the process environment; see [`DefaultAzureCredentialBuilder`].
pub fn default_credential() -> Arc<dyn TokenCredential> {
    Arc::new(DefaultAzureCredentialBuilder::new().build())
}
