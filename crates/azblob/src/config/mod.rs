//! `ClientBuilder`: account, endpoint, credential, API version, retry, timeouts and TLS.

mod blob_url;
mod build;
mod client_from_url;
mod connection_string;
mod debug;
mod env;
mod simulation;

pub use self::blob_url::BlobUrl;
pub use self::env::EnvAuth;

use std::sync::Arc;
use std::time::Duration;

use crate::auth::{Credential, SasToken, SharedKeyCredential, TokenCredential};
use crate::error::Result;
use crate::transport::proxy::ProxyConfig;
use crate::transport::{Clock, HttpTransport, RetryOptions, RetryRng};

pub use crate::headers::DEFAULT_API_VERSION;

/// The emulator's well-known account name.
pub const DEV_ACCOUNT: &str = "devstoreaccount1";

/// The emulator's well-known account key (public, documented, not a secret).
pub const DEV_ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// The emulator's default blob endpoint.
pub const DEV_BLOB_ENDPOINT: &str = "http://127.0.0.1:10000/devstoreaccount1";

/// Builds a [`BlobServiceClient`](crate::BlobServiceClient).
///
/// ```
/// # fn main() -> azblob::Result<()> {
/// let client = azblob::ClientBuilder::new()
///     .endpoint("http://127.0.0.1:10000/devstoreaccount1")
///     .shared_key(azblob::DEV_ACCOUNT, azblob::DEV_ACCOUNT_KEY)?
///     .build()?;
/// assert_eq!(client.account(), "devstoreaccount1");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    account: Option<String>,
    endpoint: Option<String>,
    credential: Credential,
    api_version: String,
    retry: RetryOptions,
    connect_timeout: Duration,
    inactivity_timeout: Duration,
    deadline: Option<Duration>,
    pool_idle_timeout: Option<Duration>,
    root_certificates_pem: Vec<Vec<u8>>,
    // `None` reads the process environment at `build`.
    proxy: Option<ProxyConfig>,
    allow_http: bool,
    trusted_suffixes: Vec<String>,
    transport: Option<Arc<dyn HttpTransport>>,
    clock: Option<Arc<dyn Clock>>,
    rng: Option<Arc<dyn RetryRng>>,
    simulation: Option<simulation::SimulationConfig>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            account: None,
            endpoint: None,
            credential: Credential::Anonymous,
            api_version: DEFAULT_API_VERSION.to_owned(),
            retry: RetryOptions::default(),
            connect_timeout: Duration::from_secs(10),
            inactivity_timeout: Duration::from_secs(60),
            deadline: None,
            pool_idle_timeout: None,
            root_certificates_pem: Vec::new(),
            proxy: None,
            allow_http: false,
            trusted_suffixes: Vec::new(),
            transport: None,
            clock: None,
            rng: None,
            simulation: None,
        }
    }
}

impl ClientBuilder {
    /// A builder with defaults: anonymous, HTTPS, API version [`DEFAULT_API_VERSION`], 3 retries.
    pub fn new() -> Self {
        ClientBuilder::default()
    }

    /// Parses an Azure Storage connection string; see [`ClientBuilder::from_connection_string`]'s
    /// accepted keys in the crate docs.
    ///
    /// Accepts `AccountName`, `AccountKey`, `DefaultEndpointsProtocol`,
    /// `EndpointSuffix`, `BlobEndpoint`, `SharedAccessSignature` and
    /// `UseDevelopmentStorage=true`; endpoints of other services are ignored.
    /// Errors never repeat the key or the signature.
    pub fn from_connection_string(connection_string: &str) -> Result<Self> {
        connection_string::parse(connection_string)?.into_builder()
    }

    /// Configures the client from the environment, as the Azure tools do:
    /// `AZURE_STORAGE_CONNECTION_STRING`, or `AZURE_STORAGE_ACCOUNT` with
    /// `AZURE_STORAGE_KEY` or `AZURE_STORAGE_SAS_TOKEN`; `AZURE_STORAGE_BLOB_ENDPOINT`
    /// overrides the endpoint. An account (or endpoint) without a key or SAS
    /// uses Microsoft Entra ID through the default chain
    /// ([`DefaultAzureCredentialBuilder`](crate::auth::entra::DefaultAzureCredentialBuilder):
    /// `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`,
    /// `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_AUTHORITY_HOST`, managed identity, Azure CLI).
    pub fn from_env() -> Result<Self> {
        ClientBuilder::from_env_auth(EnvAuth::Auto)
    }

