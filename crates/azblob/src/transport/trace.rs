//! `TraceLayer` wraps each attempt in a `tracing` span and logs its outcome.
//!
//! It sits below signing, so it sees the request as sent; it prints URLs
//! with SAS signatures redacted and never prints headers.
//!
//! The span's fields use OpenTelemetry's semantic-convention names for HTTP
//! clients and Azure SDKs (`http.request.method`, `url.full`,
//! `server.address`, `http.response.status_code`,
//! `http.request.resend_count`, `az.service_request_id`, `error.type`, and
//! `otel.kind`/`otel.name`, which `tracing-opentelemetry` reads as the
//! span's kind and name), so an exporter needs no mapping; what the
//! conventions have no name for is under `azblob.`. Numbers are recorded as
//! `i64`: `tracing-opentelemetry` exports an `u64` as a string, and the
//! conventions want integers.

use std::sync::Arc;
use std::time::Instant;

use futures_util::future::BoxFuture;
use tracing::field::Empty;
use tracing::Instrument;
use url::Url;

use super::{HttpTransport, Request, Response, TransportError, TransportErrorKind};
use crate::headers;
use crate::redact::RedactedUrl;

/// Traces every attempt of the inner transport.
#[derive(Debug)]
pub struct TraceLayer {
    inner: Arc<dyn HttpTransport>,
    /// How many path segments the endpoint itself has (one for a path-style
    /// endpoint such as Azurite's `/devstoreaccount1`), so the next one is
    /// the container.
    endpoint_segments: usize,
}

impl TraceLayer {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn HttpTransport>) -> Self {
        TraceLayer { inner, endpoint_segments: 0 }
    }

    /// The same layer for a client of `endpoint`, so that spans name the
    /// container of each request.
    pub(crate) fn for_endpoint(mut self, endpoint: &Url) -> Self {
        self.endpoint_segments = endpoint.path_segments().map_or(0, |s| s.filter(|s| !s.is_empty()).count());
        self
    }

    /// The container a request's URL names, if any.
    fn container<'a>(&self, url: &'a Url) -> Option<&'a str> {
        url.path_segments()?.nth(self.endpoint_segments).filter(|s| !s.is_empty())
    }
}

impl HttpTransport for TraceLayer {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        let url = &request.url;
        let span = tracing::debug_span!(
            "azblob.attempt",
            otel.kind = "client",
            otel.name = request.method.as_str(),
            otel.status_code = Empty,
            http.request.method = request.method.as_str(),
            url.full = %RedactedUrl(url),
            server.address = url.host_str().unwrap_or_default(),
            server.port = url.port_or_known_default().map(i64::from),
            http.request.resend_count = Empty,
            http.request.body.size = i64::try_from(request.body.len()).unwrap_or(i64::MAX),
            http.response.status_code = Empty,
            http.response.body.size = Empty,
            az.service_request_id = Empty,
            error.type = Empty,
            azblob.operation = request.operation,
            azblob.container = self.container(url),
        );
        // The conventions record a resend count only on resends.
        if request.resend_count > 0 {
            span.record("http.request.resend_count", i64::from(request.resend_count));
        }
        Box::pin(
            async move {
                let started = Instant::now();
                let result = self.inner.send(request).await;
                let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
                let span = tracing::Span::current();
                match &result {
                    Ok(response) => {
                        let status = response.status.as_u16();
                        span.record("http.response.status_code", i64::from(status));
                        if let Some(id) = response.header(headers::X_MS_REQUEST_ID) {
                            span.record("az.service_request_id", id);
                        }
                        if let Some(len) = response.header(headers::CONTENT_LENGTH).and_then(|v| v.parse::<i64>().ok())
                        {
                            span.record("http.response.body.size", len);
                        }
                        if status >= 400 {
                            // The conventions' error type for an HTTP error is its status code.
                            span.record("error.type", status.to_string());
                            span.record("otel.status_code", "ERROR");
                        }
                        tracing::debug!(
                            http.response.status_code = i64::from(status),
                            elapsed_ms,
                            "response headers received"
                        );
                    }
                    Err(err) => {
                        span.record("error.type", error_type(err.kind()));
                        span.record("otel.status_code", "ERROR");
                        tracing::debug!(error = %err, elapsed_ms, "no response");
                    }
                }
                result
            }
            .instrument(span),
        )
    }
}

/// The `error.type` of an attempt that got no answer: low-cardinality names,
/// as the conventions ask.
pub(crate) fn error_type(kind: TransportErrorKind) -> &'static str {
    match kind {
        TransportErrorKind::Connect => "connect",
        TransportErrorKind::Timeout => "timeout",
        TransportErrorKind::Io => "io",
        TransportErrorKind::NoRecording => "no_recording",
        TransportErrorKind::Credential => "credential",
        _ => "_OTHER",
    }
}
