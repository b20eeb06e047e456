//! The wire: `ReqwestTransport` sends requests with reqwest over rustls.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::StreamExt;

use super::proxy::ProxyConfig;
use super::timeout::{marking_body, timeout_error, Activity, TimeoutKind};
use super::{Body, HttpTransport, Request, Response, TimedStream, TransportError, TransportErrorKind};
use crate::error::{Error, Result};

/// Settings of the HTTP connection pool and TLS.
#[derive(Debug, Clone)]
pub(crate) struct WireOptions {
    pub(crate) connect_timeout: Duration,
    /// Longest time without a byte moving in either direction: while the
    /// request body is written, while the service works on the answer, and
    /// between chunks of the response body.
    pub(crate) inactivity_timeout: Duration,
    pub(crate) pool_idle_timeout: Duration,
    pub(crate) root_certificates_pem: Vec<Vec<u8>>,
    pub(crate) proxy: ProxyConfig,
}

/// The longest idle timeout handed to the connection pool: hyper adds it to
/// `Instant::now()` in a task it spawns, which panics on overflow. A century
/// means "never" to any process.
const LONGEST_POOL_TIMER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Sends requests over HTTP/1.1 with reqwest, TLS by rustls.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    connect_timeout: Duration,
    inactivity_timeout: Duration,
}

impl ReqwestTransport {
    pub(crate) fn new(options: &WireOptions) -> Result<Self> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(options.connect_timeout)
            // No `read_timeout` nor `timeout`: reqwest's read timeout runs from
            // the request's creation until the response headers, so writing
            // the body counts against it, and a large block on a slow uplink
            // times out however steadily it flows. `send` measures inactivity.
            .pool_idle_timeout(options.pool_idle_timeout.min(LONGEST_POOL_TIMER))
            .tcp_nodelay(true)
            .http1_only()
            // The Blob service and the token endpoints never redirect, and a
            // followed redirect would carry copy-source SAS tokens, source
            // bearer tokens, identity headers and request bodies (blob data,
            // client secrets) to whatever host the `Location` names: reqwest
            // only drops `Authorization` and cookies. A 3xx is returned as a
            // response, and `error_map` makes it an error naming that host.
            .redirect(reqwest::redirect::Policy::none())
            // reqwest's own reading of the environment is off: the library
            // resolves proxies itself (`ProxyConfig`), so that the client can
            // tell before sending a credential over plain http whether a proxy
            // would read it. An `https://` target goes through an http proxy
            // as a `CONNECT` tunnel, so TLS stays end to end.
            .no_proxy()
            .user_agent(concat!("azblob-rs/", env!("CARGO_PKG_VERSION")));
        if let ProxyConfig::Rules(_) = &options.proxy {
            let proxy = options.proxy.clone();
            builder = builder.proxy(reqwest::Proxy::custom(move |url| proxy.proxy_for(url).cloned()));
        }
        for pem in &options.root_certificates_pem {
            let cert = reqwest::Certificate::from_pem(pem)
                .map_err(|e| Error::invalid_input(format!("invalid root certificate: {e}")))?;
            builder = builder.add_root_certificate(cert);
        }
        let client = builder.build().map_err(|e| Error::invalid_input(format!("cannot build the HTTP client: {e}")))?;
        Ok(ReqwestTransport {
            client,
            connect_timeout: options.connect_timeout,
            inactivity_timeout: options.inactivity_timeout,
        })
    }

    /// A transport with the library's default timeouts and pool settings and
    /// the proxies of the environment (`HTTPS_PROXY`, `NO_PROXY`, ...), for
    /// wrapping in a custom layer (tests, fault injection).
    pub fn from_env() -> Result<Self> {
        ReqwestTransport::new(&WireOptions {
            connect_timeout: Duration::from_secs(10),
            inactivity_timeout: Duration::from_secs(60),
            pool_idle_timeout: Duration::from_secs(4),
            root_certificates_pem: Vec::new(),
            proxy: ProxyConfig::from_env()?,
        })
    }

    /// A transport over a reqwest client configured by the caller, with the
    /// default inactivity timeout (60 s) on top of the client's own timeouts.
    ///
    /// Build it with `redirect(reqwest::redirect::Policy::none())`: reqwest
    /// follows redirects by default, and a followed redirect carries
    /// copy-source credentials and request bodies to another host.
    pub fn from_client(client: reqwest::Client) -> Self {
        ReqwestTransport {
            client,
            connect_timeout: Duration::from_secs(10),
            inactivity_timeout: Duration::from_secs(60),
        }
    }

    /// The same transport with another inactivity timeout: the longest time
    /// without a byte moving in either direction.
    pub fn inactivity_timeout(mut self, timeout: Duration) -> Self {
        self.inactivity_timeout = timeout;
        self
    }
}

impl HttpTransport for ReqwestTransport {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        Box::pin(async move {
            // An empty write still needs `Content-Length: 0`: the service
            // rejects a PUT without it, and hyper omits it for empty bodies.
            let mut headers = request.headers;
            if matches!(request.method, http::Method::PUT | http::Method::POST) && request.body.is_empty() {
                headers.insert(http::header::CONTENT_LENGTH, http::HeaderValue::from_static("0"));
            }
            let mut builder = self.client.request(request.method, request.url).headers(headers);
            let activity = Activity::new();
            if !request.body.is_empty() {
                // A streamed body has no length of its own: hyper would send
                // it chunked, which the service refuses for blocks and blobs.
                builder = builder
                    .header(http::header::CONTENT_LENGTH, request.body.len())
                    .body(marking_body(request.body, Arc::clone(&activity)));
            }
            let response = tokio::select! {
                sent = builder.send() => sent.map_err(|e| map_reqwest_error(e, self.connect_timeout))?,
                () = activity.idle_for(self.inactivity_timeout) => {
                    return Err(timeout_error(TimeoutKind::Inactivity, self.inactivity_timeout));
                }
            };
            let status = response.status();
            let headers = response.headers().clone();
            let connect_timeout = self.connect_timeout;
            let stream =
                response.bytes_stream().map(move |chunk| chunk.map_err(|e| map_reqwest_error(e, connect_timeout)));
            let body = TimedStream::idle(stream.boxed(), self.inactivity_timeout);
            Ok(Response::from_body(status, headers, Body::from_stream(body.boxed())))
        })
    }
}

/// Turns a reqwest error into a transport error, dropping its URL (it may carry a SAS).
fn map_reqwest_error(err: reqwest::Error, connect_timeout: Duration) -> TransportError {
    if err.is_connect() && err.is_timeout() {
        return timeout_error(TimeoutKind::Connect, connect_timeout).caused_by(err.without_url());
    }
    let kind = if err.is_connect() {
        TransportErrorKind::Connect
    } else if err.is_timeout() {
        TransportErrorKind::Timeout
    } else if err.is_request() || err.is_body() || err.is_decode() {
        TransportErrorKind::Io
    } else {
        TransportErrorKind::Other
    };
    let message = match kind {
        TransportErrorKind::Connect => "could not connect",
        TransportErrorKind::Timeout => "timed out",
        TransportErrorKind::Io => "connection failed during the exchange",
        _ => "HTTP client error",
    };
    TransportError::new(kind, message).caused_by(err.without_url())
}
