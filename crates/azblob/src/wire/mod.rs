//! The wire: the `HttpTransport` seam, its request, response and error types,
//! the reqwest implementation, the retry layer and proxy selection.
//!
//! It sits at the bottom of the crate, below auth and sim, because the token
//! flows of `auth::entra` send their own requests; the public paths of these
//! types stay under [`crate::transport`], which re-exports them.

mod body;
mod error;
pub(crate) mod error_map;
pub(crate) mod proxy;
mod request;
pub(crate) mod reqwest;
pub(crate) mod retry;
mod sub_requests;
pub(crate) mod tally;
mod timeout;

pub use self::body::{Body, Response};
pub use self::error::{TransportError, TransportErrorKind};
pub use self::request::Request;
pub use self::reqwest::ReqwestTransport;
pub use self::retry::{Clock, RetryLayer, RetryOptions, RetryRng, SystemClock};
pub(crate) use self::sub_requests::SubRequests;
pub use self::timeout::TimeoutKind;
pub(crate) use self::timeout::{timeout_error, TimedStream};

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
