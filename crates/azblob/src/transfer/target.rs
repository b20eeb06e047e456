//! `BlobTarget`: what a transfer needs of the blob it works on, handed down
//! by the client so that `transfer` never imports `client`.

use std::fmt;
use std::sync::Arc;

use url::Url;

use crate::error::Result;
use crate::transport::{Pipeline, Request, Response};
use crate::wire::tally::Tally;

/// The pipeline, the blob's URL, and where new upload session ids come from.
#[derive(Clone)]
pub(crate) struct BlobTarget {
    pipeline: Pipeline,
    url: Url,
    /// Session ids come from the client's randomness, which a simulation
    /// seeds, so replays send the same block ids. Asked only when a block
    /// upload starts, so a single Put Blob draws nothing.
    session_ids: Arc<dyn Fn() -> String + Send + Sync>,
    /// The counters of the transfer, attached to every request sent
    /// through this target (`Request::tally`).
    tally: Option<Arc<Tally>>,
}

impl BlobTarget {
    pub(crate) fn new(pipeline: Pipeline, url: Url, session_ids: Arc<dyn Fn() -> String + Send + Sync>) -> Self {
        BlobTarget { pipeline, url, session_ids, tally: None }
    }

    /// The same target, its requests counted in `tally`.
    pub(crate) fn counting(&self, tally: Arc<Tally>) -> Self {
        BlobTarget { tally: Some(tally), ..self.clone() }
    }

    /// The counters this target's requests are counted in, or fresh ones
    /// for a target that counts nothing yet.
    pub(crate) fn tally(&self) -> Arc<Tally> {
        self.tally.clone().unwrap_or_default()
    }

    /// The blob's URL, without credentials.
    pub(crate) fn url(&self) -> &Url {
        &self.url
    }

    /// A fresh upload session id.
    pub(crate) fn new_session_id(&self) -> String {
        (self.session_ids)()
    }

    /// How many times a streamed body that broke off may be resumed.
    pub(crate) fn body_resumes(&self) -> u32 {
        self.pipeline.body_resumes()
    }

    /// Sends `request`; a non-2xx answer is an error.
    pub(crate) async fn execute(&self, mut request: Request) -> Result<Response> {
        request.tally = self.tally.clone();
        self.pipeline.execute(request).await
    }

    /// Sends `request` and reads its whole small answer, up to `max` bytes,
    /// sending it again if that answer broke off ([`Pipeline::execute_read`]).
    pub(crate) async fn execute_read(
        &self,
        request: Request,
        operation: &'static str,
        max: usize,
    ) -> Result<(Response, bytes::Bytes)> {
        let mut request = request;
        request.tally = self.tally.clone();
        self.pipeline.execute_read(request, operation, max).await
    }
}

impl fmt::Debug for BlobTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL carries no credential: signing adds them later.
        f.debug_struct("BlobTarget").field("url", &crate::redact::redact_url(&self.url)).finish_non_exhaustive()
    }
}
