//! `RetryLayer` repeats failed attempts that are safe and worth repeating.
//!
//! It sits outside [`SignLayer`](super::SignLayer) so that every attempt is
//! signed afresh (a new `x-ms-date`, a token that may have been refreshed).
//! Decisions are made on types only: the transport error's kind, the HTTP
//! status, the service's retry hint and the request's `idempotent` flag,
//! which the operation that built the request sets.
//!
//! A repeat that follows an attempt the service may have acted on marks its
//! answer [`Response::repeated`], so the operation can tell "not found" from
//! "already done by the attempt whose answer was lost".

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use http::StatusCode;

use super::{HttpTransport, Request, Response, TransportError, TransportErrorKind};
use crate::headers;

/// How many times and how patiently failed requests are retried.
#[derive(Debug, Clone)]
pub struct RetryOptions {
    /// Retries after the first attempt (default 3).
    pub max_retries: u32,
    /// The delay before the first retry; each further retry doubles it (default 400 ms).
    pub initial_backoff: Duration,
    /// The longest computed delay between two attempts (default 30 s).
    pub max_backoff: Duration,
    /// The longest service-requested delay (`Retry-After`) the layer waits;
    /// a longer hint ends the retries and returns the response (default 60 s).
    pub max_retry_after: Duration,
}

