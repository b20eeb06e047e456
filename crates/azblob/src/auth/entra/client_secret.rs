//! `ClientSecretCredential`: an app registration's client secret, exchanged for tokens.
//!
//! <https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow>

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use url::Url;

use super::cache::TokenCache;
use super::client_credentials::{build_request, token_endpoint, ClientProof, DEFAULT_AUTHORITY_HOST};
use super::http::TokenHttp;
use crate::auth::{AccessToken, TokenCredential};
use crate::error::Result;
use crate::redact::Secret;
use crate::wire::{HttpTransport, RetryOptions};

const FLOW: &str = "client secret credential";

/// Tokens from the OAuth 2.0 client credentials grant with a client secret.
///
/// `Debug` shows the tenant, client id and endpoint, never the secret.
pub struct ClientSecretCredential {
    endpoint: Url,
    client_id: String,
    secret: Secret,
    http: TokenHttp,
    cache: Arc<TokenCache>,
}

impl ClientSecretCredential {
    /// A credential for `client_id` in `tenant_id` against the public cloud
    /// ([`DEFAULT_AUTHORITY_HOST`]).
    ///
    /// Fails with [`InvalidInput`](crate::ErrorKind::InvalidInput) for an
    /// invalid tenant id.
    pub fn new(tenant_id: &str, client_id: impl Into<String>, secret: impl Into<Secret>) -> Result<Self> {
        ClientSecretCredential::with_authority(DEFAULT_AUTHORITY_HOST, tenant_id, client_id, secret)
    }

    /// The same against another authority host, e.g. `https://login.microsoftonline.us`
    /// or a local test server (`http://` is accepted only on loopback).
    pub fn with_authority(
        authority_host: &str,
        tenant_id: &str,
        client_id: impl Into<String>,
        secret: impl Into<Secret>,
    ) -> Result<Self> {
        Ok(ClientSecretCredential {
            endpoint: token_endpoint(authority_host, tenant_id)?,
            client_id: client_id.into(),
            secret: secret.into(),
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

    /// Replaces the token cache, e.g. with one that has another refresh margin.
    pub fn cache(mut self, cache: TokenCache) -> Self {
        self.cache = Arc::new(cache);
        self
    }

    /// The token endpoint, `{authority}/{tenant}/oauth2/v2.0/token`.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    async fn fetch(&self, scopes: &[&str]) -> Result<AccessToken> {
        let request = build_request(&self.endpoint, &self.client_id, ClientProof::Secret(&self.secret), scopes);
        self.http.fetch_token(request, FLOW).await
    }
}

impl TokenCredential for ClientSecretCredential {
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(self.cache.get_or_fetch(scopes, || self.fetch(scopes)))
    }

    fn use_wire(&self, wire: &crate::auth::TokenWire) {
        self.http.adopt(wire);
    }
}

impl fmt::Debug for ClientSecretCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecretCredential")
            .field("endpoint", &self.endpoint.as_str())
            .field("client_id", &self.client_id)
            .field("secret", &self.secret)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let cred = ClientSecretCredential::new("tenant", "app", "very-secret-value").unwrap();
        let shown = format!("{cred:?}");
        assert!(shown.contains("app") && shown.contains("tenant"), "{shown}");
        assert!(!shown.contains("very-secret-value"), "{shown}");
    }
}
