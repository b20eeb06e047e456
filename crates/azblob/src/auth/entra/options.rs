//! `CredentialOptions`: what every Entra flow is configured with beyond its
//! identity, given once instead of a setter per flow.

use std::sync::Arc;
use std::time::Duration;

use super::cache::{TokenCache, DEFAULT_MIN_REFRESH_INTERVAL, DEFAULT_REFRESH_MARGIN};
use super::http::TokenHttp;
use crate::wire::{HttpTransport, RetryOptions};

/// How a flow sends its token requests and caches their answers.
///
/// The same options configure [`ClientCredential`](super::ClientCredential),
/// [`ManagedIdentityCredential`](super::ManagedIdentityCredential),
/// [`AzureCliCredential`](super::AzureCliCredential) (which sends no HTTP
/// request and reads only the cache settings) and every link of the default
/// chain ([`DefaultAzureCredentialBuilder::options`](super::DefaultAzureCredentialBuilder::options)).
///
/// ```
/// use azblob::auth::entra::CredentialOptions;
/// use azblob::transport::RetryOptions;
/// let options = CredentialOptions { retry: RetryOptions::none(), ..CredentialOptions::default() };
/// # let _ = options;
/// ```
#[derive(Debug, Clone)]
pub struct CredentialOptions {
    /// How failed token requests are retried (default: 3 retries). IMDS is
    /// probed without retries until it has answered once.
    pub retry: RetryOptions,
    /// A transport of the flow's own, e.g. a test double. Without one, a
    /// flow takes the wire of the first client it is given to, or builds its
    /// own reqwest wire with the environment's proxies.
    pub transport: Option<Arc<dyn HttpTransport>>,
    /// How long before its expiry a token is refreshed (default [`DEFAULT_REFRESH_MARGIN`]).
    pub refresh_margin: Duration,
    /// The shortest time between two refreshes of a token that is still
    /// valid (default [`DEFAULT_MIN_REFRESH_INTERVAL`]).
    pub min_refresh_interval: Duration,
}

impl Default for CredentialOptions {
    fn default() -> Self {
        CredentialOptions {
            retry: RetryOptions::default(),
            transport: None,
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            min_refresh_interval: DEFAULT_MIN_REFRESH_INTERVAL,
        }
    }
}

impl CredentialOptions {
    /// Applies the request settings to a flow's `http`.
    pub(super) fn apply(&self, http: &mut TokenHttp) {
        http.set_retry(self.retry.clone());
        if let Some(transport) = &self.transport {
            http.set_transport(Arc::clone(transport));
        }
    }

    /// A fresh cache with these settings.
    pub(super) fn cache(&self) -> Arc<TokenCache> {
        Arc::new(TokenCache::new().refresh_margin(self.refresh_margin).min_refresh_interval(self.min_refresh_interval))
    }
}
