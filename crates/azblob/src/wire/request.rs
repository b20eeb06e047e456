//! The request type that travels down the transport stack.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use url::Url;

use super::sub_requests::SubRequests;
use super::tally::Tally;
use crate::redact::RedactedUrl;

/// One HTTP request, as built by an operation and signed by the stack.
///
/// The body is [`Bytes`], so a retry or a recording can resend it without
/// copying. `idempotent` is set by the operation that built the request,
/// because only it knows whether repeating it is safe; it is `false` unless
/// the operation says otherwise, so a forgotten flag costs a retry, never a
/// request carried out twice.
#[derive(Clone)]
pub struct Request {
    /// The HTTP method.
    pub method: Method,
    /// The full URL, including the query (and a SAS once signed).
    pub url: Url,
    /// The request headers.
    pub headers: HeaderMap,
    /// The request body (empty for GET, HEAD and DELETE).
    pub body: Bytes,
    /// The REST operation's name, e.g. `PutBlob`, for spans and errors.
    pub operation: &'static str,
    /// Whether sending the request twice has the same effect as once, so the
    /// retry layer may repeat it after its answer was lost (default `false`).
    pub idempotent: bool,
    /// Whether a 429 or 503 answer, the service refusing the request before
    /// acting on it, may be repeated although the request is not idempotent:
    /// a write whose repeat after an attempt that did act could only fail on
    /// its condition or write the same again, never act twice (Put Blob, Put
    /// Block List, the copies). An append without a position is not one.
    pub(crate) repeat_refused: bool,
    /// Sub-requests the signing layer signs and encodes into the body (Blob Batch).
    pub(crate) sub_requests: Option<SubRequests>,
    /// The counters of the transfer this request belongs to, which
    /// `RetryLayer` updates on every attempt, including the ones it repeats,
    /// so an adaptive transfer (`transfer/concurrency.rs`) sees congestion
    /// that retries would hide and its report counts every request.
    pub(crate) tally: Option<Arc<Tally>>,
    /// How many times this request was sent before this attempt (set by
    /// `RetryLayer`; OpenTelemetry's `http.request.resend_count`).
    pub(crate) resend_count: u32,
}

impl Request {
    /// A request with no headers and an empty body, not idempotent: the
    /// operation that builds it sets [`idempotent`](Self::idempotent) when
    /// repeating it is safe.
    pub fn new(operation: &'static str, method: Method, url: Url) -> Self {
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            operation,
            idempotent: false,
            repeat_refused: false,
            sub_requests: None,
            tally: None,
            resend_count: 0,
        }
    }

    /// The same request marked safe to repeat.
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// Sets a header, replacing any earlier value.
    pub fn set_header(&mut self, name: HeaderName, value: HeaderValue) {
        self.headers.insert(name, value);
    }

    /// The value of a header as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Headers are left out on purpose: `Authorization` and copy-source
        // credentials live there.
        f.debug_struct("Request")
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("url", &RedactedUrl(&self.url))
            .field("body_len", &self.body.len())
            .field("idempotent", &self.idempotent)
            .finish()
    }
}
