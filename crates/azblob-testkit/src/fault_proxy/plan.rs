//! What the fault proxy does to one request: the [`HttpFault`]s, the
//! [`FaultPlan`] that picks them, and [`SeededPlan`], a ready-made plan that
//! injects about one fault every N bytes (or K requests), reproducibly from
//! a seed.

use std::sync::{Arc, Mutex};

/// What the proxy does with one request and its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpFault {
    /// Forwards the request and its answer untouched.
    Pass,
    /// Reads the head and `after` bytes of the request's body (fewer if the
    /// body is shorter), then resets the client connection (RST, not FIN).
    /// Nothing reaches the server.
    ResetRequestBody {
        /// How many body bytes the proxy takes before the reset.
        after: u64,
    },
    /// Forwards the request, sends the client the answer's head and `after`
    /// bytes of its body (fewer if it is shorter), then resets the connection.
    ResetResponseBody {
        /// How many body bytes reach the client.
        after: u64,
    },
    /// Answers with this status (500, 503 or 429 are what the service sends)
    /// and a retry hint, with an Azure-style XML error body; the request is
    /// not forwarded.
    Status {
        /// The HTTP status.
        status: u16,
        /// The retry hint sent with it.
        hint: RetryHint,
    },
    /// Reads the request and never answers.
    Stall,
    /// Like [`HttpFault::ResetResponseBody`], but closes cleanly (FIN) before
    /// `Content-Length` is reached: a truncated answer.
    Truncate {
        /// How many body bytes reach the client.
        after: u64,
    },
    /// Forwards the exchange, then closes the client connection as an idle
    /// keep-alive connection is closed by a server.
    CloseIdle,
    /// Forwards the whole request, reads the server's whole answer, and
    /// resets the client instead of answering: the server acted, the client
    /// never heard.
    LoseResponse,
}

/// The retry hint of a [`HttpFault::Status`] answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryHint {
    /// No hint.
    None,
    /// `Retry-After: N` (seconds).
    Seconds(u64),
    /// `Retry-After:` an HTTP date this many seconds after the answer.
    Date(u64),
    /// `x-ms-retry-after-ms: N`.
    Millis(u64),
}

/// What a plan knows of a request when it picks its fault.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// The request's index among all the proxy has seen (from 0).
    pub index: usize,
    /// The index of its connection (from 0), and its index on that connection.
    pub connection: (usize, usize),
    /// The method (`GET`, `PUT`, ...).
    pub method: String,
    /// The request target: path and query as sent.
    pub target: String,
    /// The request's body length, when it declares one.
    pub body_len: Option<u64>,
    /// Bytes the proxy carried (both directions) before this request.
    pub bytes_before: u64,
}

impl RequestInfo {
    /// Whether the query has `name=value` (e.g. `comp`, `blocklist`).
    pub fn has_query(&self, name: &str, value: &str) -> bool {
        let query = self.target.split_once('?').map_or("", |(_, q)| q);
        query.split('&').any(|kv| kv.split_once('=') == Some((name, value)))
    }
}

/// Picks the fault for each request.
pub trait FaultPlan: Send + Sync {
    /// The fault for `request`.
    fn fault(&self, request: &RequestInfo) -> HttpFault;
}

impl<F: Fn(&RequestInfo) -> HttpFault + Send + Sync> FaultPlan for F {
    fn fault(&self, request: &RequestInfo) -> HttpFault {
        self(request)
    }
}

/// The kinds a [`SeededPlan`] chooses from (its parameters come from the seed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// [`HttpFault::ResetRequestBody`].
    ResetRequestBody,
    /// [`HttpFault::ResetResponseBody`].
    ResetResponseBody,
    /// [`HttpFault::Status`] 500 with `Retry-After` in seconds.
    Status500,
    /// [`HttpFault::Status`] 503 with `Retry-After` as an HTTP date.
    Status503,
    /// [`HttpFault::Status`] 429 with `x-ms-retry-after-ms`.
    Status429,
    /// [`HttpFault::Stall`].
    Stall,
    /// [`HttpFault::Truncate`].
    Truncate,
    /// [`HttpFault::CloseIdle`].
    CloseIdle,
    /// [`HttpFault::LoseResponse`].
    LoseResponse,
}

