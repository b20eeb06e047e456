//! `TokenHttp`: how the Entra flows reach their token endpoints.
//!
//! Token requests go through the same [`HttpTransport`] seam as blob requests
//! (reqwest by default, any transport in tests) wrapped in a [`RetryLayer`],
//! but not through signing or tracing: they carry their own secrets (a client
//! secret or assertion in the body, an identity header) and must never be
//! logged. Failures become typed [`Error`]s whose messages name the flow and
//! the endpoint's origin, never the body.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use http::StatusCode;
use url::{Host, Url};

use super::token_response::{parse_error_body, parse_token_response};
use crate::auth::{AccessToken, TokenWire};
use crate::error::{Error, ErrorKind, Result};
use crate::headers;
use crate::net::is_loopback;
use crate::wire::error_map;
use crate::wire::proxy::ProxyConfig;
use crate::wire::reqwest::WireOptions;
use crate::wire::retry::FastRng;
use crate::wire::{
    HttpTransport, Request, ReqwestTransport, RetryLayer, RetryOptions, SystemClock, TransportErrorKind,
};

/// Token bodies are small; anything longer is cut (and then fails to parse).
const MAX_TOKEN_BODY: usize = 256 * 1024;

/// The transport and retry policy of one flow's token requests.
///
/// The wire is, in order: one set with [`set_transport`](Self::set_transport);
/// a client's, offered through [`adopt`](Self::adopt); else the flow's own
/// reqwest wire, built at the first request with the environment's proxies
/// (so a proxy variable the client overrides never fails the flow).
#[derive(Debug, Clone)]
pub(crate) struct TokenHttp {
    connect_timeout: Duration,
    // IMDS: no proxy and no client's wire, ever.
    direct: bool,
    explicit: Option<Arc<dyn HttpTransport>>,
    adopted: OnceLock<TokenWire>,
    own: OnceLock<TokenWire>,
    retry: RetryOptions,
}

impl TokenHttp {
    /// Token requests with the given connect timeout and the default retry policy.
    pub(crate) fn new(connect_timeout: Duration) -> Self {
        TokenHttp {
            connect_timeout,
            direct: false,
            explicit: None,
            adopted: OnceLock::new(),
            own: OnceLock::new(),
            retry: RetryOptions::default(),
        }
    }

    /// Replaces the wire, e.g. with a test double, for good: a client's wire is not adopted.
    pub(crate) fn set_transport(&mut self, wire: Arc<dyn HttpTransport>) {
        self.explicit = Some(wire);
    }

    /// Connects directly, without proxies, whatever a client offers (IMDS).
    pub(crate) fn direct(&mut self) {
        self.direct = true;
    }

    /// Uses a client's wire from now on, unless this flow has its own
    /// transport, connects directly, or already took another client's (a
    /// credential shared by two clients stays on the first one's wire).
    pub(crate) fn adopt(&self, wire: &TokenWire) {
        if self.explicit.is_none() && !self.direct {
            let _ = self.adopted.set(wire.clone());
        }
    }

    fn wire(&self) -> Result<TokenWire> {
        if let Some(transport) = &self.explicit {
            return Ok(TokenWire { transport: Arc::clone(transport), proxy: ProxyConfig::Off });
        }
        if let Some(wire) = self.adopted.get().or_else(|| self.own.get()) {
            return Ok(wire.clone());
        }
        let proxy = if self.direct { ProxyConfig::Off } else { ProxyConfig::from_env()? };
        let transport = ReqwestTransport::new(&WireOptions {
            connect_timeout: self.connect_timeout,
            inactivity_timeout: Duration::from_secs(30),
            pool_idle_timeout: Duration::from_secs(30),
            root_certificates_pem: Vec::new(),
            proxy: proxy.clone(),
        })?;
        // Two first requests at once may both build one; either will do.
        Ok(self.own.get_or_init(|| TokenWire { transport: Arc::new(transport), proxy }).clone())
    }

    /// Replaces the retry policy.
    pub(crate) fn set_retry(&mut self, retry: RetryOptions) {
        self.retry = retry;
    }

    /// Sends a token request and parses the token, or a typed error naming `flow`.
    pub(crate) async fn fetch_token(&self, request: Request, flow: &'static str) -> Result<AccessToken> {
        self.fetch_token_with(request, flow, &self.retry).await
    }

