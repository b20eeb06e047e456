//! The one error type of the library: a boxed struct with a kind and accessors.

use std::fmt;

use http::StatusCode;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, at the level a caller decides on.
///
/// The service's own error code stays available through [`Error::error_code`]
/// for finer decisions; this enum is `#[non_exhaustive]` so new kinds can be
/// added without breaking callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The container, blob, snapshot or version does not exist (HTTP 404).
    NotFound,
    /// The resource already exists, e.g. `If-None-Match: *` on an existing blob.
    AlreadyExists,
    /// A conditional header (`If-Match`, `If-Unmodified-Since`, ...) did not hold (HTTP 412).
    PreconditionFailed,
    /// The credential is valid but lacks the permission (HTTP 403 other than a bad signature).
    PermissionDenied,
    /// The request was not authenticated: wrong key, bad or expired signature or token.
    Unauthenticated,
    /// The service asked the client to slow down (HTTP 429).
    Throttled,
    /// The service is busy or failed internally (HTTP 500, 502, 503).
    ServerBusy,
    /// The request conflicts with the resource's state (HTTP 409), e.g. a lease or blob type.
    Conflict,
    /// The requested range is not satisfiable (HTTP 416).
    InvalidRange,
    /// The blob is in the Archive tier: it must be rehydrated (Set Blob Tier
    /// to Hot, Cool or Cold) before it can be read (HTTP 409 `BlobArchived`).
    Archived,
    /// The service rejected the request as malformed (HTTP 400 and other 4xx).
    BadRequest,
    /// Data did not match its checksum (Content-MD5 or CRC64).
    IntegrityMismatch,
    /// A check was required but cannot be made: the blob has no stored
    /// checksum to verify against. Nothing was written.
    Unverifiable,
    /// No response: connection refused, reset, TLS failure, DNS failure.
    Transport,
    /// The request or the service timed out (client timeout, HTTP 408, 504).
    Timeout,
    /// The caller's input was rejected before any request was sent.
    InvalidInput,
    /// The service answered something the client could not understand.
    InvalidResponse,
    /// A local I/O error (reading a source file, writing a destination).
    Io,
    /// An upload's source file changed while it was read or since its
    /// checkpoint was written (size, modification time, inode or change
    /// time differ), or a block copy's source blob no longer has the ETag
    /// the copy started from; nothing was committed.
    SourceChanged,
    /// Any other failure.
    Other,
}

