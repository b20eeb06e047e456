//! Bearer tokens: the `TokenCredential` trait and a static implementation.
//!
//! The Microsoft Entra ID flows in [`entra`](super::entra) (client secret,
//! workload identity, managed identity, Azure CLI, the default chain)
//! implement the same trait and cache their tokens.

use std::fmt;
use std::time::{Duration, SystemTime};

use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::error::Result;
use crate::redact::Secret;
use crate::wire::proxy::ProxyConfig;
use crate::wire::HttpTransport;

/// The OAuth scope of Azure Storage.
pub const STORAGE_SCOPE: &str = "https://storage.azure.com/.default";

/// A bearer token and when it expires.
#[derive(Clone)]
pub struct AccessToken {
    /// The token itself; keep it out of logs.
    pub token: Secret,
    /// When the service stops accepting it.
    pub expires_on: SystemTime,
}

impl AccessToken {
    /// Whether the token expires within `margin` from now.
    ///
    /// A margin reaching past the end of the platform's clock covers every
    /// expiry, so it answers `true` instead of overflowing.
    pub fn expires_within(&self, margin: Duration) -> bool {
        SystemTime::now().checked_add(margin).is_none_or(|limit| limit >= self.expires_on)
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken").field("token", &self.token).field("expires_on", &self.expires_on).finish()
    }
}

/// A source of bearer tokens for Microsoft Entra ID authorization.
///
/// The signing layer calls [`get_token`](TokenCredential::get_token) for every
/// attempt, so implementations cache and refresh; errors should say which
/// source failed without containing secrets.
pub trait TokenCredential: Send + Sync + fmt::Debug {
    /// A token valid for `scopes` (the library asks for [`STORAGE_SCOPE`]).
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> BoxFuture<'a, Result<AccessToken>>;

    /// Offers the credential the wire of the client it was given to.
    ///
    /// [`ClientBuilder::build`](crate::ClientBuilder::build) calls it, so that
    /// token requests take the same proxy, root certificates and transport as
    /// the client's requests. The flows of [`entra`](super::entra) adopt the
    /// first wire offered unless they were given a transport of their own;
    /// IMDS never does, since it is reached directly. The default ignores it,
    /// as a credential that sends no HTTP requests may.
    fn use_wire(&self, wire: &TokenWire) {
        let _ = wire;
    }
}

/// A client's wire, offered to its credential by [`TokenCredential::use_wire`].
#[derive(Clone, Debug)]
pub struct TokenWire {
    pub(crate) transport: Arc<dyn HttpTransport>,
    // Which proxy a plain-http token request would cross; `Off` when a custom
    // transport decides that itself.
    pub(crate) proxy: ProxyConfig,
}

/// A fixed token supplied by the caller (from another library or a test).
#[derive(Clone, Debug)]
pub struct StaticTokenCredential {
    token: AccessToken,
}

impl StaticTokenCredential {
    /// A credential that always returns `token`, considered valid until `expires_on`.
    pub fn new(token: impl Into<String>, expires_on: SystemTime) -> Self {
        StaticTokenCredential { token: AccessToken { token: Secret::new(token), expires_on } }
    }
}

impl TokenCredential for StaticTokenCredential {
    fn get_token<'a>(&'a self, _scopes: &'a [&'a str]) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(async move { Ok(self.token.clone()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn static_token_is_returned_and_redacted() {
        let cred = StaticTokenCredential::new("eyJhbGciOi.secret.part", SystemTime::now() + Duration::from_secs(60));
        let token = cred.get_token(&[STORAGE_SCOPE]).await.unwrap();
        assert_eq!(token.token.expose(), "eyJhbGciOi.secret.part");
        assert!(!format!("{cred:?}").contains("secret"));
        assert!(!token.expires_within(Duration::from_secs(1)));
        assert!(token.expires_within(Duration::from_secs(120)));
        assert!(token.expires_within(Duration::MAX), "a huge margin covers every expiry");
    }
}
