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
        // A ranged Get's range is paid before it is sent, so its answer is
        // read as it arrives rather than left waiting for the pacer.
        let asked = if is_get { range_length(&request) } else { None };
        pacer.pay((request.body.len() as u64).saturating_add(asked.unwrap_or(0))).await;
        let response = match self.pipeline.execute(request).await {
            Ok(response) => response,
            Err(e) => {
                // A Get that failed sent no body.
                pacer.refund(asked.unwrap_or(0));
                return Err(e);
            }
        };
        if is_get {
            let got = content_length(&response);
            match asked {
                // The blob may end before the range: the rest is given back.
                Some(asked) => pacer.refund(asked.saturating_sub(got)),
                // An open range's length is known only from its head; paid
                // before the body is read, so it is read no faster.
                None => pacer.pay(got).await,
            }
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

/// The length of the range a Get asks for in `x-ms-range` (the header
/// `ops::get_blob` sets), `None` when it asks no range or an open one.
fn range_length(request: &Request) -> Option<u64> {
    let value = request.headers.get(crate::headers::X_MS_RANGE)?.to_str().ok()?;
    let (start, end) = value.strip_prefix("bytes=")?.split_once('-')?;
    let (start, end): (u64, u64) = (start.parse().ok()?, end.parse().ok()?);
    end.checked_sub(start)?.checked_add(1)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn get_with_range(range: Option<&str>) -> Request {
        let mut request =
            Request::new("GetBlob", http::Method::GET, Url::parse("https://a.blob.core.windows.net/c/b").unwrap());
        if let Some(range) = range {
            request.headers.insert(crate::headers::X_MS_RANGE, range.parse().unwrap());
        }
        request
    }

    #[test]
    fn a_gets_range_length_is_read_from_its_header() {
        assert_eq!(range_length(&get_with_range(Some("bytes=10-14"))), Some(5));
        assert_eq!(range_length(&get_with_range(Some("bytes=0-8388607"))), Some(8 * 1024 * 1024));
        assert_eq!(range_length(&get_with_range(Some("bytes=0-18446744073709551615"))), None, "overflows");
        assert_eq!(range_length(&get_with_range(Some("bytes=10-"))), None, "open: paid from the head");
        assert_eq!(range_length(&get_with_range(Some("bytes=14-10"))), None);
        assert_eq!(range_length(&get_with_range(None)), None);
    }
}