impl ErrorKind {
    /// A short stable name for the kind, used in messages and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not found",
            ErrorKind::AlreadyExists => "already exists",
            ErrorKind::PreconditionFailed => "precondition failed",
            ErrorKind::PermissionDenied => "permission denied",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::Throttled => "throttled",
            ErrorKind::ServerBusy => "server busy",
            ErrorKind::Conflict => "conflict",
            ErrorKind::InvalidRange => "invalid range",
            ErrorKind::Archived => "blob archived",
            ErrorKind::BadRequest => "bad request",
            ErrorKind::IntegrityMismatch => "integrity mismatch",
            ErrorKind::Unverifiable => "unverifiable",
            ErrorKind::Transport => "transport error",
            ErrorKind::Timeout => "timeout",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::InvalidResponse => "invalid response",
            ErrorKind::Io => "I/O error",
            ErrorKind::SourceChanged => "source changed",
            ErrorKind::Other => "error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The error of every fallible azblob call.
///
/// It is one pointer wide; ask it with [`kind`](Error::kind),
/// [`status`](Error::status), [`error_code`](Error::error_code),
/// [`request_id`](Error::request_id) and [`is_retryable`](Error::is_retryable).
/// Its `Display` and `Debug` never contain credentials: messages are built
/// from redacted URLs and the service's own error text.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    operation: Option<&'static str>,
    status: Option<StatusCode>,
    error_code: Option<String>,
    request_id: Option<String>,
    source: Option<BoxError>,
    /// Whether `message` already spells out `source` (its whole chain), so
    /// chain printers such as anyhow's `{:#}` must not print it again.
    source_in_message: bool,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                operation: None,
                status: None,
                error_code: None,
                request_id: None,
                source: None,
                source_in_message: false,
            }),
        }
    }

    pub(crate) fn invalid_input(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message)
    }

    pub(crate) fn invalid_response(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidResponse, message)
    }

    /// Attaches the underlying error, whose text the message does not
    /// include: [`source`](std::error::Error::source) hands it to chain printers.
    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self.inner.source_in_message = false;
        self
    }

    /// Attaches the underlying error whose text (with its own causes) the
    /// message already includes. It stays reachable through
    /// [`get_ref`](Error::get_ref), but `source()` does not return it, so a
    /// chain printer (`{:#}`) shows the cause once, not twice.
    pub(crate) fn with_source_in_message(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self.inner.source_in_message = true;
        self
    }

    /// Replaces the message, keeping kind, status, code and request id.
    pub(crate) fn with_message(mut self, message: impl Into<String>) -> Self {
        self.inner.message = message.into();
        self
    }

    pub(crate) fn with_operation(mut self, operation: &'static str) -> Self {
        self.inner.operation.get_or_insert(operation);
        self
    }

    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_error_code(mut self, code: Option<String>) -> Self {
        self.inner.error_code = code;
        self
    }

    /// Prefixes the message with context, e.g. the credential that failed.
    pub(crate) fn context(mut self, prefix: &str) -> Self {
        self.inner.message =
            if self.inner.message.is_empty() { prefix.to_owned() } else { format!("{prefix}: {}", self.inner.message) };
        self
    }

    /// The message alone, without kind, status or request id.
    pub(crate) fn message(&self) -> &str {
        &self.inner.message
    }

    pub(crate) fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.inner.request_id = request_id;
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status of the service's answer, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// The service's error code (`x-ms-error-code` or the XML `<Code>`), e.g. `BlobNotFound`.
    pub fn error_code(&self) -> Option<&str> {
        self.inner.error_code.as_deref()
    }

    /// The service's request id (`x-ms-request-id`), for support tickets.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// The name of the REST operation that failed, e.g. `PutBlob`.
    pub fn operation(&self) -> Option<&'static str> {
        self.inner.operation
    }

    /// Whether repeating the same request later may succeed.
    ///
    /// This says nothing about whether repeating it is *safe*; the retry
    /// layer also asks the request itself.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::Throttled | ErrorKind::ServerBusy | ErrorKind::Transport | ErrorKind::Timeout
        )
    }

    /// The same error without its source, for reporting one failure in
    /// several places (e.g. every blob of a failed batch).
    pub(crate) fn duplicate(&self) -> Error {
        Error::new(self.inner.kind, self.inner.message.clone())
            .with_operation_opt(self.inner.operation)
            .with_status_opt(self.inner.status)
            .with_error_code(self.inner.error_code.clone())
            .with_request_id(self.inner.request_id.clone())
    }

    fn with_operation_opt(mut self, operation: Option<&'static str>) -> Self {
        self.inner.operation = operation;
        self
    }

    fn with_status_opt(mut self, status: Option<StatusCode>) -> Self {
        self.inner.status = status;
        self
    }

    /// The underlying error, if any, e.g. a
    /// [`TransportError`](crate::transport::TransportError) or an
    /// [`std::io::Error`], for callers that want its type.
    ///
    /// Unlike [`source`](std::error::Error::source), this also returns an
    /// underlying error whose text this error's message already includes.
    pub fn get_ref(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.inner.source.as_deref()
    }

    /// Whether the error is [`ErrorKind::NotFound`].
    pub fn is_not_found(&self) -> bool {
        self.inner.kind == ErrorKind::NotFound
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(op) = self.inner.operation {
            write!(f, "{op}: ")?;
        }
        write!(f, "{}", self.inner.kind)?;
        if let Some(status) = self.inner.status {
            write!(f, " (HTTP {}", status.as_u16())?;
            if let Some(code) = &self.inner.error_code {
                write!(f, " {code}")?;
            }
            f.write_str(")")?;
        }
        if !self.inner.message.is_empty() {
            write!(f, ": {}", self.inner.message)?;
        }
        if let Some(id) = &self.inner.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind);
        if let Some(op) = self.inner.operation {
            d.field("operation", &op);
        }
        if let Some(status) = self.inner.status {
            d.field("status", &status.as_u16());
        }
        if let Some(code) = &self.inner.error_code {
            d.field("error_code", code);
        }
        if let Some(id) = &self.inner.request_id {
            d.field("request_id", id);
        }
        d.field("message", &self.inner.message);
        if let Some(source) = &self.inner.source {
            d.field("source", &source.to_string());
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    /// The underlying error, unless the message already spells it out:
    /// every cause appears once in `{:#}` (anyhow) or any other chain printer.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        if self.inner.source_in_message {
            return None;
        }
        self.inner.source.as_ref().map(|e| &**e as _)
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::new(ErrorKind::Io, err.to_string()).with_source_in_message(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_one_pointer_wide() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn display_names_operation_status_code_and_request_id() {
        let err = Error::new(ErrorKind::NotFound, "The specified blob does not exist.")
            .with_operation("GetBlob")
            .with_status(StatusCode::NOT_FOUND)
            .with_error_code(Some("BlobNotFound".into()))
            .with_request_id(Some("req-1".into()));
        assert_eq!(
            err.to_string(),
            "GetBlob: not found (HTTP 404 BlobNotFound): The specified blob does not exist. [request id req-1]"
        );
        assert!(!err.is_retryable());
        assert!(err.is_not_found());
    }

    /// Every message and cause of the chain, as anyhow's `{:#}` prints it.
    fn chain(err: &(dyn std::error::Error + 'static)) -> String {
        let mut text = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            text = format!("{text}: {cause}");
            source = cause.source();
        }
        text
    }

    #[test]
    fn a_cause_prints_once_whether_or_not_the_message_includes_it() {
        let io = || std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let shown = Error::new(ErrorKind::Io, format!("cannot read x: {}", io())).with_source_in_message(io());
        assert_eq!(chain(&shown), "I/O error: cannot read x: refused");
        assert!(shown.get_ref().and_then(|e| e.downcast_ref::<std::io::Error>()).is_some(), "still typed");

        let chained = Error::new(ErrorKind::Transport, "the body broke off").with_source(io());
        assert_eq!(chain(&chained), "transport error: the body broke off: refused");
        assert_eq!(chain(&Error::from(io())), "I/O error: refused");
    }

    #[test]
    fn retryable_kinds() {
        assert!(Error::new(ErrorKind::ServerBusy, "").is_retryable());
        assert!(Error::new(ErrorKind::Throttled, "").is_retryable());
        assert!(!Error::new(ErrorKind::PreconditionFailed, "").is_retryable());
    }
}
