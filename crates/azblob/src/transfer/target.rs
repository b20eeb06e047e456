//! `BlobTarget`: what a transfer needs of the blob it works on, handed down
//! by the client so that `transfer` never imports `client`.

use std::fmt;
use std::sync::Arc;

use url::Url;

use super::pacer::Pacer;
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
    /// The rate cap of the job this transfer belongs to, which every
    /// request body and Get body sent through this target pays into.
    pacer: Option<Arc<Pacer>>,
}

impl BlobTarget {
    pub(crate) fn new(pipeline: Pipeline, url: Url, session_ids: Arc<dyn Fn() -> String + Send + Sync>) -> Self {
        BlobTarget { pipeline, url, session_ids, tally: None, pacer: None }
    }

    /// The same target, its requests counted in `tally`.
    pub(crate) fn counting(&self, tally: Arc<Tally>) -> Self {
        BlobTarget { tally: Some(tally), ..self.clone() }
    }

    /// Fresh counters for one transfer through this target, whose attempts
    /// also count in the target's own counters when it has some (a
    /// many-file job's, whose limiter must see its files' throttling).
    pub(crate) fn own_tally(&self) -> Arc<Tally> {
        Arc::new(Tally::under(self.tally.clone()))
    }

    /// The same target, its bytes paced by `pacer`.
    pub(crate) fn paced(&self, pacer: Option<Arc<Pacer>>) -> Self {
        BlobTarget { pacer, ..self.clone() }
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
        let Some(pacer) = &self.pacer else { return self.pipeline.execute(request).await };
        let is_get = request.method == http::Method::GET;
        pacer.pay(request.body.len() as u64).await;
        let response = self.pipeline.execute(request).await?;
        if is_get {
            // Paid before the body is read: a paced job reads it no faster.
            pacer.pay(content_length(&response)).await;
        }
        Ok(response)
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
        if let Some(pacer) = &self.pacer {
            pacer.pay(request.body.len() as u64).await;
        }
        self.pipeline.execute_read(request, operation, max).await
    }
}

/// An answer's `Content-Length`, 0 when absent or unreadable.
fn content_length(response: &Response) -> u64 {
    response
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

impl fmt::Debug for BlobTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL carries no credential: signing adds them later.
        f.debug_struct("BlobTarget").field("url", &crate::redact::redact_url(&self.url)).finish_non_exhaustive()
    }
}