    /// [`fetch_token`](Self::fetch_token) with another retry policy for this one request.
    pub(crate) async fn fetch_token_with(
        &self,
        request: Request,
        flow: &'static str,
        retry: &RetryOptions,
    ) -> Result<AccessToken> {
        let origin = request.url.origin().ascii_serialization();
        let wire = self.wire().map_err(|err| Error::invalid_input(format!("{flow}: {}", err.message())))?;
        // Plain http is accepted only to loopback token endpoints; a proxy on
        // another host would read the client secret or identity header.
        if wire.proxy.exposes_plain_http(&request.url) {
            return Err(Error::invalid_input(format!(
                "{flow}: not sending credentials to the plain http:// token endpoint {origin} through a proxy \
                 on another host; add it to NO_PROXY"
            )));
        }
        let stack =
            RetryLayer::new(Arc::clone(&wire.transport), retry.clone(), Arc::new(SystemClock), Arc::new(FastRng));
        tracing::debug!(flow, endpoint = %origin, "requesting a token");
        let response = stack.send(request).await.map_err(|err| {
            let kind = match err.kind() {
                TransportErrorKind::Timeout => ErrorKind::Timeout,
                _ => ErrorKind::Transport,
            };
            Error::new(kind, format!("{flow}: could not reach the token endpoint {origin}: {err}"))
                .with_source_in_message(err)
        })?;
        let status = response.status;
        if let Some(err) = error_map::redirect_error(status, response.header(headers::LOCATION)) {
            return Err(err.context(&format!("{flow}: the token endpoint {origin}")));
        }
        let request_id = response.header(headers::X_MS_REQUEST_ID).map(str::to_owned);
        let (body, broken) = response.body.read_capped(MAX_TOKEN_BODY).await;
        if let Some(err) = broken {
            return Err(Error::new(ErrorKind::Transport, format!("{flow}: the token response broke off: {err}")));
        }
        if status.is_success() {
            return parse_token_response(&body, SystemTime::now()).map_err(|err| err.context(flow));
        }
        Err(refusal(flow, &origin, status, request_id, &body))
    }
}

/// The error for a non-2xx token response.
fn refusal(flow: &'static str, origin: &str, status: StatusCode, request_id: Option<String>, body: &[u8]) -> Error {
    let parsed = parse_error_body(body);
    // A refused credential is an authentication failure whatever the 4xx;
    // throttling and server failures keep their usual kinds.
    let kind = match status.as_u16() {
        400 | 401 | 403 => ErrorKind::Unauthenticated,
        _ => error_map::classify(status, None),
    };
    let mut message = format!("{flow}: the token endpoint {origin} refused the request");
    if let Some(code) = &parsed.code {
        message.push_str(&format!(": {code}"));
    }
    if let Some(description) = &parsed.description {
        message.push_str(&format!(": {description}"));
    }
    Error::new(kind, message)
        .with_status(status)
        .with_error_code(parsed.code)
        .with_request_id(parsed.correlation_id.or(request_id))
}

/// Checks that a token endpoint is safe to send credentials to.
///
/// HTTPS always is; plain HTTP only on loopback (local test servers, the App
/// Service identity endpoint) or, when `allow_link_local` is set, at the
/// instance metadata service's link-local address, which is HTTP by design.
pub(crate) fn check_endpoint(url: &Url, what: &str, allow_link_local: bool) -> Result<()> {
    let link_local = matches!(url.host(), Some(Host::Ipv4(ip)) if ip.is_link_local());
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(url) || (allow_link_local && link_local) => Ok(()),
        "http" => Err(Error::invalid_input(format!(
            "{what} must use https:// (plain http:// is accepted only on loopback): {}",
            url.origin().ascii_serialization()
        ))),
        _ => Err(Error::invalid_input(format!("{what} must be an http(s) URL"))),
    }
}

/// Parses an endpoint given as text (an environment variable or an option).
pub(crate) fn parse_endpoint(text: &str, what: &str) -> Result<Url> {
    Url::parse(text.trim()).map_err(|e| Error::invalid_input(format!("{what} is not a valid URL: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_need_https_except_on_loopback() {
        let check = |u: &str, ll| check_endpoint(&Url::parse(u).unwrap(), "the authority", ll);
        assert!(check("https://login.microsoftonline.com", false).is_ok());
        assert!(check("http://127.0.0.1:8080", false).is_ok());
        assert!(check("http://localhost:8080", false).is_ok());
        assert!(check("http://[::1]:8080", false).is_ok());
        let err = check("http://login.example.com", false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("https://"), "{err}");
        assert!(check("http://169.254.169.254", false).is_err());
        assert!(check("http://169.254.169.254", true).is_ok());
        assert!(check("ftp://127.0.0.1", false).is_err());
    }

    #[test]
    fn refusals_are_typed_and_keep_codes() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","correlation_id":"c-1"}"#;
        let err = refusal("client secret credential", "https://login", StatusCode::UNAUTHORIZED, None, body);
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
        assert_eq!(err.error_code(), Some("invalid_client"));
        assert_eq!(err.request_id(), Some("c-1"));
        assert!(err.to_string().contains("AADSTS7000215"), "{err}");
        let err = refusal("managed identity", "http://x", StatusCode::TOO_MANY_REQUESTS, None, b"");
        assert_eq!(err.kind(), ErrorKind::Throttled);
        let err = refusal("managed identity", "http://x", StatusCode::INTERNAL_SERVER_ERROR, None, b"");
        assert_eq!(err.kind(), ErrorKind::ServerBusy);
    }
}
