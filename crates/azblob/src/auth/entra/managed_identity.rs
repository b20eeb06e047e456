//! `ManagedIdentityCredential`: tokens from the Azure host itself.
//!
//! Two endpoints serve them:
//! - the instance metadata service of VMs, scale sets and AKS nodes
//!   (<https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token#get-a-token-using-http>):
//!   `GET http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=...`
//!   with `Metadata: true`;
//! - the local identity endpoint of App Service, Functions and Container Apps
//!   (<https://learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference>):
//!   `GET $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=...` with
//!   `X-IDENTITY-HEADER: $IDENTITY_HEADER`.
//!
//! Both take a `client_id` to pick a user-assigned identity.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use http::{HeaderName, HeaderValue, Method};
use url::Url;

use super::cache::TokenCache;
use super::http::{check_endpoint, parse_endpoint, TokenHttp};
use super::options::CredentialOptions;
use crate::auth::{AccessToken, TokenCredential};
use crate::error::{Error, ErrorKind, Result};
use crate::headers;
use crate::redact::Secret;
use crate::wire::{Request, RetryOptions};

/// The instance metadata service's token endpoint.
pub const IMDS_ENDPOINT: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

const FLOW: &str = "managed identity credential";
const IMDS_API_VERSION: &str = "2018-02-01";
const APP_SERVICE_API_VERSION: &str = "2019-08-01";
const X_IDENTITY_HEADER: &str = headers::X_IDENTITY_HEADER;
const METADATA: &str = headers::METADATA;

enum Source {
    Imds { endpoint: Url },
    AppService { endpoint: Url, header: Secret },
}

/// Tokens of the managed identity of the Azure resource the code runs on.
pub struct ManagedIdentityCredential {
    source: Source,
    client_id: Option<String>,
    http: TokenHttp,
    cache: Arc<TokenCache>,
    // Until IMDS has answered once, a request is a probe: no retries, so that
    // off Azure the default chain moves on within a second.
    reachable: AtomicBool,
}

impl ManagedIdentityCredential {
    /// The instance metadata service at its well-known address, [`IMDS_ENDPOINT`].
    pub fn imds() -> Result<Self> {
        ManagedIdentityCredential::imds_at(IMDS_ENDPOINT)
    }

    /// The instance metadata service protocol at another endpoint (a local test server).
    pub fn imds_at(endpoint: &str) -> Result<Self> {
        let endpoint = parse_endpoint(endpoint, "the IMDS endpoint")?;
        check_endpoint(&endpoint, "the IMDS endpoint", true)?;
        ManagedIdentityCredential::with_source(Source::Imds { endpoint })
    }

    /// The App Service / Container Apps endpoint (`IDENTITY_ENDPOINT`) and its secret header (`IDENTITY_HEADER`).
    pub fn app_service(endpoint: &str, identity_header: impl Into<Secret>) -> Result<Self> {
        let endpoint = parse_endpoint(endpoint, "IDENTITY_ENDPOINT")?;
        check_endpoint(&endpoint, "IDENTITY_ENDPOINT", false)?;
        ManagedIdentityCredential::with_source(Source::AppService { endpoint, header: identity_header.into() })
    }

