//! How a [`ClientBuilder`] becomes a client: the endpoint and account it
//! resolves, the security checks it makes, and the transport stack it
//! assembles (wire → simulation → trace → sign → retry → pipeline).

use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use url::{Host, Url};

use super::{simulation, ClientBuilder};
use crate::auth::{Credential, CredentialScope};
use crate::client::BlobServiceClient;
use crate::error::{Error, Result};
use crate::net::is_loopback;
use crate::transport::proxy::ProxyConfig;
use crate::transport::reqwest::WireOptions;
use crate::transport::{HttpTransport, Pipeline, ReqwestTransport, RetryLayer, SignLayer, SystemClock, TraceLayer};

impl ClientBuilder {
    /// The builder for the account at `endpoint` (e.g. taken from a URL a
    /// user typed), which keeps this builder's credential only where it belongs.
    ///
    /// - `endpoint` is this builder's own endpoint (same scheme, host, port
    ///   and, path-style, account), or a path under it: this builder, with
    ///   `sas` (a SAS written in the URL) replacing its credential if given.
    ///   Requests go to `endpoint`, under this builder's account name, so a
    ///   container under `https://custom.example.com` read from a URL as
    ///   `https://custom.example.com/container` still names that container.
    /// - Any other endpoint gets `sas` if given, else this builder's bearer
    ///   token if its host is under a [trusted suffix](Self::trusted_suffixes),
    ///   else no credential at all. A key or a SAS configured here never goes
    ///   to another account, and neither does a token unless trusted.
    ///
    /// Every other setting (timeouts, retry, TLS roots, transport, simulation,
    /// trusted suffixes) carries over.
    pub fn for_endpoint(mut self, endpoint: &str, sas: Option<&str>) -> Result<Self> {
        let target = ClientBuilder::new().endpoint(endpoint).resolve_endpoint()?;
        let own = self.resolve_endpoint().ok().filter(|own| CredentialScope::new(own).covers(&target));
        match own {
            Some(own) => {
                // The caller splits its URL after `endpoint`; addressing blobs
                // from the shorter configured endpoint would shift that split
                // and name another container and blob.
                if self.account.is_none() {
                    self.account = Some(account_from_endpoint(&own)?);
                }
            }
            None => {
                let trusts = CredentialScope::new(&target).trust_suffixes(&self.trusted_suffixes)?;
                let keep_token = matches!(self.credential, Credential::Token(_)) && trusts.trusts_with_token(&target);
                if !keep_token {
                    self.credential = Credential::Anonymous;
                }
                self.account = None;
            }
        }
        self.endpoint = Some(endpoint.to_owned());
        match sas {
            Some(sas) => self.sas_token(sas),
            None => Ok(self),
        }
    }

    /// Validates the configuration and assembles the transport stack.
    pub fn build(self) -> Result<BlobServiceClient> {
        let endpoint = self.resolve_endpoint()?;
        let account = match self.account.clone() {
            Some(a) => a,
            None => account_from_endpoint(&endpoint)?,
        };
        let proxy = match self.proxy.clone() {
            Some(proxy) => proxy,
            None => ProxyConfig::from_env()?,
        };
        self.check_security(&endpoint, &account, &proxy)?;
        let scope = CredentialScope::new(&endpoint).trust_suffixes(&self.trusted_suffixes)?;
        let api_version = HeaderValue::from_str(&self.api_version)
            .map_err(|_| Error::invalid_input("the API version is not valid header text"))?;
        let wire = self.wire(is_loopback(&endpoint), &proxy)?;
        let simulation = simulation::open(self.simulation.as_ref(), &account)?;
        // A replay needs no credential: a token would have to come from Entra
        // ID over the network first, so a replaying client does not ask for one,
        // neither to sign requests nor for what the client authorizes itself
        // (a batch's sub-requests, a copy's source): the service gets the same.
        // Keys and SAS tokens stay, as they sign offline and SAS fields are matched.
        let signing = match (&self.credential, simulation.as_ref()) {
            (Credential::Token(_), Some(sim)) if sim.is_replay() => Credential::Anonymous,
            (credential, _) => credential.clone(),
        };
        let traced: Arc<dyn HttpTransport> =
            Arc::new(TraceLayer::new(simulation::wrap(wire, simulation.as_ref())).for_endpoint(&endpoint));
        let signed: Arc<dyn HttpTransport> = Arc::new(SignLayer::new(traced, signing.clone(), scope.clone()));
        let body_resumes = self.retry.max_retries;
        let clock = self
            .clock
            .or_else(|| simulation.as_ref().and_then(|sim| sim.clock()))
            .unwrap_or_else(|| Arc::new(SystemClock));
        let rng = self.rng.unwrap_or_else(|| Arc::new(crate::transport::retry::FastRng));
        let retried: Arc<dyn HttpTransport> = Arc::new(RetryLayer::new(signed, self.retry, Arc::clone(&clock), rng));
        let pipeline = Pipeline::new(retried, api_version)
            .with_deadline(self.deadline)
            .with_body_resumes(body_resumes)
            .with_clock(clock);
        Ok(BlobServiceClient::new(account, endpoint, signing, scope, pipeline).with_simulation(simulation))
    }

