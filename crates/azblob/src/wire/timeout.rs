//! Timeouts that fit slow links: an inactivity timer that every byte moved
//! pushes back, and an overall deadline.
//!
//! reqwest's own `read_timeout` starts when the request is created and is
//! cleared only when the response headers arrive, so the time spent sending
//! the request body counts against it: a large block on a slow uplink timed
//! out however steadily its bytes flowed. Here a request body is sent as a
//! stream of slices whose polling marks [`Activity`], and a response body
//! is read through [`TimedStream`], which resets on every chunk.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{BoxStream, Stream, StreamExt};
use tokio::time::{Instant, Sleep};

use super::{TransportError, TransportErrorKind};

/// Which timeout fired.
///
/// [`TransportError::timeout`] returns it; from an [`Error`](crate::Error),
/// downcast the underlying error:
/// `err.get_ref().and_then(|s| s.downcast_ref::<TransportError>()).and_then(TransportError::timeout)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// No TCP/TLS connection was established within the connect timeout.
    Connect,
    /// No byte moved in either direction for the inactivity timeout.
    Inactivity,
    /// The operation's overall deadline passed.
    Deadline,
}

/// The size of the slices a request body is sent in. Each slice handed to
/// the connection marks activity, so this bounds how coarse the timer is:
/// the connection takes a slice before its bytes leave, and 1 MiB at
/// 512 KiB/s already let the 5 s timeout of `tests/slow_links.rs` fire.
/// Smaller slices cost CPU on fast links although nothing is copied: uploads
/// from memory to the bench's sink took 0.47 CPU-s/GB with 64 KiB slices,
/// 0.41 with 256 KiB, 0.34 with 1 MiB and 0.30 unsliced (single runs).
const REQUEST_SLICE: usize = 256 * 1024;

/// When bytes last moved on one exchange, shared between the task that
/// writes the request body (hyper's connection task) and the one awaiting
/// the response.
#[derive(Debug)]
pub(crate) struct Activity {
    start: Instant,
    /// Milliseconds after `start` of the last byte moved.
    last_ms: AtomicU64,
}

impl Activity {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Activity { start: Instant::now(), last_ms: AtomicU64::new(0) })
    }

    /// Records that bytes moved now.
    pub(crate) fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.fetch_max(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }

    /// Completes once no byte has moved for `timeout` (never, if `timeout`
    /// reaches past the end of the clock). It sleeps once per `timeout`,
    /// not once per byte: on waking early it just sleeps the rest.
    pub(crate) async fn idle_for(&self, timeout: Duration) {
        loop {
            let Some(at) = self.last().checked_add(timeout) else {
                return std::future::pending().await;
            };
            if Instant::now() >= at {
                return;
            }
            tokio::time::sleep_until(at).await;
        }
    }
}

/// A request body sent as slices of `body`, each marking `activity` when
/// the connection takes it. The slices share `body`'s buffer, and the
/// caller keeps its `Bytes`, so a retry resends the same bytes.
pub(crate) fn marking_body(body: Bytes, activity: Arc<Activity>) -> reqwest::Body {
    let len = body.len();
    let slices = (0..len).step_by(REQUEST_SLICE).map(move |start| body.slice(start..len.min(start + REQUEST_SLICE)));
    let stream = futures_util::stream::iter(slices).map(move |slice| {
        activity.touch();
        Ok::<_, Infallible>(slice)
    });
    reqwest::Body::wrap_stream(stream)
}

/// The error of a timeout that fired; `after` is the configured duration.
pub(crate) fn timeout_error(kind: TimeoutKind, after: Duration) -> TransportError {
    let message = match kind {
        TimeoutKind::Connect => format!("connect timeout: no connection within {after:?}"),
        TimeoutKind::Inactivity => format!("inactivity timeout: no byte moved in either direction for {after:?}"),
        TimeoutKind::Deadline => format!("deadline: the operation did not finish within {after:?}"),
    };
    let transport_kind = match kind {
        // A connection never made carried no request: always safe to retry.
        TimeoutKind::Connect => TransportErrorKind::Connect,
        _ => TransportErrorKind::Timeout,
    };
    TransportError::new(transport_kind, message).with_timeout(kind)
}

/// What ends a [`TimedStream`].
#[derive(Debug)]
enum Rule {
    /// No chunk for `timeout` since `last`.
    Idle { timeout: Duration, last: Instant },
    /// The clock passes the deadline `at`, `after` the operation started.
    Deadline { at: Instant, after: Duration },
}

/// A response body that fails with a timeout error when its [`Rule`] says so.
pub(crate) struct TimedStream {
    inner: BoxStream<'static, Result<Bytes, TransportError>>,
    rule: Rule,
    /// Armed only while the inner stream is pending, and re-armed lazily:
    /// resetting a timer for every chunk would cost a timer-wheel update per
    /// chunk at gigabytes per second.
    sleep: Option<Pin<Box<Sleep>>>,
    done: bool,
}