    /// The App Service endpoint if `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` are set, else IMDS
    /// (at `AZURE_POD_IDENTITY_AUTHORITY_HOST` if set, as in the Azure SDKs).
    pub fn from_env() -> Result<Self> {
        ManagedIdentityCredential::from_vars(&|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    pub(crate) fn from_vars(get: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        if let (Some(endpoint), Some(header)) = (get("IDENTITY_ENDPOINT"), get("IDENTITY_HEADER")) {
            return ManagedIdentityCredential::app_service(&endpoint, header);
        }
        match get("AZURE_POD_IDENTITY_AUTHORITY_HOST") {
            Some(host) => ManagedIdentityCredential::imds_at(&format!(
                "{}/metadata/identity/oauth2/token",
                host.trim_end_matches('/')
            )),
            None => ManagedIdentityCredential::imds(),
        }
    }

    fn with_source(source: Source) -> Result<Self> {
        // IMDS is a link-local address on the host's own network, which no
        // proxy can reach: it never goes through one, nor through a client's
        // wire. The App Service endpoint is an ordinary URL and takes both.
        let mut http = TokenHttp::new(Duration::from_secs(1));
        if let Source::Imds { .. } = source {
            http.direct();
        }
        Ok(ManagedIdentityCredential {
            source,
            client_id: None,
            // The endpoints are on the host or link-local: a connection either
            // opens at once or not at all.
            http,
            cache: Arc::new(TokenCache::new()),
            reachable: AtomicBool::new(false),
        })
    }

    /// Picks a user-assigned identity by its client id.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// Applies `options` (retry once the endpoint has answered, transport,
    /// cache), replacing earlier ones. A transport given here is used for
    /// IMDS too.
    pub fn options(mut self, options: &CredentialOptions) -> Self {
        options.apply(&mut self.http);
        self.cache = options.cache();
        self
    }

    /// Builds the token request for `scopes` (exactly one, e.g. `https://storage.azure.com/.default`).
    fn build_request(&self, scopes: &[&str]) -> Result<Request> {
        let [scope] = scopes else {
            return Err(Error::invalid_input(format!("{FLOW}: exactly one scope is supported, got {}", scopes.len())));
        };
        // These endpoints take the resource, which is the scope without `/.default`.
        let resource = scope.strip_suffix("/.default").unwrap_or(scope);
        let (endpoint, api_version) = match &self.source {
            Source::Imds { endpoint } => (endpoint, IMDS_API_VERSION),
            Source::AppService { endpoint, .. } => (endpoint, APP_SERVICE_API_VERSION),
        };
        let mut url = endpoint.clone();
        url.query_pairs_mut().append_pair("api-version", api_version).append_pair("resource", resource);
        if let Some(client_id) = &self.client_id {
            url.query_pairs_mut().append_pair("client_id", client_id);
        }
        // Asking for a token changes nothing: safe to repeat.
        let mut request = Request::new("GetToken", Method::GET, url).idempotent();
        match &self.source {
            Source::Imds { .. } => {
                request.headers.insert(HeaderName::from_static(METADATA), HeaderValue::from_static("true"));
            }
            Source::AppService { header, .. } => {
                let mut value = HeaderValue::from_str(header.expose())
                    .map_err(|_| Error::invalid_input("IDENTITY_HEADER is not valid header text"))?;
                value.set_sensitive(true);
                request.headers.insert(HeaderName::from_static(X_IDENTITY_HEADER), value);
            }
        }
        Ok(request)
    }

    async fn fetch(&self, scopes: &[&str]) -> Result<AccessToken> {
        let request = self.build_request(scopes)?;
        let probing = matches!(self.source, Source::Imds { .. }) && !self.reachable.load(Ordering::Relaxed);
        let result = if probing {
            self.http.fetch_token_with(request, FLOW, &RetryOptions::none()).await
        } else {
            self.http.fetch_token(request, FLOW).await
        };
        match &result {
            Err(err) if matches!(err.kind(), ErrorKind::Transport | ErrorKind::Timeout) => {}
            _ => self.reachable.store(true, Ordering::Relaxed),
        }
        result
    }
}

impl TokenCredential for ManagedIdentityCredential {
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(self.cache.get_or_fetch(scopes, || self.fetch(scopes)))
    }

    fn use_wire(&self, wire: &crate::auth::TokenWire) {
        self.http.adopt(wire);
    }
}

impl fmt::Debug for ManagedIdentityCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ManagedIdentityCredential");
        match &self.source {
            Source::Imds { endpoint } => d.field("imds", &endpoint.as_str()),
            Source::AppService { endpoint, header } => {
                d.field("app_service", &endpoint.as_str()).field("identity_header", header)
            }
        };
        d.field("client_id", &self.client_id).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::STORAGE_SCOPE;

    #[test]
    fn imds_request_shape() {
        let cred = ManagedIdentityCredential::imds().unwrap().client_id("user-assigned-id");
        let r = cred.build_request(&[STORAGE_SCOPE]).unwrap();
        assert_eq!(r.method, Method::GET);
        assert_eq!(
            r.url.as_str(),
            "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01\
             &resource=https%3A%2F%2Fstorage.azure.com&client_id=user-assigned-id"
        );
        assert_eq!(r.header("metadata"), Some("true"));
        assert_eq!(r.header("x-identity-header"), None);
    }

    #[test]
    fn app_service_request_shape_and_debug() {
        let cred = ManagedIdentityCredential::from_vars(&|name| match name {
            "IDENTITY_ENDPOINT" => Some("http://localhost:42356/msi/token".into()),
            "IDENTITY_HEADER" => Some("header-secret-value".into()),
            _ => None,
        })
        .unwrap();
        let r = cred.build_request(&[STORAGE_SCOPE]).unwrap();
        assert_eq!(
            r.url.as_str(),
            "http://localhost:42356/msi/token?api-version=2019-08-01&resource=https%3A%2F%2Fstorage.azure.com"
        );
        assert_eq!(r.header("x-identity-header"), Some("header-secret-value"));
        assert!(r.headers.get("x-identity-header").unwrap().is_sensitive());
        assert_eq!(r.header("metadata"), None);
        assert!(!format!("{cred:?}").contains("header-secret-value"));
    }

    #[test]
    fn imds_can_be_moved_as_in_the_sdks() {
        let cred = ManagedIdentityCredential::from_vars(&|name| {
            (name == "AZURE_POD_IDENTITY_AUTHORITY_HOST").then(|| "http://127.0.0.1:1234/".to_owned())
        })
        .unwrap();
        let r = cred.build_request(&[STORAGE_SCOPE]).unwrap();
        assert!(r.url.as_str().starts_with("http://127.0.0.1:1234/metadata/identity/oauth2/token?"), "{}", r.url);
        assert_eq!(r.header("metadata"), Some("true"));
    }

    #[test]
    fn endpoints_and_scopes_are_checked() {
        assert!(ManagedIdentityCredential::app_service("http://identity.example.com/token", "h").is_err());
        assert!(ManagedIdentityCredential::imds_at("http://example.com/token").is_err());
        let err = ManagedIdentityCredential::imds().unwrap().build_request(&["a", "b"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}