    /// [`from_env`](Self::from_env) with the kind of credential chosen by the caller
    /// (the CLI's `--auth entra|key|sas`).
    pub fn from_env_auth(auth: EnvAuth) -> Result<Self> {
        env::from_vars(|name| std::env::var(name).ok().filter(|v| !v.is_empty()), auth)
    }

    /// The storage account name (derived from the endpoint if not set).
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// The blob endpoint: `https://{account}.blob.core.windows.net` (host
    /// style) or `http://127.0.0.1:10000/{account}` (path style, emulators).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// How requests are authorized.
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credential = credential;
        self
    }

    /// Shared Key authorization with an account key; also sets the account name.
    pub fn shared_key(mut self, account: impl Into<String>, key: impl Into<String>) -> Result<Self> {
        let key = SharedKeyCredential::new(account, key)?;
        self.account = Some(key.account().to_owned());
        self.credential = Credential::SharedKey(key);
        Ok(self)
    }

    /// The credential configured so far.
    pub(crate) fn credential_ref(&self) -> &Credential {
        &self.credential
    }

    /// SAS authorization with a token (with or without its leading `?`).
    pub fn sas_token(mut self, token: &str) -> Result<Self> {
        self.credential = Credential::Sas(SasToken::parse(token)?);
        Ok(self)
    }

    /// Bearer-token authorization (Microsoft Entra ID), e.g. with a flow from
    /// [`auth::entra`](crate::auth::entra); tokens are only sent over HTTPS
    /// (or to loopback hosts).
    pub fn token_credential(mut self, credential: Arc<dyn TokenCredential>) -> Self {
        self.credential = Credential::Token(credential);
        self
    }

    /// The `x-ms-version` to send (default [`DEFAULT_API_VERSION`]).
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }

    /// Retry behaviour (default: 3 retries with exponential backoff).
    pub fn retry(mut self, retry: RetryOptions) -> Self {
        self.retry = retry;
        self
    }

    /// The longest wait for a TCP/TLS connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The longest time without a byte moving in either direction (default
    /// 60 s): while the request body is written, while the service prepares
    /// its answer, and between chunks of the response body. A slow link that
    /// keeps moving never trips it; a silent one does. An attempt it ends is
    /// retried like any lost answer when the request is safe to repeat.
    ///
    /// The client sees bytes leave when the operating system takes them, so
    /// on a very slow link the timeout must also cover draining the socket's
    /// send buffer (a few hundred KiB to a few MiB): keep it in seconds, not
    /// milliseconds.
    pub fn inactivity_timeout(mut self, timeout: Duration) -> Self {
        self.inactivity_timeout = timeout;
        self
    }

    /// An overall deadline for each operation (one REST call), retries,
    /// backoff and reading the response body included (default: none).
    /// When it passes, the operation fails with
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) and is not retried.
    /// A transfer's download resumes a body cut by it with a new call.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// How long an idle pooled connection is kept. Defaults to 4 s for
    /// loopback endpoints (emulators close idle connections after about 5 s)
    /// and 50 s otherwise (Azure's load balancers keep them about 4 minutes).
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = Some(timeout);
        self
    }

    /// Trusts an extra root certificate (PEM), e.g. an emulator's self-signed one.
    pub fn root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates_pem.push(pem.into());
        self
    }

    /// Sends every request through the proxy at `url` (`http://[user:password@]host:port`,
    /// or `https://...`; a bare `host:port` means `http://`), instead of the
    /// proxies named by the environment (`NO_PROXY` does not apply to it).
    /// Token requests of the client's credential take it too. An `https://` request crosses an
    /// `http://` proxy as a `CONNECT` tunnel, so TLS stays end to end. The
    /// password never appears in `Debug` output, errors or logs.
    ///
    /// Fails with [`InvalidInput`](crate::ErrorKind::InvalidInput) for a URL
    /// that is not an http(s) proxy.
    pub fn proxy(mut self, url: &str) -> Result<Self> {
        self.proxy = Some(ProxyConfig::explicit(url)?);
        Ok(self)
    }

    /// Connects directly, ignoring the proxies named by the environment.
    pub fn no_proxy(mut self) -> Self {
        self.proxy = Some(ProxyConfig::Off);
        self
    }

    /// Reads the proxy variables (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
    /// `NO_PROXY`, each also in lowercase, which wins) through `vars` instead
    /// of the process environment, which [`build`](Self::build) reads by
    /// default. For tests and for settings kept elsewhere than the environment.
    pub fn proxy_from_vars(mut self, vars: impl Fn(&str) -> Option<String>) -> Result<Self> {
        self.proxy = Some(ProxyConfig::from_vars(&vars)?);
        Ok(self)
    }

    /// Allows plain `http://` to non-loopback hosts (off by default: HTTP
    /// exposes data, and Shared Key signatures can be replayed).
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Trusts Azure storage hosts under these suffixes (e.g.
    /// `blob.core.windows.net`) with this client's bearer token, for requests
    /// to other accounts than the configured one. Keys and SAS tokens are
    /// never sent to another account, and by default neither are tokens.
    /// Only Azure's own suffixes ([`AZURE_STORAGE_SUFFIXES`](crate::auth::AZURE_STORAGE_SUFFIXES))
    /// and their subdomains are accepted; [`build`](Self::build) refuses others.
    pub fn trusted_suffixes<I, S>(mut self, suffixes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.trusted_suffixes.extend(suffixes.into_iter().map(Into::into));
        self
    }

    /// Replaces the wire transport (reqwest) with another one, e.g. a test
    /// double or a fault injector. Retry, signing and tracing still wrap it.
    pub fn transport(mut self, transport: Arc<dyn HttpTransport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// The clock the retry layer sleeps with (tests inject a virtual one).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The randomness behind retry jitter (tests inject a fixed one).
    pub fn retry_rng(mut self, rng: Arc<dyn RetryRng>) -> Self {
        self.rng = Some(rng);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::BlobServiceClient;

    impl ClientBuilder {
        /// Builds, allowing plain HTTP to remote hosts, for tests of http:// URLs.
        fn build_allowing_http(self) -> BlobServiceClient {
            self.allow_http(true).build().unwrap()
        }
    }

    #[test]
    fn path_and_host_style_endpoints_give_the_account() {
        let c = ClientBuilder::new().endpoint("http://127.0.0.1:10000/devstoreaccount1").build().unwrap();
        assert_eq!(c.account(), "devstoreaccount1");
        let c = ClientBuilder::new().account("myacct").build().unwrap();
        assert_eq!(c.endpoint().as_str(), "https://myacct.blob.core.windows.net/");
        let c = ClientBuilder::new().endpoint("https://other.blob.core.windows.net").build().unwrap();
        assert_eq!(c.account(), "other");
    }

    #[test]
    fn plain_http_needs_loopback_or_opt_in() {
        let err = ClientBuilder::new().endpoint("http://example.com/acct").build().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert!(ClientBuilder::new().endpoint("http://example.com/acct").allow_http(true).build().is_ok());
        assert!(ClientBuilder::new().endpoint("http://localhost:10000/acct").build().is_ok());
        assert!(ClientBuilder::new().endpoint("http://[::1]:10000/acct").build().is_ok());
    }

    #[test]
    fn bearer_tokens_never_go_over_plain_http_to_remote_hosts() {
        let token = Arc::new(crate::auth::StaticTokenCredential::new("t", std::time::SystemTime::now()));
        let err = ClientBuilder::new()
            .endpoint("http://example.com/acct")
            .allow_http(true)
            .token_credential(token)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("bearer"), "{err}");
    }

    #[test]
    fn bearer_tokens_never_cross_a_remote_proxy_in_clear() {
        let local = || ClientBuilder::new().endpoint(DEV_BLOB_ENDPOINT).token_credential(token());
        let err = local().proxy("http://user:hunter2@proxy.corp:3128").unwrap().build().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("proxy") && !err.to_string().contains("hunter2"), "{err}");
        let from_env = |vars: &'static [(&'static str, &'static str)]| {
            local().proxy_from_vars(move |n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| v.to_string()))
        };
        assert!(from_env(&[("HTTP_PROXY", "http://proxy.corp:3128")]).unwrap().build().is_err());
        assert!(from_env(&[("HTTP_PROXY", "proxy.corp:3128"), ("NO_PROXY", "127.0.0.1")]).unwrap().build().is_ok());
        assert!(from_env(&[("HTTPS_PROXY", "http://proxy.corp:3128")]).unwrap().build().is_ok(), "https only");
        assert!(local().proxy("http://127.0.0.1:3128").unwrap().build().is_ok(), "a proxy on this machine");
        assert!(local().proxy("http://proxy.corp:3128").unwrap().no_proxy().build().is_ok());
        let https = ClientBuilder::new().account("acct").token_credential(token());
        assert!(https.proxy("http://proxy.corp:3128").unwrap().build().is_ok(), "tunnelled, TLS end to end");
        let keyed = ClientBuilder::new().endpoint(DEV_BLOB_ENDPOINT).shared_key(DEV_ACCOUNT, DEV_ACCOUNT_KEY).unwrap();
        assert!(keyed.proxy("http://proxy.corp:3128").unwrap().build().is_ok());
    }

    #[test]
    fn the_proxy_password_never_prints() {
        let builder = ClientBuilder::new().account("acct").proxy("http://user:hunter2@proxy.corp:3128").unwrap();
        let shown = format!("{builder:?}");
        assert!(shown.contains("proxy.corp") && !shown.contains("hunter2"), "{shown}");
        let err = ClientBuilder::new().proxy("socks5://user:hunter2@proxy.corp:1080").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    fn token() -> Arc<dyn TokenCredential> {
        Arc::new(crate::auth::StaticTokenCredential::new("t", std::time::SystemTime::now()))
    }

    #[test]
    fn a_url_of_another_account_gets_only_its_own_sas_or_nothing() {
        let keyed = || ClientBuilder::new().shared_key("mine", DEV_ACCOUNT_KEY).unwrap();
        let own = keyed().for_endpoint("https://mine.blob.core.windows.net", None).unwrap().build().unwrap();
        assert_eq!(own.credential().kind_name(), "shared-key");
        let own_with_sas = keyed().for_endpoint("https://mine.blob.core.windows.net/", Some("sv=1&sig=x")).unwrap();
        assert_eq!(own_with_sas.build().unwrap().credential().kind_name(), "sas");
        for other in
            ["https://evil.example/mine", "https://other.blob.core.windows.net", "http://mine.blob.core.windows.net"]
        {
            let c = keyed().for_endpoint(other, None).unwrap().build_allowing_http();
            assert_eq!(c.credential().kind_name(), "anonymous", "{other}");
            let c = keyed().for_endpoint(other, Some("sv=1&sig=url")).unwrap().build_allowing_http();
            assert_eq!(c.credential().kind_name(), "sas", "{other}");
        }
        let sas = ClientBuilder::new().account("mine").sas_token("sv=1&sig=env").unwrap();
        let c = sas.for_endpoint("https://evil.example/mine", None).unwrap().build().unwrap();
        assert_eq!(c.credential().kind_name(), "anonymous");
        let path_style =
            ClientBuilder::new().endpoint(DEV_BLOB_ENDPOINT).shared_key(DEV_ACCOUNT, DEV_ACCOUNT_KEY).unwrap();
        let c = path_style.clone().for_endpoint("http://127.0.0.1:10000/otheraccount", None).unwrap().build().unwrap();
        assert_eq!((c.credential().kind_name(), c.account()), ("anonymous", "otheraccount"));
        let c = path_style.for_endpoint("http://127.0.0.1:10000/devstoreaccount1/", None).unwrap().build().unwrap();
        assert_eq!(c.credential().kind_name(), "shared-key");
    }

    #[test]
    fn a_token_goes_to_other_azure_accounts_only_when_trusted() {
        let other = "https://other.blob.core.windows.net";
        let entra = || ClientBuilder::new().account("mine").token_credential(token());
        let c = entra().for_endpoint(other, None).unwrap().build().unwrap();
        assert_eq!(c.credential().kind_name(), "anonymous", "not trusted by default");
        let trusting = || entra().trusted_suffixes(["blob.core.windows.net"]);
        let c = trusting().for_endpoint(other, None).unwrap().build().unwrap();
        assert_eq!(c.credential().kind_name(), "token");
        let c = trusting().for_endpoint("https://other.blob.core.usgovcloudapi.net", None).unwrap().build().unwrap();
        assert_eq!(c.credential().kind_name(), "anonymous", "only the suffixes trusted");
        let c = trusting().for_endpoint("https://evil.example/other", None).unwrap().build().unwrap();
        assert_eq!(c.credential().kind_name(), "anonymous");
        let err = entra().trusted_suffixes(["evil.example"]).build().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert!(ClientBuilder::new().trusted_suffixes(["evil.example"]).for_endpoint(other, None).is_err());
    }

    #[test]
    fn malformed_endpoints_are_rejected() {
        for bad in ["not a url", "ftp://host/acct", "https://h/acct?sv=1&sig=x", "https:///nohost"] {
            let err = ClientBuilder::new().endpoint(bad).build().unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn shared_key_account_must_match_the_endpoint() {
        let err = ClientBuilder::new()
            .shared_key("other", DEV_ACCOUNT_KEY)
            .unwrap()
            .endpoint("http://127.0.0.1:10000/devstoreaccount1")
            .account("devstoreaccount1")
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
    }
}