impl FaultKind {
    /// Every kind.
    pub const ALL: [FaultKind; 9] = [
        FaultKind::ResetRequestBody,
        FaultKind::ResetResponseBody,
        FaultKind::Status500,
        FaultKind::Status503,
        FaultKind::Status429,
        FaultKind::Stall,
        FaultKind::Truncate,
        FaultKind::CloseIdle,
        FaultKind::LoseResponse,
    ];
}

/// How often a [`SeededPlan`] injects a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    /// About once per this many bytes carried (between half and one and a half times it).
    Bytes(u64),
    /// About once per this many requests (between half and one and a half times it).
    Requests(u64),
}

type Filter = dyn Fn(&RequestInfo) -> bool + Send + Sync;

/// A plan that injects a fault of a kind drawn from `kinds` about once per
/// [`Every`], only on requests that pass its filter, reproducibly from its
/// seed: the same requests in the same order get the same faults. (Requests
/// in flight concurrently may arrive in another order on another run.)
pub struct SeededPlan {
    every: Every,
    kinds: Vec<FaultKind>,
    filter: Option<Arc<Filter>>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    rng: SplitMix64,
    /// The byte count or request index at or after which the next fault falls.
    next_at: u64,
}

impl std::fmt::Debug for SeededPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeededPlan").field("every", &self.every).field("kinds", &self.kinds).finish_non_exhaustive()
    }
}

impl SeededPlan {
    /// A plan from `seed` that injects one of `kinds` about once per `every`.
    pub fn new(seed: u64, every: Every, kinds: &[FaultKind]) -> SeededPlan {
        let mut rng = SplitMix64(seed);
        let next_at = spacing(&mut rng, every);
        SeededPlan { every, kinds: kinds.to_vec(), filter: None, state: Mutex::new(State { rng, next_at }) }
    }

    /// Injects faults only into requests for which `filter` holds.
    pub fn only(mut self, filter: impl Fn(&RequestInfo) -> bool + Send + Sync + 'static) -> SeededPlan {
        self.filter = Some(Arc::new(filter));
        self
    }
}

impl FaultPlan for SeededPlan {
    fn fault(&self, request: &RequestInfo) -> HttpFault {
        if self.kinds.is_empty() || self.filter.as_ref().is_some_and(|f| !f(request)) {
            return HttpFault::Pass;
        }
        let position = match self.every {
            Every::Bytes(_) => request.bytes_before,
            Every::Requests(_) => request.index as u64,
        };
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if position < state.next_at {
            return HttpFault::Pass;
        }
        let gap = spacing(&mut state.rng, self.every);
        state.next_at = position.saturating_add(gap);
        let kind = self.kinds[(state.rng.next() % self.kinds.len() as u64) as usize];
        materialize(kind, &mut state.rng, self.every)
    }
}

/// A plan that gives the first `n` requests passing `filter` a fault from
/// `faults` (the `k`-th gets `faults[(seed + k) % len]`), and passes the rest:
/// for scenarios that need a fault exactly where it matters, such as the
/// first Put Block List or the first batch answer.
pub fn first_n(
    n: usize,
    seed: u64,
    faults: Vec<HttpFault>,
    filter: impl Fn(&RequestInfo) -> bool + Send + Sync + 'static,
) -> impl FaultPlan {
    let seen = std::sync::atomic::AtomicUsize::new(0);
    move |r: &RequestInfo| {
        if faults.is_empty() || !filter(r) {
            return HttpFault::Pass;
        }
        let k = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if k >= n {
            return HttpFault::Pass;
        }
        faults[(seed as usize).wrapping_add(k) % faults.len()]
    }
}

/// The distance to the next fault: between half and one and a half `every`.
fn spacing(rng: &mut SplitMix64, every: Every) -> u64 {
    let n = match every {
        Every::Bytes(n) | Every::Requests(n) => n.max(1),
    };
    n / 2 + rng.next() % n
}

