//! `SubRequests`: requests carried in another request's body (Blob Batch),
//! which the stack signs on every attempt like the request itself.

use std::sync::Arc;

use bytes::Bytes;

use super::Request;
use crate::error::Result;

/// Writes the carrying request's body from signed sub-requests and a boundary.
pub(crate) type EncodeParts = fn(&str, &[Request]) -> Result<Bytes>;

/// The unsigned sub-requests of a multipart request and how to encode them.
///
/// `SignLayer` signs each part with the same code and the same
/// [`CredentialScope`](crate::auth::CredentialScope) check as a request of
/// its own, then encodes the body, so every retry carries fresh dates,
/// signatures and tokens. The encoder is a function of the operation that
/// built the request, so the transport does not depend on `ops`.
#[derive(Clone)]
pub(crate) struct SubRequests {
    pub(crate) boundary: String,
    pub(crate) parts: Arc<[Request]>,
    pub(crate) encode: EncodeParts,
}

impl std::fmt::Debug for SubRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Parts are summed up: their headers may hold credentials once signed.
        f.debug_struct("SubRequests").field("parts", &self.parts.len()).finish_non_exhaustive()
    }
}
