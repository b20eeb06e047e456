//! A transport layer for tests: sees every request on its way to the wire
//! and can count, fail, or tamper with it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
    /// Never answer, as a server that stalls: the request stays in flight
    /// until its future is dropped.
    Stall,
}

type HookFn = dyn Fn(&Request, usize) -> Action + Send + Sync;

/// Counts requests per operation and asks a closure what to do with each;
/// the closure gets the request and how many of its operation came before.
pub struct Hook {
    inner: ReqwestTransport,
    counts: Mutex<HashMap<&'static str, usize>>,
    decide: Box<HookFn>,
    /// Requests whose exchange is not over: from `send` until the response
    /// body is dropped (or the send future is, or it fails).
    in_flight: Arc<tokio::sync::watch::Sender<usize>>,
    /// Requests seen so far, of every operation.
    started: tokio::sync::watch::Sender<usize>,
}

/// Counts one request in flight for as long as it lives.
struct InFlight(Arc<tokio::sync::watch::Sender<usize>>);

impl InFlight {
    fn new(counter: &Arc<tokio::sync::watch::Sender<usize>>) -> Self {
        counter.send_modify(|n| *n += 1);
        InFlight(Arc::clone(counter))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hook").finish_non_exhaustive()
    }
}

impl Hook {
    pub fn new(decide: impl Fn(&Request, usize) -> Action + Send + Sync + 'static) -> Arc<Hook> {
        Arc::new(Hook {
            inner: ReqwestTransport::from_env().unwrap(),
            counts: Mutex::new(HashMap::new()),
            decide: Box::new(decide),
            in_flight: Arc::new(tokio::sync::watch::Sender::new(0)),
            started: tokio::sync::watch::Sender::new(0),
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

    /// How many requests were seen, of every operation.
    pub fn total(&self) -> usize {
        *self.started.borrow()
    }

    /// Whether another request starts within `within` (an assertion bound,
    /// not a pause: it returns at once when one does).
    pub async fn another_starts_within(&self, within: Duration) -> bool {
        let mut watch = self.started.subscribe();
        let now = *watch.borrow_and_update();
        let started = tokio::time::timeout(within, watch.wait_for(|&n| n > now)).await.is_ok();
        started
    }

    /// How many requests are in flight now.
    pub fn in_flight(&self) -> usize {
        *self.in_flight.borrow()
    }

    /// Waits until `ready` holds for the number of requests in flight, or
    /// `within` passes; `false` if it passed.
    pub async fn wait_in_flight(&self, within: Duration, ready: impl FnMut(&usize) -> bool) -> bool {
        let mut watch = self.in_flight.subscribe();
        let reached = tokio::time::timeout(within, watch.wait_for(ready)).await.is_ok();
        reached
    }
}

/// Keeps `guard` alive as long as the response body is.
fn hold_until_body_dropped(response: Response, guard: InFlight) -> Response {
    use futures_util::StreamExt as _;
    let stream = response.body.into_stream().map(move |chunk| {
        let _alive = &guard;
        chunk
    });
    Response::from_body(response.status, response.headers, Body::from_stream(Box::pin(stream)))
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
        let guard = InFlight::new(&self.in_flight);
        self.started.send_modify(|n| *n += 1);
        Box::pin(async move {
            let response = self.act(action, request).await?;
            Ok(hold_until_body_dropped(response, guard))
        })
    }
}

impl Hook {
    async fn act(&self, action: Action, request: Request) -> Result<Response, TransportError> {
        {
            match action {
                Action::Stall => std::future::pending().await,
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
                    Ok(Response::from_body(response.status, response.headers, Body::from_stream(Box::pin(stream))))
                }
            }
        }
    }
}