/// A fault of `kind` with parameters from `rng`: offsets within the first
/// MiB of a body (the proxy cuts shorter bodies at their last byte), hints
/// of a second or less so retries stay quick.
fn materialize(kind: FaultKind, rng: &mut SplitMix64, every: Every) -> HttpFault {
    let window = match every {
        Every::Bytes(n) => n.clamp(1, 1 << 20),
        Every::Requests(_) => 1 << 20,
    };
    let after = rng.next() % window;
    match kind {
        FaultKind::ResetRequestBody => HttpFault::ResetRequestBody { after },
        FaultKind::ResetResponseBody => HttpFault::ResetResponseBody { after },
        FaultKind::Status500 => HttpFault::Status { status: 500, hint: RetryHint::Seconds(rng.next() % 2) },
        FaultKind::Status503 => HttpFault::Status { status: 503, hint: RetryHint::Date(rng.next() % 2) },
        FaultKind::Status429 => HttpFault::Status { status: 429, hint: RetryHint::Millis(rng.next() % 300) },
        FaultKind::Stall => HttpFault::Stall,
        FaultKind::Truncate => HttpFault::Truncate { after },
        FaultKind::CloseIdle => HttpFault::CloseIdle,
        FaultKind::LoseResponse => HttpFault::LoseResponse,
    }
}

/// splitmix64: a tiny, well-mixed generator; ample for a test schedule.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(index: usize, bytes_before: u64, target: &str) -> RequestInfo {
        RequestInfo {
            index,
            connection: (0, index),
            method: "PUT".into(),
            target: target.into(),
            body_len: Some(1 << 20),
            bytes_before,
        }
    }

    /// The faults a plan picks over 200 requests of 1 MiB each.
    fn schedule(plan: &SeededPlan) -> Vec<(usize, HttpFault)> {
        (0..200)
            .map(|i| (i, plan.fault(&request(i, i as u64 * (1 << 20), "/a/c/b?comp=block"))))
            .filter(|(_, f)| *f != HttpFault::Pass)
            .collect()
    }

    #[test]
    fn splitmix64_matches_its_reference_values() {
        // The first outputs for seed 1234567 of the reference C implementation.
        let mut rng = SplitMix64(1234567);
        assert_eq!(rng.next(), 6457827717110365317);
        assert_eq!(rng.next(), 3203168211198807973);
    }

    #[test]
    fn the_same_seed_gives_the_same_schedule_and_another_seed_another() {
        let plan = || SeededPlan::new(7, Every::Bytes(8 << 20), &FaultKind::ALL);
        let first = schedule(&plan());
        assert_eq!(first, schedule(&plan()));
        assert_ne!(first, schedule(&SeededPlan::new(8, Every::Bytes(8 << 20), &FaultKind::ALL)));
    }

    #[test]
    fn faults_come_about_once_per_every_bytes() {
        // 200 MiB at one fault per ~8 MiB: gaps of 4 to 12 MiB, so 16 to 50 faults.
        let faults = schedule(&SeededPlan::new(3, Every::Bytes(8 << 20), &FaultKind::ALL));
        assert!((16..=50).contains(&faults.len()), "{}", faults.len());
        for pair in faults.windows(2) {
            assert!(pair[1].0 - pair[0].0 >= 4, "{faults:?}");
        }
    }

    #[test]
    fn a_filter_limits_faults_to_matching_requests() {
        let plan = SeededPlan::new(1, Every::Requests(1), &[FaultKind::LoseResponse])
            .only(|r| r.has_query("comp", "blocklist"));
        assert_eq!(plan.fault(&request(5, 0, "/a/c/b?comp=block&blockid=x")), HttpFault::Pass);
        assert_eq!(plan.fault(&request(6, 0, "/a/c/b?comp=blocklist")), HttpFault::LoseResponse);
    }

    #[test]
    fn first_n_faults_the_first_matching_requests_only() {
        let faults = vec![HttpFault::Stall, HttpFault::LoseResponse];
        let plan = first_n(2, 1, faults, |r| r.has_query("comp", "list"));
        let list = request(0, 0, "/a/c?restype=container&comp=list");
        assert_eq!(plan.fault(&request(0, 0, "/a/c/b")), HttpFault::Pass);
        assert_eq!(plan.fault(&list), HttpFault::LoseResponse);
        assert_eq!(plan.fault(&list), HttpFault::Stall);
        assert_eq!(plan.fault(&list), HttpFault::Pass);
    }

    #[test]
    fn kinds_come_only_from_the_set_given() {
        let plan = SeededPlan::new(9, Every::Requests(2), &[FaultKind::Status429, FaultKind::Truncate]);
        let faults = schedule(&plan);
        assert!(faults.len() > 50, "{}", faults.len());
        assert!(faults.iter().all(|(_, f)| matches!(
            f,
            HttpFault::Status { status: 429, hint: RetryHint::Millis(_) } | HttpFault::Truncate { .. }
        )));
    }
}
