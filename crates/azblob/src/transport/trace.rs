//! `TraceLayer` wraps each attempt in a `tracing` span and logs its outcome.
//!
//! It sits below signing, so it sees the request as sent; it prints URLs
//! with SAS signatures redacted and never prints headers.

use std::sync::Arc;
use std::time::Instant;

use futures_util::future::BoxFuture;
use tracing::Instrument;

use super::{HttpTransport, Request, Response, TransportError};
use crate::headers;
use crate::redact::RedactedUrl;

/// Traces every attempt of the inner transport.
#[derive(Debug)]
pub struct TraceLayer {
    inner: Arc<dyn HttpTransport>,
}

impl TraceLayer {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn HttpTransport>) -> Self {
        TraceLayer { inner }
    }
}

impl HttpTransport for TraceLayer {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        let span = tracing::debug_span!(
            "azblob.attempt",
            operation = request.operation,
            method = %request.method,
            url = %RedactedUrl(&request.url),
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        let body_len = request.body.len();
        Box::pin(
            async move {
                let started = Instant::now();
                let result = self.inner.send(request).await;
                let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
                match &result {
                    Ok(response) => {
                        let span = tracing::Span::current();
                        span.record("status", response.status.as_u16());
                        if let Some(id) = response.header(headers::X_MS_REQUEST_ID) {
                            span.record("request_id", id);
                        }
                        tracing::debug!(
                            status = response.status.as_u16(),
                            body_len,
                            elapsed_ms,
                            "response headers received"
                        );
                    }
                    Err(err) => tracing::debug!(error = %err, elapsed_ms, "no response"),
                }
                result
            }
            .instrument(span),
        )
    }
}
