//! The transport seam: one trait that sends a request and the layers that wrap it.
//!
//! Every HTTP exchange of the library goes through [`HttpTransport::send`].
//! A [`TransportError`] means *no response at all* (refused, reset, timed
//! out, TLS failure); a 404 or a 503 is a [`Response`] and is turned into an
//! [`ErrorKind`](crate::ErrorKind) in exactly one place,
//! `wire::error_map::error_from_response`.
//!
//! The stack, outermost first, is built by `Pipeline` (crate-private):
//! operation span → [`RetryLayer`] → [`SignLayer`] → [`TraceLayer`] → the
//! simulation layer when recording or replaying ([`crate::sim`]) → wire
//! ([`ReqwestTransport`] or any user transport).

mod capped;
mod pipeline;
mod sign;
mod trace;

// The wire and its types live at the bottom of the crate (`crate::wire`) so
// that auth's token flows can send without importing this layer; these
// re-exports keep `azblob::transport::Request` and the crate's
// `crate::transport::...` paths the one way to name them.
pub(crate) use self::capped::read_capped;
pub(crate) use self::pipeline::Pipeline;
pub use self::sign::SignLayer;
pub use self::trace::TraceLayer;
pub(crate) use crate::wire::{proxy, reqwest, retry, timeout_error, SubRequests};
pub use crate::wire::{
    Body, Clock, HttpTransport, Request, ReqwestTransport, Response, RetryLayer, RetryOptions, RetryRng, SystemClock,
    TimeoutKind, TransportError, TransportErrorKind,
};
pub use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
