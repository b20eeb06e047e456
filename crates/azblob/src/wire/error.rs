//! The error of a transport that produced no response.

use std::fmt;

use super::TimeoutKind;

/// Why no response was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be established; the request was never sent,
    /// so retrying is always safe.
    Connect,
    /// The request or response timed out; [`TransportError::timeout`] says
    /// which timeout fired.
    Timeout,
    /// The connection broke while sending the request or reading the
    /// response (reset, closed keep-alive connection, truncated body).
    Io,
    /// A simulation cassette had no answer for the request.
    NoRecording,
    /// The credential could not authorize the request (no bearer token); it
    /// was never sent. The source is the credential's [`Error`](crate::Error).
    Credential,
    /// Anything else (invalid request, TLS configuration, ...).
    Other,
}

/// A failure to get a response at all.
///
/// Its message never contains a URL: the underlying errors are stripped of
/// theirs, because a URL may carry a SAS signature.
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
    timeout: Option<TimeoutKind>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// A transport error of `kind` with a message that must not contain secrets.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError { kind, message: message.into(), timeout: None, source: None }
    }

    /// Attaches the underlying error (which must not contain secrets).
    pub fn caused_by(mut self, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Marks the error as caused by the `kind` timeout.
    pub(crate) fn with_timeout(mut self, kind: TimeoutKind) -> Self {
        self.timeout = Some(kind);
        self
    }

    /// Which timeout fired, if a timeout caused the error. A connect timeout
    /// has kind [`TransportErrorKind::Connect`] (the request was never sent);
    /// inactivity and deadline timeouts have kind [`TransportErrorKind::Timeout`].
    pub fn timeout(&self) -> Option<TimeoutKind> {
        self.timeout
    }

    /// Why no response was received.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// Takes the underlying error out, e.g. to recover a credential's typed error.
    pub(crate) fn into_source(self) -> Option<Box<dyn std::error::Error + Send + Sync>> {
        self.source
    }

    /// Whether the request certainly never reached the server.
    pub fn is_connect(&self) -> bool {
        self.kind == TransportErrorKind::Connect
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        let mut source = self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static));
        while let Some(err) = source {
            write!(f, ": {err}")?;
            source = err.source();
        }
        Ok(())
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("kind", &self.kind)
            .field("timeout", &self.timeout)
            .field("message", &self.to_string())
            .finish()
    }
}

impl std::error::Error for TransportError {}