    /// Refuses what would send a credential or data where it could be read:
    /// plain http beyond loopback, a key for another account, a token in clear.
    fn check_security(&self, endpoint: &Url, account: &str, proxy: &ProxyConfig) -> Result<()> {
        let loopback = is_loopback(endpoint);
        if endpoint.scheme() == "http" && !loopback && !self.allow_http {
            return Err(Error::invalid_input(format!(
                "plain http:// is only allowed for loopback (emulator) endpoints; use https:// or allow_http(true) for {}",
                endpoint.host_str().unwrap_or("")
            )));
        }
        if matches!(self.credential, Credential::Token(_)) && endpoint.scheme() == "http" && !loopback {
            return Err(Error::invalid_input("bearer tokens are only sent over https:// (or to loopback hosts)"));
        }
        if let Credential::SharedKey(key) = &self.credential {
            if key.account() != account {
                return Err(Error::invalid_input(format!(
                    "the shared key is for account {:?} but the client is for {account:?}",
                    key.account()
                )));
            }
        }
        // The endpoint may be plain http only on loopback, but a proxy
        // elsewhere would still read every request in clear.
        let proxied = self.transport.is_none() && proxy.exposes_plain_http(endpoint);
        if matches!(self.credential, Credential::Token(_)) && proxied {
            return Err(Error::invalid_input(
                "bearer tokens are not sent over plain http:// through a proxy on another host; \
                 use https://, a proxy on this machine, no_proxy() or NO_PROXY",
            ));
        }
        Ok(())
    }

    /// The wire: the given transport, or reqwest with this builder's
    /// timeouts, roots and proxy. A token credential is handed the same wire.
    fn wire(&self, loopback: bool, proxy: &ProxyConfig) -> Result<Arc<dyn HttpTransport>> {
        let wire: Arc<dyn HttpTransport> = match self.transport.clone() {
            Some(t) => t,
            None => Arc::new(ReqwestTransport::new(&WireOptions {
                connect_timeout: self.connect_timeout,
                inactivity_timeout: self.inactivity_timeout,
                pool_idle_timeout: self.pool_idle_timeout.unwrap_or(if loopback {
                    Duration::from_secs(4)
                } else {
                    Duration::from_secs(50)
                }),
                root_certificates_pem: self.root_certificates_pem.clone(),
                proxy: proxy.clone(),
            })?),
        };
        if let Credential::Token(credential) = &self.credential {
            // Token requests take the client's proxy, roots and transport;
            // never the simulation above it: tokens are not recorded.
            let proxy = if self.transport.is_some() { ProxyConfig::Off } else { proxy.clone() };
            credential.use_wire(&crate::auth::TokenWire { transport: Arc::clone(&wire), proxy });
        }
        Ok(wire)
    }

    pub(super) fn resolve_endpoint(&self) -> Result<Url> {
        let text = match (&self.endpoint, &self.account) {
            (Some(e), _) => e.clone(),
            // The account becomes the host name, so it must be one the service
            // could have issued; an explicit endpoint is the escape hatch for
            // emulators and custom domains.
            (None, Some(account)) => {
                crate::ops::names::validate_account_name(account)?;
                format!("https://{account}.blob.core.windows.net")
            }
            (None, None) => return Err(Error::invalid_input("set an endpoint or an account name")),
        };
        // The text may carry a SAS or a password, which this refuses: never echo them.
        let shown = crate::redact::redact_url_text(&text);
        let url = Url::parse(&text).map_err(|e| Error::invalid_input(format!("invalid endpoint {shown:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(Error::invalid_input(format!("invalid endpoint {shown:?}: expected http(s)://host[/account]")));
        }
        // A user name or password would travel with every request and show in
        // every `Debug` of the client; storage endpoints take neither.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::invalid_input("the endpoint must not carry a user name or password"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::invalid_input(
                "the endpoint must not carry a query or fragment; pass a SAS with sas_token()",
            ));
        }
        Ok(url)
    }
}

/// The account name from a host-style (`acct.blob.core.windows.net`) or
/// path-style (`127.0.0.1:10000/acct`) endpoint.
pub(super) fn account_from_endpoint(url: &Url) -> Result<String> {
    let first_segment = url.path_segments().and_then(|mut s| s.next()).filter(|s| !s.is_empty());
    if let Some(segment) = first_segment {
        return Ok(segment.to_owned());
    }
    match url.host() {
        Some(Host::Domain(domain)) if domain.contains('.') => Ok(domain.split('.').next().unwrap_or("").to_owned()),
        _ => Err(Error::invalid_input(format!(
            "cannot tell the account name from endpoint {}; set it with account()",
            crate::redact::RedactedUrl(url)
        ))),
    }
}
