//! `ClientCredential`: the OAuth 2.0 client credentials grant, with a client
//! secret or a federated assertion (workload identity) as the proof.
//!
//! <https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow>,
//! and for the token file <https://learn.microsoft.com/azure/aks/workload-identity-overview>.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use url::Url;

use super::cache::TokenCache;
use super::client_request::{build_request, token_endpoint, GrantProof, DEFAULT_AUTHORITY_HOST};
use super::http::TokenHttp;
use super::options::CredentialOptions;
use crate::auth::{AccessToken, TokenCredential, TokenWire};
use crate::error::{Error, ErrorKind, Result};
use crate::redact::Secret;

/// How the application proves its identity to the token endpoint.
///
/// `Debug` never shows a secret.
#[derive(Clone)]
#[non_exhaustive]
pub enum ClientProof {
    /// A client secret from the app registration.
    Secret(Secret),
    /// A file holding a signed JWT from another identity provider, such as
    /// the projected service account token of Kubernetes workload identity.
    /// It is read again for every token request, because the kubelet
    /// rotates it (hourly by default) and an old assertion is refused.
    TokenFile(PathBuf),
}

impl ClientProof {
    /// A client secret.
    pub fn secret(secret: impl Into<Secret>) -> Self {
        ClientProof::Secret(secret.into())
    }

    /// A federated token file.
    pub fn token_file(path: impl Into<PathBuf>) -> Self {
        ClientProof::TokenFile(path.into())
    }

    /// The flow's name in errors.
    fn flow(&self) -> &'static str {
        match self {
            ClientProof::Secret(_) => "client secret credential",
            ClientProof::TokenFile(_) => "workload identity credential",
        }
    }
}

impl fmt::Debug for ClientProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientProof::Secret(secret) => f.debug_tuple("Secret").field(secret).finish(),
            ClientProof::TokenFile(path) => f.debug_tuple("TokenFile").field(path).finish(),
        }
    }
}

/// Tokens from the OAuth 2.0 client credentials grant of an app registration.
///
/// `Debug` shows the endpoint, client id and token file, never the secret.
pub struct ClientCredential {
    endpoint: Url,
    client_id: String,
    proof: ClientProof,
    http: TokenHttp,
    cache: Arc<TokenCache>,
}

impl ClientCredential {
    /// A credential for `client_id` in `tenant_id` against the public cloud
    /// ([`DEFAULT_AUTHORITY_HOST`]).
    ///
    /// Fails with [`InvalidInput`](crate::ErrorKind::InvalidInput) for an
    /// invalid tenant id.
    pub fn new(tenant_id: &str, client_id: impl Into<String>, proof: ClientProof) -> Result<Self> {
        ClientCredential::from_authority(DEFAULT_AUTHORITY_HOST, tenant_id, client_id, proof)
    }

    /// The same against another authority host, e.g. `https://login.microsoftonline.us`
    /// or a local test server (`http://` is accepted only on loopback).
    pub fn from_authority(
        authority_host: &str,
        tenant_id: &str,
        client_id: impl Into<String>,
        proof: ClientProof,
    ) -> Result<Self> {
        Ok(ClientCredential {
            endpoint: token_endpoint(authority_host, tenant_id)?,
            client_id: client_id.into(),
            proof,
            http: TokenHttp::new(Duration::from_secs(10)),
            cache: Arc::new(TokenCache::new()),
        })
    }

    /// Applies `options` (retry, transport, cache), replacing earlier ones.
    pub fn options(mut self, options: &CredentialOptions) -> Self {
        options.apply(&mut self.http);
        self.cache = options.cache();
        self
    }

    /// The token endpoint, `{authority}/{tenant}/oauth2/v2.0/token`.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    async fn fetch(&self, scopes: &[&str]) -> Result<AccessToken> {
        let flow = self.proof.flow();
        let request = match &self.proof {
            ClientProof::Secret(secret) => {
                build_request(&self.endpoint, &self.client_id, GrantProof::Secret(secret), scopes)
            }
            ClientProof::TokenFile(path) => {
                let assertion = read_assertion(path, flow).await?;
                build_request(&self.endpoint, &self.client_id, GrantProof::Assertion(&assertion), scopes)
            }
        };
        self.http.fetch_token(request, flow).await
    }
}

/// Reads a federated token file; an empty one is refused before any request.
async fn read_assertion(path: &std::path::Path, flow: &str) -> Result<Secret> {
    let assertion = tokio::fs::read_to_string(path).await.map_err(|e| {
        Error::new(ErrorKind::Io, format!("{flow}: cannot read the federated token file {}: {e}", path.display()))
    })?;
    if assertion.trim().is_empty() {
        return Err(Error::new(
            ErrorKind::Unauthenticated,
            format!("{flow}: the federated token file {} is empty", path.display()),
        ));
    }
    Ok(Secret::new(assertion))
}

impl TokenCredential for ClientCredential {
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(self.cache.get_or_fetch(scopes, || self.fetch(scopes)))
    }

    fn use_wire(&self, wire: &TokenWire) {
        self.http.adopt(wire);
    }
}

impl fmt::Debug for ClientCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredential")
            .field("endpoint", &self.endpoint.as_str())
            .field("client_id", &self.client_id)
            .field("proof", &self.proof)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let cred = ClientCredential::new("tenant", "app", ClientProof::secret("very-secret-value")).unwrap();
        let shown = format!("{cred:?}");
        assert!(shown.contains("app") && shown.contains("tenant"), "{shown}");
        assert!(!shown.contains("very-secret-value"), "{shown}");
        let cred = ClientCredential::new("tenant", "app", ClientProof::token_file("/var/run/token")).unwrap();
        assert!(format!("{cred:?}").contains("/var/run/token"));
    }

    #[tokio::test]
    async fn an_empty_or_missing_token_file_fails_before_any_request() {
        let dir = std::env::temp_dir().join(format!("azblob-client-credential-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty");
        std::fs::write(&empty, "  \n").unwrap();
        // An authority on a closed loopback port: any request would fail as Transport.
        let cred = |path: &std::path::Path| {
            ClientCredential::from_authority("http://127.0.0.1:9", "t", "c", ClientProof::token_file(path)).unwrap()
        };
        let err = cred(&empty).get_token(&[crate::auth::STORAGE_SCOPE]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
        let err = cred(&dir.join("missing")).get_token(&[crate::auth::STORAGE_SCOPE]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io, "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
