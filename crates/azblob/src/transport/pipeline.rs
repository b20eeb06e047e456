//! `Pipeline` is the top of the stack: it stamps the API version, opens the
//! operation span, and turns transport failures and error statuses into [`Error`]s.

use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use tracing::Instrument;

use super::{
    timeout_error, Clock, HttpTransport, Request, Response, SystemClock, TimeoutKind, TransportError,
    TransportErrorKind,
};
use crate::error::{Error, ErrorKind, Result};
use crate::headers;
use crate::wire::error_map;

/// How many times [`Pipeline::execute_read`] repeats an exchange whose answer
/// broke off mid-body (each repeat with the retry layer's own retries below it).
const MAX_BROKEN_BODIES: u32 = 3;

/// The assembled transport stack plus the settings every request shares.
#[derive(Debug, Clone)]
pub(crate) struct Pipeline {
    transport: Arc<dyn HttpTransport>,
    api_version: HeaderValue,
    /// The overall deadline of one operation, retries and body included.
    deadline: Option<Duration>,
    /// How many times a streamed Get Blob body that broke off is resumed:
    /// the retry options' count, since a resume is a retry of the rest.
    body_resumes: u32,
    /// The clock the retry layer sleeps with; whatever else waits between
    /// requests (a copy's polls) sleeps with it too, so tests and replays
    /// can inject one that does not.
    clock: Arc<dyn Clock>,
}

impl Pipeline {
    pub(crate) fn new(transport: Arc<dyn HttpTransport>, api_version: HeaderValue) -> Self {
        Pipeline { transport, api_version, deadline: None, body_resumes: 3, clock: Arc::new(SystemClock) }
    }

    /// The same pipeline with `clock` for the waits between requests.
    pub(crate) fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The clock to wait between requests with.
    pub(crate) fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// The same pipeline with an overall deadline per operation. It sits
    /// here, above the retry layer, because it bounds the retries too.
    pub(crate) fn with_deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// The same pipeline with `resumes` as the bound on resuming a streamed body.
    pub(crate) fn with_body_resumes(mut self, resumes: u32) -> Self {
        self.body_resumes = resumes;
        self
    }

    /// How many times a streamed body that broke off may be resumed.
    pub(crate) fn body_resumes(&self) -> u32 {
        self.body_resumes
    }

    /// Sends `request` through the stack; a non-2xx answer becomes an error
    /// with its kind, status, service code and request id.
    pub(crate) async fn execute(&self, request: Request) -> Result<Response> {
        let operation = request.operation;
        let response = self.send(request).await?;
        if response.status.is_success() {
            return Ok(response);
        }
        Err(error_map::error_from_response(response, operation).await)
    }

    /// Sends `request` and reads its whole (small) answer, up to `max`
    /// bytes; returns the answer (its body taken) and the bytes.
    ///
    /// `RetryLayer` repeats attempts that fail before an answer's head
    /// arrives, but a body that breaks off afterwards is out of its reach. So
    /// an idempotent request whose answer broke off is sent again here, up to
    /// [`MAX_BROKEN_BODIES`] times, and the new answer is marked
    /// [`Response::repeated`]: the service may have acted on the broken
    /// exchange, as a batch of deletes must know.
    pub(crate) async fn execute_read(
        &self,
        request: Request,
        operation: &'static str,
        max: usize,
    ) -> Result<(Response, bytes::Bytes)> {
        let mut broken = 0;
        loop {
            let mut response = self.execute(request.clone()).await?;
            response.repeated |= broken > 0;
            let body = std::mem::replace(&mut response.body, super::Body::empty());
            let declared = response.header(headers::CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
            match super::read_capped(body, declared, operation, max).await {
                Ok(bytes) => return Ok((response, bytes)),
                Err(err) if request.idempotent && broken < MAX_BROKEN_BODIES && err.kind() == ErrorKind::Transport => {
                    broken += 1;
                    tracing::warn!(operation, retry = broken, reason = %err, "retrying request");
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Sends `request` through the stack and returns the answer whatever its
    /// status, for operations that read meaning into an error status (a
    /// delete that answers 404 to a [repeated](Response::repeated) attempt).
    pub(crate) async fn send(&self, mut request: Request) -> Result<Response> {
        let operation = request.operation;
        request.headers.insert(headers::X_MS_VERSION, self.api_version.clone());
        // Named by OpenTelemetry's conventions (see `trace.rs`): the logical
        // operation, whose attempts are the HTTP client spans inside it.
        let span = tracing::info_span!(
            "azblob.operation",
            otel.name = operation,
            otel.status_code = tracing::field::Empty,
            az.namespace = "Microsoft.Storage",
            azblob.operation = operation,
            http.response.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        // Scheme, host and port only: the path and query may carry a SAS.
        let endpoint = request.url.origin().ascii_serialization();
        async move {
            // A deadline past the end of the clock is no deadline.
            let deadline =
                self.deadline.and_then(|after| Some((tokio::time::Instant::now().checked_add(after)?, after)));
            let sent = self.transport.send(request);
            let result = match deadline {
                None => sent.await,
                Some((at, after)) => match tokio::time::timeout_at(at, sent).await {
                    Ok(result) => result,
                    Err(_) => Err(timeout_error(TimeoutKind::Deadline, after)),
                },
            };
            let span = tracing::Span::current();
            let mut response = result.map_err(|e| {
                span.record("error.type", super::trace::error_type(e.kind()));
                span.record("otel.status_code", "ERROR");
                transport_error(e, operation, &endpoint)
            })?;
            if let Some((at, after)) = deadline {
                response.body = response.body.with_deadline(at, after);
            }
            let status = response.status.as_u16();
            span.record("http.response.status_code", i64::from(status));
            if status >= 400 {
                span.record("error.type", status.to_string());
                span.record("otel.status_code", "ERROR");
            }
            Ok(response)
        }
        .instrument(span)
        .await
    }
}

/// Turns "no response" into an [`Error`] that names the endpoint it came
/// from (`endpoint` is an origin, with no path or query, so no SAS).
fn transport_error(err: TransportError, operation: &'static str, endpoint: &str) -> Error {
    // A credential failure keeps its own kind (Unauthenticated, Timeout, ...),
    // so callers can tell a refused token from a network failure.
    if err.kind() == TransportErrorKind::Credential {
        let message = err.to_string();
        return match err.into_source().map(|s| s.downcast::<Error>()) {
            Some(Ok(credential_error)) => credential_error.with_operation(operation),
            _ => Error::new(ErrorKind::Unauthenticated, message).with_operation(operation),
        };
    }
    let kind = match err.kind() {
        TransportErrorKind::Timeout => ErrorKind::Timeout,
        _ => ErrorKind::Transport,
    };
    // The message spells out the whole chain of causes once; the transport
    // error stays reachable through `Error::get_ref` for its kind.
    Error::new(kind, format!("{endpoint}: {err}")).with_operation(operation).with_source_in_message(err)
}