impl TimedStream {
    /// Fails `inner` when it delivers no chunk for `timeout`.
    pub(crate) fn idle(inner: BoxStream<'static, Result<Bytes, TransportError>>, timeout: Duration) -> Self {
        TimedStream { inner, rule: Rule::Idle { timeout, last: Instant::now() }, sleep: None, done: false }
    }

    /// Fails `inner` if it has not ended by `at` (`after` the operation started).
    pub(crate) fn deadline(
        inner: BoxStream<'static, Result<Bytes, TransportError>>,
        at: Instant,
        after: Duration,
    ) -> Self {
        TimedStream { inner, rule: Rule::Deadline { at, after }, sleep: None, done: false }
    }

    /// When the rule fires if nothing else moves; `None` means never.
    fn fires_at(&self) -> Option<Instant> {
        match self.rule {
            Rule::Idle { timeout, last } => last.checked_add(timeout),
            Rule::Deadline { at, .. } => Some(at),
        }
    }

    fn error(&self) -> TransportError {
        match self.rule {
            Rule::Idle { timeout, .. } => timeout_error(TimeoutKind::Inactivity, timeout),
            Rule::Deadline { after, .. } => timeout_error(TimeoutKind::Deadline, after),
        }
    }
}

impl Stream for TimedStream {
    type Item = Result<Bytes, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match this.inner.poll_next_unpin(cx) {
            Poll::Ready(item) => {
                if let Rule::Idle { last, .. } = &mut this.rule {
                    *last = Instant::now();
                }
                this.done = item.is_none();
                return Poll::Ready(item);
            }
            Poll::Pending => {}
        }
        loop {
            let Some(at) = this.fires_at() else { return Poll::Pending };
            match &mut this.sleep {
                Some(sleep) if sleep.deadline() != at => sleep.as_mut().reset(at),
                Some(_) => {}
                None => this.sleep = Some(Box::pin(tokio::time::sleep_until(at))),
            }
            let sleep = this.sleep.as_mut().expect("armed above");
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            if Instant::now() >= at {
                this.done = true;
                return Poll::Ready(Some(Err(this.error())));
            }
        }
    }
}

impl std::fmt::Debug for TimedStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimedStream").field("rule", &self.rule).field("done", &self.done).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never() -> BoxStream<'static, Result<Bytes, TransportError>> {
        futures_util::stream::pending().boxed()
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_body_fails_after_the_inactivity_timeout() {
        let started = Instant::now();
        let mut stream = TimedStream::idle(never(), Duration::from_secs(5));
        let err = stream.next().await.unwrap().unwrap_err();
        assert_eq!(err.timeout(), Some(TimeoutKind::Inactivity));
        assert_eq!(err.kind(), TransportErrorKind::Timeout);
        assert!(err.to_string().contains("inactivity timeout"), "{err}");
        assert_eq!(started.elapsed(), Duration::from_secs(5));
        assert!(stream.next().await.is_none(), "the stream ends after its error");
    }

    #[tokio::test(start_paused = true)]
    async fn each_chunk_resets_the_inactivity_timer() {
        // Ten chunks 4 s apart: 40 s in all, never 5 s without a byte.
        let slow = futures_util::stream::unfold(0, |n| async move {
            if n == 10 {
                return None;
            }
            tokio::time::sleep(Duration::from_secs(4)).await;
            Some((Ok(Bytes::from_static(b"x")), n + 1))
        });
        let chunks: Vec<_> = TimedStream::idle(slow.boxed(), Duration::from_secs(5)).collect().await;
        assert_eq!(chunks.len(), 10);
        assert!(chunks.iter().all(Result::is_ok));
    }

    #[tokio::test(start_paused = true)]
    async fn a_deadline_fails_a_body_that_keeps_moving() {
        let steady = futures_util::stream::unfold((), |()| async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Some((Ok(Bytes::from_static(b"x")), ()))
        });
        let started = Instant::now();
        let after = Duration::from_millis(3500);
        let items: Vec<_> = TimedStream::deadline(steady.boxed(), started + after, after).collect().await;
        assert_eq!(items.len(), 4, "three chunks, then the deadline's error");
        assert_eq!(items[3].as_ref().unwrap_err().timeout(), Some(TimeoutKind::Deadline));
    }

    #[tokio::test(start_paused = true)]
    async fn activity_pushes_the_idle_time_back() {
        let activity = Activity::new();
        let started = Instant::now();
        let toucher = {
            let activity = Arc::clone(&activity);
            tokio::spawn(async move {
                for _ in 0..3 {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    activity.touch();
                }
            })
        };
        activity.idle_for(Duration::from_secs(3)).await;
        toucher.await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_secs(9), "last touch at 6 s, then 3 s idle");
    }

    #[test]
    fn an_endless_timeout_never_overflows() {
        let stream = TimedStream::idle(never(), Duration::MAX);
        assert!(stream.fires_at().is_none());
    }
}
