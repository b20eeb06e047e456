//! A transport layer for tests: sees every request on its way to the wire
//! and can count, fail, or tamper with it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use azblob::transport::{Body, HttpTransport, Request, ReqwestTransport, Response, TransportError};
use futures_util::future::BoxFuture;

/// What the hook does with one request.
pub enum Action {
    /// Send it on.
    Forward,
    /// Answer with this status and no body, without sending it.
    Respond(u16),
    /// Send it, then cut the response body off after this many bytes.
    TruncateBody(usize),
    /// Run this first (e.g. overwrite the blob), then send the request.
    Before(BoxFuture<'static, ()>),
    /// Send it and let the service act, then lose the answer (a broken
    /// connection), as when a response never makes it back.
    LoseAnswer,
}

type HookFn = dyn Fn(&Request, usize) -> Action + Send + Sync;

/// Counts requests per operation and asks a closure what to do with each;
/// the closure gets the request and how many of its operation came before.
pub struct Hook {
    inner: ReqwestTransport,
    counts: Mutex<HashMap<&'static str, usize>>,
    decide: Box<HookFn>,
}

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hook").finish_non_exhaustive()
    }
}

impl Hook {
    pub fn new(decide: impl Fn(&Request, usize) -> Action + Send + Sync + 'static) -> Arc<Hook> {
        Arc::new(Hook {
            inner: ReqwestTransport::with_defaults().unwrap(),
            counts: Mutex::new(HashMap::new()),
            decide: Box::new(decide),
        })
    }

    /// A hook that only counts.
    pub fn counting() -> Arc<Hook> {
        Hook::new(|_, _| Action::Forward)
    }

    /// How many requests of `operation` were seen.
    pub fn count(&self, operation: &str) -> usize {
        self.counts.lock().unwrap().get(operation).copied().unwrap_or(0)
    }
}

impl HttpTransport for Hook {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        let seen = {
            let mut counts = self.counts.lock().unwrap();
            let n = counts.entry(request.operation).or_insert(0);
            *n += 1;
            *n - 1
        };
        let action = (self.decide)(&request, seen);
        Box::pin(async move {
            match action {
                Action::Forward => self.inner.send(request).await,
                Action::Respond(status) => Ok(Response::new(
                    azblob::transport::StatusCode::from_u16(status).unwrap(),
                    azblob::transport::HeaderMap::new(),
                    "",
                )),
                Action::LoseAnswer => {
                    let response = self.inner.send(request).await?;
                    // Read the answer to the end so the service has finished acting.
                    let _ = response.body.bytes().await;
                    Err(TransportError::new(azblob::transport::TransportErrorKind::Io, "answer lost by the test"))
                }
                Action::Before(first) => {
                    first.await;
                    self.inner.send(request).await
                }
                Action::TruncateBody(keep) => {
                    let response = self.inner.send(request).await?;
                    let bytes = response.body.bytes().await?;
                    let kept = bytes.slice(..keep.min(bytes.len()));
                    let stream = futures_util::stream::iter(vec![
                        Ok(kept),
                        Err(TransportError::new(azblob::transport::TransportErrorKind::Io, "cut off by the test")),
                    ]);
                    Ok(Response::with_body(response.status, response.headers, Body::from_stream(Box::pin(stream))))
                }
            }
        })
    }
}