impl Default for RetryOptions {
    fn default() -> Self {
        RetryOptions {
            max_retries: 3,
            initial_backoff: Duration::from_millis(400),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryOptions {
    /// Options that never retry.
    pub fn none() -> Self {
        RetryOptions { max_retries: 0, ..RetryOptions::default() }
    }
}

/// Waits between attempts; injectable so tests and replays need no real sleeps.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// The real clock: `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// The randomness behind jitter; injectable so tests get a fixed schedule.
pub trait RetryRng: Send + Sync + std::fmt::Debug {
    /// A number in `[0, 1)`.
    fn next_f64(&self) -> f64;
}

#[derive(Debug, Default)]
pub(crate) struct FastRng;

impl RetryRng for FastRng {
    fn next_f64(&self) -> f64 {
        fastrand::f64()
    }
}

/// Retries failed attempts of the inner transport; see the module docs.
#[derive(Debug)]
pub struct RetryLayer {
    inner: Arc<dyn HttpTransport>,
    options: RetryOptions,
    clock: Arc<dyn Clock>,
    rng: Arc<dyn RetryRng>,
}

impl RetryLayer {
    /// Wraps `inner` with the given options, clock and randomness.
    pub fn new(
        inner: Arc<dyn HttpTransport>,
        options: RetryOptions,
        clock: Arc<dyn Clock>,
        rng: Arc<dyn RetryRng>,
    ) -> Self {
        RetryLayer { inner, options, clock, rng }
    }
}

impl HttpTransport for RetryLayer {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        Box::pin(async move {
            let mut retries = 0;
            // Whether an earlier attempt may have reached the service.
            let mut sent_before = false;
            loop {
                let mut attempt = request.clone();
                attempt.resend_count = retries;
                let started = std::time::Instant::now();
                let result = self.inner.send(attempt).await.map(|mut response| {
                    response.repeated = sent_before;
                    response
                });
                if let Some(tally) = &request.tally {
                    tally.attempt(started.elapsed(), is_throttled(&result), is_congestion(&result));
                }
                let Some(hint) = retry_decision(&result, &request) else {
                    return result;
                };
                if retries >= self.options.max_retries {
                    return result;
                }
                let delay = match hint {
                    Some(hint) if hint > self.options.max_retry_after => return result,
                    Some(hint) => hint,
                    None => backoff(&self.options, retries, self.rng.next_f64()),
                };
                let reason = match &result {
                    Ok(response) => format!("HTTP {}", response.status.as_u16()),
                    Err(err) => err.to_string(),
                };
                tracing::warn!(
                    operation = request.operation,
                    retry = retries + 1,
                    delay_ms = delay.as_millis() as u64,
                    %reason,
                    "retrying request"
                );
                // A refused connection never carried the request; anything
                // else (a reset, a timeout, a 500) may follow a service that acted.
                sent_before |= !matches!(&result, Err(err) if err.is_connect());
                drop(result);
                if let Some(tally) = &request.tally {
                    tally.retry();
                }
                self.clock.sleep(delay).await;
                retries += 1;
            }
        })
    }
}

/// Whether an attempt's outcome says the service or the path is overloaded:
/// a 429 or 503 answer, or a timeout. Adaptive transfers back off on it.
pub(crate) fn is_congestion(result: &Result<Response, TransportError>) -> bool {
    match result {
        Ok(response) => matches!(response.status.as_u16(), 429 | 503),
        Err(err) => err.kind() == TransportErrorKind::Timeout,
    }
}

/// Whether the service answered that it is overloaded (429 or 503).
fn is_throttled(result: &Result<Response, TransportError>) -> bool {
    matches!(result, Ok(response) if matches!(response.status.as_u16(), 429 | 503))
}

/// Statuses that mean "try again later": timeout, throttling, transient server failures.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Whether to retry `request` after `result`, and if so the delay the service asked for.
///
/// `None`: do not retry. `Some(None)`: retry after the computed backoff.
/// `Some(Some(d))`: retry after the service's hint `d`.
/// A request that is not idempotent is retried only when it certainly never
/// left the client (a connection that could not be established), or, if
/// its operation says a repeat cannot act twice (`repeat_refused`), after a
/// 429 or 503: the service refused it before acting on it.
pub(crate) fn retry_decision(result: &Result<Response, TransportError>, request: &Request) -> Option<Option<Duration>> {
    let idempotent = request.idempotent;
    match result {
        Err(err) if err.is_connect() => Some(None),
        Err(err) => match err.kind() {
            TransportErrorKind::Timeout | TransportErrorKind::Io if idempotent => Some(None),
            _ => None,
        },
        Ok(response) if idempotent && is_retryable_status(response.status) => Some(retry_after(&response.headers)),
        Ok(response) if request.repeat_refused && is_throttled(result) => Some(retry_after(&response.headers)),
        Ok(_) => None,
    }
}

/// The service's requested delay: `x-ms-retry-after-ms`, else `Retry-After` in seconds.
pub(crate) fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) = text(headers::X_MS_RETRY_AFTER_MS).and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_millis(ms));
    }
    let value = text(headers::RETRY_AFTER)?;
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // An HTTP date: wait until then (a date in the past means "now").
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(std::time::SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// Exponential backoff with "equal jitter": half the delay is fixed, half random,
/// so concurrent clients spread out but never retry immediately.
pub(crate) fn backoff(options: &RetryOptions, retry: u32, random: f64) -> Duration {
    let exp = options.initial_backoff.saturating_mul(2u32.saturating_pow(retry.min(16)));
    let capped = exp.min(options.max_backoff);
    // Half fixed plus half scaled by a factor below 1: `mul_f64` of the whole
    // delay by a factor near 1 could round past `Duration::MAX` and panic
    // when the caller sets an enormous `max_backoff`.
    let half = capped / 2;
    let random = if random.is_nan() { 0.0 } else { random.clamp(0.0, 1.0) };
    half + half.mul_f64(random)
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use http::HeaderMap;

    use super::*;
    use crate::wire::tally::Tally;

    #[derive(Debug, Default)]
    struct FakeClock(Mutex<Vec<Duration>>);

    impl Clock for FakeClock {
        fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
            self.0.lock().unwrap().push(duration);
            Box::pin(async {})
        }
    }

    #[derive(Debug)]
    struct FixedRng(f64);

    impl RetryRng for FixedRng {
        fn next_f64(&self) -> f64 {
            self.0
        }
    }

    type Scripted = Result<(u16, Vec<(&'static str, &'static str)>), TransportErrorKind>;

    /// A transport that answers from a script and keeps each attempt's
    /// resend count.
    #[derive(Debug)]
    struct Script(Mutex<VecDeque<Scripted>>, Mutex<Vec<u32>>);

    impl Script {
        fn new(answers: Vec<Scripted>) -> Arc<Self> {
            Arc::new(Script(Mutex::new(answers.into()), Mutex::new(Vec::new())))
        }
        fn attempts(&self) -> u32 {
            self.1.lock().unwrap().len() as u32
        }
    }

    impl HttpTransport for Script {
        fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
            self.1.lock().unwrap().push(request.resend_count);
            let next = self.0.lock().unwrap().pop_front().expect("script exhausted");
            Box::pin(async move {
                match next {
                    Ok((status, hdrs)) => {
                        let mut headers = HeaderMap::new();
                        for (k, v) in hdrs {
                            headers.insert(k, v.parse().unwrap());
                        }
                        Ok(Response::new(StatusCode::from_u16(status).unwrap(), headers, ""))
                    }
                    Err(kind) => Err(TransportError::new(kind, "scripted failure")),
                }
            })
        }
    }

    fn layer(script: &Arc<Script>, clock: &Arc<FakeClock>) -> RetryLayer {
        RetryLayer::new(
            Arc::clone(script) as Arc<dyn HttpTransport>,
            RetryOptions::default(),
            Arc::clone(clock) as Arc<dyn Clock>,
            Arc::new(FixedRng(1.0)),
        )
    }

    fn request(idempotent: bool) -> Request {
        let mut r = Request::new("Test", http::Method::PUT, "http://127.0.0.1/a/c/b".parse().unwrap());
        r.idempotent = idempotent;
        r
    }

    async fn run(answers: Vec<Scripted>, idempotent: bool) -> (Result<u16, TransportErrorKind>, u32, Vec<Duration>) {
        let (result, attempts, sleeps) = run_full(answers, idempotent).await;
        (result.map(|r| r.status.as_u16()).map_err(|e| e.kind()), attempts, sleeps)
    }

    async fn run_full(
        answers: Vec<Scripted>,
        idempotent: bool,
    ) -> (Result<Response, TransportError>, u32, Vec<Duration>) {
        let script = Script::new(answers);
        let clock = Arc::new(FakeClock::default());
        let result = layer(&script, &clock).send(request(idempotent)).await;
        let sleeps = clock.0.lock().unwrap().clone();
        (result, script.attempts(), sleeps)
    }

    #[tokio::test]
    async fn every_attempt_is_tallied_and_throttles_and_timeouts_count_as_congestion() {
        let script = Script::new(vec![
            Ok((429, vec![])),
            Ok((500, vec![])),
            Err(TransportErrorKind::Timeout),
            Ok((200, vec![])),
        ]);
        let clock = Arc::new(FakeClock::default());
        let tally = Arc::new(Tally::default());
        let mut sent = request(true);
        sent.tally = Some(Arc::clone(&tally));
        let result = layer(&script, &clock).send(sent).await.unwrap();
        assert_eq!(result.status.as_u16(), 200);
        // The 500 is a failure, not a sign of load: two of the four count
        // as congestion, and only the 429 as a throttle.
        assert_eq!(tally.congestion(), 2);
        let (attempts, retries, throttled, _) = tally.totals();
        assert_eq!((attempts, retries, throttled), (4, 3, 1));
        let tally = Arc::new(Tally::default());
        let mut sent = request(true);
        sent.tally = Some(Arc::clone(&tally));
        let script = Script::new(vec![Ok((503, vec![])); 4]);
        assert_eq!(layer(&script, &clock).send(sent).await.unwrap().status.as_u16(), 503);
        assert_eq!(tally.congestion(), 4, "the last 503, not retried, counts too");
        let (attempts, retries, throttled, _) = tally.totals();
        assert_eq!((attempts, retries, throttled), (4, 3, 4));
    }

    #[tokio::test]
    async fn each_attempt_carries_its_resend_count() {
        let script = Script::new(vec![Ok((503, vec![])); 4]);
        let clock = Arc::new(FakeClock::default());
        layer(&script, &clock).send(request(true)).await.unwrap();
        assert_eq!(*script.1.lock().unwrap(), vec![0, 1, 2, 3]);
    }

    #[tokio::test]
    async fn answers_after_an_attempt_that_may_have_acted_are_marked_repeated() {
        let repeated = |answers| async move { run_full(answers, true).await.0.unwrap().repeated };
        assert!(!repeated(vec![Ok((404, vec![]))]).await, "a first answer is not a repeat");
        assert!(repeated(vec![Err(TransportErrorKind::Io), Ok((404, vec![]))]).await, "the answer was lost");
        assert!(repeated(vec![Err(TransportErrorKind::Timeout), Ok((404, vec![]))]).await);
        assert!(repeated(vec![Ok((500, vec![])), Ok((404, vec![]))]).await, "a 500 may follow an act");
        assert!(
            !repeated(vec![Err(TransportErrorKind::Connect), Ok((404, vec![]))]).await,
            "a refused connection never carried the request"
        );
    }

    #[test]
    fn requests_are_not_idempotent_unless_marked() {
        let r = Request::new("Test", http::Method::GET, "http://127.0.0.1/a".parse().unwrap());
        assert!(!r.idempotent);
        assert!(r.idempotent().idempotent);
    }

    #[tokio::test]
    async fn retries_each_transient_status_then_succeeds() {
        for status in [408, 429, 500, 502, 503, 504] {
            let (result, attempts, _) = run(vec![Ok((status, vec![])), Ok((200, vec![]))], true).await;
            assert_eq!(result, Ok(200), "status {status}");
            assert_eq!(attempts, 2, "status {status}");
        }
    }

    #[tokio::test]
    async fn does_not_retry_client_errors() {
        for status in [400, 401, 403, 404, 409, 412, 416] {
            let (result, attempts, _) = run(vec![Ok((status, vec![]))], true).await;
            assert_eq!(result, Ok(status));
            assert_eq!(attempts, 1);
        }
    }

    #[tokio::test]
    async fn gives_up_after_max_retries_with_exponential_delays() {
        let answers = vec![Ok((503, vec![])); 4];
        let (result, attempts, sleeps) = run(answers, true).await;
        assert_eq!(result, Ok(503));
        assert_eq!(attempts, 4, "one attempt and three retries");
        let ms: Vec<u128> = sleeps.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, vec![400, 800, 1600]);
    }

    #[tokio::test]
    async fn honours_retry_after_headers() {
        let answers = vec![Ok((429, vec![("retry-after", "7")])), Ok((200, vec![]))];
        let (_, _, sleeps) = run(answers, true).await;
        assert_eq!(sleeps, vec![Duration::from_secs(7)]);

        let answers = vec![Ok((503, vec![("x-ms-retry-after-ms", "250"), ("retry-after", "9")])), Ok((200, vec![]))];
        let (_, _, sleeps) = run(answers, true).await;
        assert_eq!(sleeps, vec![Duration::from_millis(250)]);
    }

    #[tokio::test]
    async fn a_retry_after_beyond_the_limit_returns_the_response() {
        let (result, attempts, sleeps) = run(vec![Ok((503, vec![("retry-after", "3600")]))], true).await;
        assert_eq!(result, Ok(503));
        assert_eq!(attempts, 1);
        assert!(sleeps.is_empty());
    }

    #[tokio::test]
    async fn non_idempotent_requests_are_not_retried_after_sending() {
        let (result, attempts, _) = run(vec![Ok((503, vec![]))], false).await;
        assert_eq!((result, attempts), (Ok(503), 1));
        let (result, attempts, _) = run(vec![Err(TransportErrorKind::Io)], false).await;
        assert_eq!((result, attempts), (Err(TransportErrorKind::Io), 1));
        let (result, attempts, _) = run(vec![Err(TransportErrorKind::Timeout)], false).await;
        assert_eq!((result, attempts), (Err(TransportErrorKind::Timeout), 1));
    }

    #[tokio::test]
    async fn a_conditional_write_is_repeated_after_a_refusal_only() {
        let send = |answers: Vec<Scripted>| async move {
            let script = Script::new(answers);
            let clock = Arc::new(FakeClock::default());
            let mut request = request(false);
            request.repeat_refused = true;
            let result = layer(&script, &clock).send(request).await;
            (result.map(|r| r.status.as_u16()).map_err(|e| e.kind()), script.attempts())
        };
        // 429 and 503: the service refused it, so a repeat cannot write twice.
        assert_eq!(send(vec![Ok((503, vec![])), Ok((429, vec![])), Ok((201, vec![]))]).await, (Ok(201), 3));
        // The service may have acted: not repeated.
        assert_eq!(send(vec![Ok((500, vec![])), Ok((201, vec![]))]).await, (Ok(500), 1));
        assert_eq!(send(vec![Err(TransportErrorKind::Io), Ok((201, vec![]))]).await, (Err(TransportErrorKind::Io), 1));
        let timeout = send(vec![Err(TransportErrorKind::Timeout), Ok((201, vec![]))]).await;
        assert_eq!(timeout, (Err(TransportErrorKind::Timeout), 1));
    }

    #[tokio::test]
    async fn connect_errors_are_retried_even_when_not_idempotent() {
        let (result, attempts, _) = run(vec![Err(TransportErrorKind::Connect), Ok((201, vec![]))], false).await;
        assert_eq!((result, attempts), (Ok(201), 2));
    }

    #[tokio::test]
    async fn broken_connections_are_retried_for_idempotent_requests() {
        let (result, attempts, _) = run(vec![Err(TransportErrorKind::Io), Ok((200, vec![]))], true).await;
        assert_eq!((result, attempts), (Ok(200), 2));
    }

    #[test]
    fn jitter_keeps_at_least_half_the_delay_and_respects_the_cap() {
        let o = RetryOptions::default();
        assert_eq!(backoff(&o, 0, 0.0), Duration::from_millis(200));
        assert_eq!(backoff(&o, 0, 1.0), Duration::from_millis(400));
        assert_eq!(backoff(&o, 20, 1.0), o.max_backoff);
        // Enormous delays and a broken random source stay within Duration.
        let huge =
            RetryOptions { initial_backoff: Duration::MAX, max_backoff: Duration::MAX, ..RetryOptions::default() };
        for random in [0.0, 0.999_999, 1.0, 2.0, f64::NAN] {
            assert!(backoff(&huge, 3, random) >= Duration::MAX / 2, "{random}");
        }
    }
}
