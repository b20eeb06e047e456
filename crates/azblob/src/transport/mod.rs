//! The transport seam: one trait that sends a request and the layers that wrap it.
//!
//! Every HTTP exchange of the library goes through [`HttpTransport::send`].
//! A [`TransportError`] means *no response at all* (refused, reset, timed
//! out, TLS failure); a 404 or a 503 is a [`Response`] and is turned into an
//! [`ErrorKind`](crate::ErrorKind) in exactly one place,
//! `ops::error_map::error_from_response`.
//!
//! The stack, outermost first, is built by `Pipeline` (crate-private):
//! operation span → [`RetryLayer`] → [`SignLayer`] → [`TraceLayer`] → the
//! simulation layer when recording or replaying ([`crate::sim`]) → wire
//! ([`ReqwestTransport`] or any user transport).

mod body;
mod capped;
mod error;
mod pipeline;
pub(crate) mod proxy;
mod request;
pub(crate) mod reqwest;
pub(crate) mod retry;
mod sign;
mod sub_requests;
mod timeout;
mod trace;

pub use self::body::{Body, Response};
pub(crate) use self::capped::read_body;
pub use self::error::{TransportError, TransportErrorKind};
pub(crate) use self::pipeline::Pipeline;
pub use self::request::Request;
pub use self::reqwest::ReqwestTransport;
pub use self::retry::{Clock, RetryLayer, RetryOptions, RetryRng, SystemClock};
pub use self::sign::SignLayer;
pub(crate) use self::sub_requests::SubRequests;
pub use self::timeout::TimeoutKind;
pub(crate) use self::timeout::{timeout_error, TimedStream};
pub use self::trace::TraceLayer;
pub use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};

use futures_util::future::BoxFuture;

/// Sends one HTTP request and returns the service's response.
///
/// Implementations are the wire ([`ReqwestTransport`]) and the layers that
/// wrap another transport (retry, signing, tracing, simulation). A layer owns
/// one concern and forwards everything else unchanged.
pub trait HttpTransport: Send + Sync + std::fmt::Debug {
    /// Sends `request`. A non-2xx status is an `Ok(Response)`; an `Err` means
    /// no response was received.
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>>;
}

impl<T: HttpTransport + ?Sized> HttpTransport for std::sync::Arc<T> {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        (**self).send(request)
    }
}
