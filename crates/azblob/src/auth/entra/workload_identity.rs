//! `WorkloadIdentityCredential`: a federated token file (Kubernetes) exchanged as a client assertion.
//!
//! <https://learn.microsoft.com/azure/aks/workload-identity-overview> and
//! <https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#third-case-access-token-request-with-a-federated-credential>

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use url::Url;

use super::cache::TokenCache;
use super::client_credentials::{build_request, token_endpoint, ClientProof, DEFAULT_AUTHORITY_HOST};
use super::http::TokenHttp;
use crate::auth::{AccessToken, TokenCredential};
use crate::error::{Error, ErrorKind, Result};
use crate::redact::Secret;
use crate::wire::{HttpTransport, RetryOptions};

const FLOW: &str = "workload identity credential";

/// Tokens for a federated identity: the projected service account token in
/// `token_file` is the client assertion.
///
/// The file is read again for every token request, because the kubelet
/// rotates it (hourly by default) and an old assertion is refused.
pub struct WorkloadIdentityCredential {
    endpoint: Url,
    client_id: String,
    token_file: PathBuf,
    http: TokenHttp,
    cache: Arc<TokenCache>,
}

impl WorkloadIdentityCredential {
    /// A credential for `client_id` in `tenant_id`, against the public cloud.
    pub fn new(tenant_id: &str, client_id: impl Into<String>, token_file: impl Into<PathBuf>) -> Result<Self> {
        WorkloadIdentityCredential::with_authority(DEFAULT_AUTHORITY_HOST, tenant_id, client_id, token_file)
    }

    /// The same against another authority host (`http://` only on loopback).
    pub fn with_authority(
        authority_host: &str,
        tenant_id: &str,
        client_id: impl Into<String>,
        token_file: impl Into<PathBuf>,
    ) -> Result<Self> {
        Ok(WorkloadIdentityCredential {
            endpoint: token_endpoint(authority_host, tenant_id)?,
            client_id: client_id.into(),
            token_file: token_file.into(),
            http: TokenHttp::new(Duration::from_secs(10)),
            cache: Arc::new(TokenCache::new()),
        })
    }

    /// Sends token requests through `transport` instead of reqwest, also
    /// when the credential is given to a client with a wire of its own.
    pub fn transport(mut self, transport: Arc<dyn HttpTransport>) -> Self {
        self.http.set_transport(transport);
        self
    }

    /// How failed token requests are retried (default: 3 retries).
    pub fn retry(mut self, retry: RetryOptions) -> Self {
        self.http.set_retry(retry);
        self
    }

    /// Replaces the token cache.
    pub fn cache(mut self, cache: TokenCache) -> Self {
        self.cache = Arc::new(cache);
        self
    }

    async fn fetch(&self, scopes: &[&str]) -> Result<AccessToken> {
        let assertion = tokio::fs::read_to_string(&self.token_file).await.map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("{FLOW}: cannot read the federated token file {}: {e}", self.token_file.display()),
            )
        })?;
        if assertion.trim().is_empty() {
            return Err(Error::new(
                ErrorKind::Unauthenticated,
                format!("{FLOW}: the federated token file {} is empty", self.token_file.display()),
            ));
        }
        let assertion = Secret::new(assertion);
        let request = build_request(&self.endpoint, &self.client_id, ClientProof::Assertion(&assertion), scopes);
        self.http.fetch_token(request, FLOW).await
    }
}

impl TokenCredential for WorkloadIdentityCredential {
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(self.cache.get_or_fetch(scopes, || self.fetch(scopes)))
    }

    fn use_wire(&self, wire: &crate::auth::TokenWire) {
        self.http.adopt(wire);
    }
}

impl fmt::Debug for WorkloadIdentityCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkloadIdentityCredential")
            .field("endpoint", &self.endpoint.as_str())
            .field("client_id", &self.client_id)
            .field("token_file", &self.token_file)
            .finish()
    }
}
