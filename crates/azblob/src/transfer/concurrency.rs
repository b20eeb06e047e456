//! Adaptive concurrency: a controller that finds how many requests to keep
//! in flight from the throughput they bring, and the limiter that applies it.
//!
//! The engines keep their `buffer_unordered`/`buffered` combinator, bounded
//! by the cap (what the memory budget allows), and each request takes a
//! [`Permit`] from a [`Limiter`] before it loads or sends its data (a
//! stream's blocks are read as the combinator pulls them, so a stream
//! upload holds up to the cap's blocks, within the budget). The
//! limiter lets `limit` permits out at once; the [`Controller`] moves
//! `limit`. A fixed concurrency is a limiter whose limit never moves, so the
//! engines have one path.
//!
//! How the controller moves the limit:
//!
//! - **Start** at 8 ([`ADAPTIVE_START`], the former fixed default), or the
//!   cap if lower: on a fast, near link 8 is already at the plateau, so an
//!   adaptive transfer pays there only for its probes above 8 (the bench
//!   measures what they cost). Many small blobs start at 16
//!   ([`SMALL_BLOB_START`]): their buffers are small, and 16 in flight are
//!   as fast as 8 on a near link.
//! - **Measure** throughput as completions per second over a *window*: the
//!   completions since the last change, closed once there are as many as the
//!   limit (at least [`MIN_WINDOW`]), which is about one round trip at that
//!   level, and at least [`MIN_WINDOW_TIME`] has passed. Completions, not bytes: a large transfer's requests are blocks
//!   of one size, and for many small blobs the rate of blobs is the goal. A
//!   window in which the limit was never reached (the source could not keep
//!   up) says nothing about more concurrency and changes nothing.
//! - **Settling**: the first window at the start and after every change is
//!   not measured: it pays for opening connections, and its completions
//!   include requests started under the old limit, which made a doubling
//!   look like a gain on a saturated machine.
//! - **Warm-up**: the start level is measured until its throughput stops
//!   rising by more than 25% from one window to the next (at most
//!   [`WARM_UP_MAX`] windows): a large transfer's first hundreds of MiB run
//!   slower while connections and the allocator warm up, and measured
//!   against that, a doubling looked like a gain.
//! - **Slow start**: while a level's throughput beats the previous level's
//!   by more than 25% ([`GROWTH`]) and its requests did not each take 1.5
//!   times as long ([`SATURATED`]), double the limit. The second test is
//!   Little's law: on a saturated link twice the requests take twice as
//!   long each, so a throughput gain that comes with it was noise, and that
//!   level is dropped from the plateau's choice. A level that gains too
//!   little gets a second window and counts its better one, so one noisy
//!   window does not end the growth.
//! - **Plateau**: when a doubling gained less than that, settle on the
//!   smallest level tried whose throughput was within 5% of the best seen
//!   ([`NEAR_BEST`]), and hold there.
//! - **Busy CPUs**: a level is not raised (neither doubled nor probed)
//!   while, over the last 10 ticks or more, the machine's CPUs were at least
//!   90% busy and at least half of that was this process (then until a span
//!   reads under 80% or 40%; `CpuWatch` in `cpu_load.rs`, read as each
//!   window closes): more requests would only compete for the same cores.
//!   Slow start then measures the level again and doubles once they are not. On a 2-core machine sending to a near
//!   server, 8 in flight already kept both cores busy, and the doubling to
//!   16 with its fresh buffers cost about a tenth of the upload. CPUs kept
//!   busy by other work (a training job beside a download) do not hold it:
//!   a transfer that waits on the network still gains from more requests.
//!   Where there is no reading, throughput alone decides.
//! - **Probe** (additive increase): after [`HOLD_WINDOWS`] windows of hold,
//!   and after every decrease, try `limit + max(1, limit / 8)`; keep it if
//!   throughput grew by at least half the step's proportion (a linear gain
//!   would be all of it), else go back and hold.
//! - **Decrease** (multiplicative): a 429 or 503 answer or a timeout seen by
//!   any attempt, retried ones included (`RetryLayer` bumps the request's
//!   congestion counter), halves the limit (at least 1), at most once per
//!   window, since one overload answers many requests in flight at once;
//!   then it probes upwards again, additively, never by slow start.
//! - **Caps**: the limit never exceeds the cap the engine gives: the memory
//!   budget divided by the block or chunk size for large transfers,
//!   [`SMALL_BLOB_CAP`] for many small blobs.
//!
//! The controller is pure (time is passed in), so its tests drive it with a
//! throughput model and no clock. The limiter reads tokio's clock, which
//! tests can pause.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::cpu_load::CpuWatch;
use crate::wire::tally::Tally;

/// Where an adaptive transfer starts.
pub(crate) const ADAPTIVE_START: usize = super::options::DEFAULT_CONCURRENCY;
/// The most requests in flight for many small blobs, whose buffers are small.
pub(crate) const SMALL_BLOB_CAP: usize = 256;
/// Where many small blobs start: their buffers cost little, and on a link
/// 10 ms away each doubling costs two round trips (a settling window and a
/// measured one), so starting a doubling above [`ADAPTIVE_START`] saves
/// about 20 ms of a 2,000-blob job. Starting at 32 gained no more there and
/// put 10% slower on a near link, where opening 32 connections and probing
/// 64 cost more than the job's few milliseconds of slow start (README,
/// "Adaptive concurrency").
pub(crate) const SMALL_BLOB_START: usize = 16;
/// The least completions a window needs, so a low limit still averages a few.
pub(crate) const MIN_WINDOW: usize = 4;
/// The shortest window: on a near, fast link a window of a few dozen
/// completions lasts a millisecond or two, and scheduling noise on a busy
/// machine then swamps the throughput it measures.
pub(crate) const MIN_WINDOW_TIME: std::time::Duration = std::time::Duration::from_millis(10);
/// Slow start doubles while a doubling gains more than this share.
pub(crate) const GROWTH: f64 = 0.25;
/// A doubling whose requests each took this many times longer (or more)
/// than at the level before did not find spare capacity, whatever its
/// throughput read: on a saturated link twice the requests take twice as long.
pub(crate) const SATURATED: f64 = 1.5;
/// A plateau settles on the smallest level within this share of the best.
pub(crate) const NEAR_BEST: f64 = 0.95;
/// The most windows the start level warms up for.
pub(crate) const WARM_UP_MAX: u32 = 4;
/// Windows held before probing upwards again.
pub(crate) const HOLD_WINDOWS: u32 = 8;
/// The most limit changes the trace keeps.
const TRACE_MAX: usize = 256;

/// Why the limit changed, as recorded in [`Controller::trace`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Slow start doubled it.
    Double,
    /// A plateau settled on an earlier level.
    Settle,
    /// An additive probe raised it.
    Probe,
    /// A probe that gained nothing went back.
    Revert,
    /// A congestion signal halved it.
    Halve,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// At the start level while its throughput still rises window after
    /// window (fresh connections, the allocator's first pages), for at most
    /// [`WARM_UP_MAX`] windows.
    WarmUp { last: Option<f64>, windows: u32 },
    /// Doubling; `previous` is the last level's throughput and request
    /// time, `again` whether this level already had a second window after
    /// gaining too little.
    SlowStart { previous: Option<(f64, f64)>, again: bool },
    /// Measuring the current level before probing above it.
    Baseline,
    /// Trying a higher level; `from` and `base` are the level and throughput before it.
    Probe { from: usize, base: f64 },
    /// Staying; counts the windows held.
    Hold { windows: u32 },
}

/// The completions since the window opened.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    done: usize,
    /// The summed time of the requests completed in the window, in seconds.
    busy: f64,
    /// Whether the limit was reached at some point in the window.
    saturated: bool,
    /// Whether the limit was already halved in this window.
    halved: bool,
}

/// Decides the limit from completions and congestion signals; see the module docs.
#[derive(Debug)]
pub(crate) struct Controller {
    limit: usize,
    cap: usize,
    phase: Phase,
    window: Window,
    in_flight: usize,
    peak: usize,
    halvings: u64,
    /// Whether the current window follows a change (or the start), so its
    /// completions include requests started under the old limit, or the
    /// cost of opening connections: it is not measured.
    settling: bool,
    /// The throughput and mean request time measured at each level tried
    /// in this slow start.
    levels: Vec<(usize, f64, f64)>,
    trace: Vec<(Change, usize)>,
    /// Whether this process keeps the CPUs busy, if the controller asks.
    cpu: Option<CpuWatch>,
}

impl Controller {
    /// A controller starting at `start` (within `1..=cap`), deciding from
    /// throughput alone (see [`Controller::cpu_watch`]).
    pub(crate) fn new(start: usize, cap: usize, now: Instant) -> Self {
        let cap = cap.max(1);
        let limit = start.clamp(1, cap);
        Controller {
            limit,
            cap,
            phase: Phase::WarmUp { last: None, windows: 0 },
            settling: true,
            window: Window { start: now, done: 0, busy: 0.0, saturated: false, halved: false },
            in_flight: 0,
            peak: 0,
            halvings: 0,
            levels: Vec::new(),
            trace: Vec::new(),
            cpu: None,
        }
    }

    /// Reads the CPUs through `watch` as windows close, so that CPUs this
    /// process keeps busy hold the level.
    pub(crate) fn cpu_watch(mut self, watch: CpuWatch) -> Self {
        self.cpu = Some(watch);
        self
    }

    /// Whether this process kept the CPUs busy over the last span that tells.
    fn cpu_bound(&self) -> bool {
        self.cpu.as_ref().is_some_and(CpuWatch::bound)
    }

    /// How many requests may be in flight now.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// The most requests that were in flight at once.
    pub(crate) fn peak(&self) -> usize {
        self.peak
    }

    /// The limit's changes, oldest first (the first [`TRACE_MAX`]).
    #[cfg(test)]
    pub(crate) fn trace(&self) -> &[(Change, usize)] {
        &self.trace
    }

    /// How many times a congestion signal halved the limit.
    pub(crate) fn halvings(&self) -> u64 {
        self.halvings
    }

    /// A request starts.
    pub(crate) fn started(&mut self) {
        self.in_flight += 1;
        self.peak = self.peak.max(self.in_flight);
        if self.in_flight >= self.limit {
            self.window.saturated = true;
        }
    }

    /// A request ended (answered, failed or dropped) at `now`.
    pub(crate) fn completed(&mut self, now: Instant, took: std::time::Duration) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.window.done += 1;
        self.window.busy += took.as_secs_f64();
        let elapsed = now.saturating_duration_since(self.window.start);
        if self.window.done >= self.limit.max(MIN_WINDOW) && elapsed >= MIN_WINDOW_TIME {
            let seconds = elapsed.as_secs_f64().max(1e-9);
            let throughput = self.window.done as f64 / seconds;
            let latency = self.window.busy / self.window.done as f64;
            let measure = self.window.saturated && !self.settling;
            self.settling = false;
            self.open_window(now);
            if let Some(watch) = &mut self.cpu {
                watch.sample();
            }
            if measure {
                self.measured(throughput, latency);
            }
        }
    }

    /// A 429, a 503 or a timeout was seen at `now`: halve, once per window.
    pub(crate) fn congested(&mut self, now: Instant) {
        if self.window.halved {
            return;
        }
        self.halvings += 1;
        self.set(Change::Halve, (self.limit / 2).max(1));
        tracing::debug!(limit = self.limit, "adaptive concurrency halved after a 429, a 503 or a timeout");
        self.levels.clear();
        self.phase = Phase::Baseline;
        self.open_window(now);
        self.window.halved = true;
    }

    fn open_window(&mut self, now: Instant) {
        self.window = Window { start: now, done: 0, busy: 0.0, saturated: self.in_flight >= self.limit, halved: false };
    }

    fn set(&mut self, change: Change, limit: usize) {
        let limit = limit.clamp(1, self.cap);
        if limit != self.limit {
            self.settling = true;
            if self.trace.len() < TRACE_MAX {
                self.trace.push((change, limit));
            }
        }
        self.limit = limit;
    }

    /// One window at the current limit gave `throughput`.
    fn measured(&mut self, throughput: f64, latency: f64) {
        match self.phase {
            Phase::WarmUp { last, windows } => {
                if windows + 1 < WARM_UP_MAX && last.is_none_or(|l| throughput > l * (1.0 + GROWTH)) {
                    self.phase = Phase::WarmUp { last: Some(throughput), windows: windows + 1 };
                } else {
                    self.phase = Phase::SlowStart { previous: None, again: false };
                    self.measured(throughput, latency);
                }
            }
            Phase::SlowStart { previous, again } => {
                // A level's best window counts: the first one after a change
                // still carries the requests started at the level before.
                let level = match self.levels.last_mut() {
                    Some(last) if last.0 == self.limit => {
                        last.1 = last.1.max(throughput);
                        last.2 = last.2.min(latency);
                        (last.1, last.2)
                    }
                    _ => {
                        self.levels.push((self.limit, throughput, latency));
                        (throughput, latency)
                    }
                };
                // A gain counts only if each request did not take much
                // longer: when the link or the machine is saturated, twice
                // the requests take twice as long each (Little's law), and
                // a window that still read as a gain was noise.
                let saturated = previous.is_some_and(|(_, r)| level.1 >= r * SATURATED);
                let grew = previous.is_none_or(|(p, _)| level.0 > p * (1.0 + GROWTH)) && !saturated;
                if saturated && again {
                    // Its throughput is not to be believed, so it cannot be
                    // the level the plateau settles on either.
                    self.levels.pop();
                }
                let room = grew && self.limit < self.cap;
                if room && self.cpu_bound() {
                    // Not while the CPUs are this process's: measure this
                    // level again, and double once they are not.
                    self.phase = Phase::SlowStart { previous, again: false };
                } else if room {
                    self.set(Change::Double, self.limit.saturating_mul(2));
                    self.phase = Phase::SlowStart { previous: Some(level), again: false };
                } else if !grew && !again {
                    // One more window at this level before calling it a plateau.
                    self.phase = Phase::SlowStart { previous, again: true };
                } else {
                    let best = self.levels.iter().map(|l| l.1).fold(0.0, f64::max);
                    let settle = self.levels.iter().filter(|l| l.1 >= best * NEAR_BEST).map(|l| l.0).min();
                    self.set(Change::Settle, settle.unwrap_or(self.limit));
                    self.phase = Phase::Hold { windows: 0 };
                }
            }
            Phase::Baseline => self.probe(throughput),
            Phase::Probe { from, base } => {
                let step = (self.limit - from) as f64 / from as f64;
                if throughput >= base * (1.0 + step / 2.0) {
                    self.probe(throughput);
                } else {
                    self.set(Change::Revert, from);
                    self.phase = Phase::Hold { windows: 0 };
                }
            }
            Phase::Hold { windows } if windows + 1 >= HOLD_WINDOWS => self.probe(throughput),
            Phase::Hold { windows } => self.phase = Phase::Hold { windows: windows + 1 },
        }
    }

    /// Tries one additive step above the current level, measured at `base`.
    fn probe(&mut self, base: f64) {
        if self.limit >= self.cap || self.cpu_bound() {
            self.phase = Phase::Hold { windows: 0 };
            return;
        }
        let from = self.limit;
        self.set(Change::Probe, from + (from / 8).max(1));
        self.phase = Phase::Probe { from, base };
    }
}

/// Hands out permits up to a limit, fixed or moved by a [`Controller`].
#[derive(Debug)]
pub(crate) struct Limiter {
    state: Mutex<State>,
    /// Updated by `RetryLayer` for the requests that carry it.
    tally: Arc<Tally>,
}

#[derive(Debug)]
struct State {
    controller: Controller,
    adaptive: bool,
    /// The congestion count already acted on.
    seen: u64,
    /// Waiters in arrival order, each granted a permit through its channel.
    queue: VecDeque<oneshot::Sender<Permit>>,
}

impl Limiter {
    /// A limiter for `concurrency`, adapting from [`ADAPTIVE_START`] up to
    /// `cap` when asked to, that reads congestion from `tally`, the
    /// transfer's counters.
    pub(crate) fn for_concurrency(concurrency: super::Concurrency, cap: usize, tally: Arc<Tally>) -> Arc<Self> {
        Self::starting_at(ADAPTIVE_START, concurrency, cap, tally)
    }

    /// [`Limiter::for_concurrency`] whose adaptive limit starts at `start` (within `1..=cap`).
    pub(crate) fn starting_at(
        start: usize,
        concurrency: super::Concurrency,
        cap: usize,
        tally: Arc<Tally>,
    ) -> Arc<Self> {
        let (controller, adaptive) = match concurrency {
            super::Concurrency::Fixed(n) => {
                let n = n.clamp(1, cap.max(1));
                (Controller::new(n, n, Instant::now()), false)
            }
            _ => (Controller::new(start, cap, Instant::now()).cpu_watch(CpuWatch::system()), true),
        };
        // Congestion counted before the limiter existed (a resume's block
        // list answered 503) is not this limiter's to act on.
        let seen = tally.congestion();
        Arc::new(Limiter { state: Mutex::new(State { controller, adaptive, seen, queue: VecDeque::new() }), tally })
    }

    /// The counters to attach to requests (`Request::tally`) so that
    /// their throttled or timed-out attempts reach the controller, and the
    /// transfer's report can count every attempt.
    pub(crate) fn tally(&self) -> Arc<Tally> {
        Arc::clone(&self.tally)
    }

    /// The most requests that were in flight at once.
    pub(crate) fn peak(&self) -> usize {
        self.lock().controller.peak()
    }

    /// How many times congestion halved the limit.
    pub(crate) fn halvings(&self) -> u64 {
        self.lock().controller.halvings()
    }

    /// The current limit.
    #[cfg(test)]
    pub(crate) fn limit(&self) -> usize {
        self.lock().controller.limit()
    }

    /// The limit's changes so far.
    #[cfg(test)]
    pub(crate) fn trace(&self) -> Vec<(Change, usize)> {
        self.lock().controller.trace().to_vec()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: every update is one step.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for a free place; the permit gives it back when dropped.
    ///
    /// Places are granted first come, first served: a releaser hands its
    /// place to the oldest waiter. The upload engine depends on it: a block
    /// holding a place waits for the blocks before it to be hashed, so a
    /// later block must never get a place before an earlier one.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Permit {
        let granted = {
            let mut state = self.lock();
            if state.queue.is_empty() && state.controller.in_flight < state.controller.limit() {
                state.controller.started();
                return Permit { limiter: Arc::clone(self), started: Instant::now() };
            }
            let (grant, granted) = oneshot::channel();
            state.queue.push_back(grant);
            granted
        };
        match granted.await {
            Ok(permit) => permit,
            // The limiter lives as long as this `Arc`, and a queued sender
            // is only dropped after it sent: this cannot happen, but a new
            // place is the safe answer if it ever did.
            Err(_) => {
                self.lock().controller.started();
                Permit { limiter: Arc::clone(self), started: Instant::now() }
            }
        }
    }

    fn release(self: &Arc<Self>, started: Instant) {
        let now = Instant::now();
        let mut grants = Vec::new();
        {
            let mut state = self.lock();
            state.controller.completed(now, now.saturating_duration_since(started));
            let count = self.tally.congestion();
            if count > state.seen {
                state.seen = count;
                if state.adaptive {
                    state.controller.congested(now);
                }
            }
            while state.controller.in_flight < state.controller.limit() {
                let Some(grant) = state.queue.pop_front() else { break };
                if grant.is_closed() {
                    // Its waiter was dropped (cancelled) before its turn.
                    continue;
                }
                state.controller.started();
                grants.push(grant);
            }
        }
        // Sent outside the lock: a permit whose waiter was dropped meanwhile
        // comes back and is released like any other.
        for grant in grants {
            let _ = grant.send(Permit { limiter: Arc::clone(self), started: Instant::now() });
        }
    }
}

/// One request's place in flight; dropping it reports the completion and
/// how long the request held it.
#[derive(Debug)]
pub(crate) struct Permit {
    limiter: Arc<Limiter>,
    started: Instant,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limiter.release(self.started);
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::time::Duration;

    use super::*;
    use crate::transfer::cpu_load::CpuTimes;
    use crate::transfer::Concurrency;

    /// Runs the controller against a model where `c` requests in flight
    /// complete `throughput(c)` requests per second, for `windows` windows;
    /// returns the limits it chose, one per window.
    fn drive(controller: &mut Controller, throughput: impl Fn(usize) -> f64, windows: usize) -> Vec<usize> {
        let mut now = Instant::now();
        let mut limits = Vec::new();
        for _ in 0..windows {
            let c = controller.limit();
            for _ in 0..c {
                controller.started();
            }
            // One window: `c` completions (at least MIN_WINDOW, and enough
            // to last MIN_WINDOW_TIME) at the model's rate.
            let done = c.max(MIN_WINDOW).max((throughput(c) * MIN_WINDOW_TIME.as_secs_f64()).ceil() as usize + 1);
            let step = Duration::from_secs_f64(1.0 / throughput(c));
            // Little's law: `c` in flight at this rate each take `c / rate`.
            let took = Duration::from_secs_f64(c as f64 / throughput(c));
            for i in 0..done {
                now += step;
                controller.completed(now, took);
                if i + c < done {
                    controller.started();
                }
            }
            // Whatever is still in flight ends with the window.
            controller.in_flight = 0;
            limits.push(controller.limit());
        }
        limits
    }

    /// Runs `completions` completions where each request takes
    /// `latency(c)`, `c` the requests in flight when it started: unlike
    /// [`drive`], a request started now completes its latency later, so a
    /// window's completions are requests started before it, as on a real
    /// link. Returns the limit after each completion.
    fn run_lagged(controller: &mut Controller, latency: impl Fn(usize) -> Duration, completions: usize) -> Vec<usize> {
        let mut now = Instant::now();
        let mut flying: Vec<(Instant, Instant)> = Vec::new();
        (0..completions)
            .map(|_| {
                while controller.in_flight < controller.limit() {
                    controller.started();
                    flying.push((now + latency(controller.in_flight), now));
                }
                let first = (0..flying.len()).min_by_key(|&i| flying[i].0).expect("in flight");
                let (done, started) = flying.swap_remove(first);
                now = done;
                controller.completed(now, done - started);
                controller.limit()
            })
            .collect()
    }

    fn linear_then_flat(rate: f64, capacity: f64) -> impl Fn(usize) -> f64 {
        move |c| (c as f64 * rate).min(capacity)
    }

    #[test]
    fn a_gain_whose_requests_took_twice_as_long_is_not_spare_capacity() {
        // A saturated link whose one window at 16 happened to read 30% faster:
        // each request there took about 1.5 times as long as at 8, which says
        // the gain was not real, so it goes no further and settles back.
        let capacity = 100.0;
        let noisy = move |c: usize| if c == 16 { capacity * 1.3 } else { capacity };
        let mut controller = Controller::new(8, 64, Instant::now());
        let limits = drive(&mut controller, noisy, 40);
        assert!(limits.iter().all(|&l| l <= 16), "{limits:?}");
        assert_eq!(controller.limit(), 8, "{limits:?}");
    }

    #[test]
    fn it_converges_within_90_percent_of_the_best_fixed_level() {
        // 10 ms per request, 5,000 requests per second at most: the best
        // fixed level is 50 and anything above it.
        let model = linear_then_flat(100.0, 5_000.0);
        let mut controller = Controller::new(ADAPTIVE_START, 256, Instant::now());
        let limits = drive(&mut controller, &model, 40);
        let best = (1..=256).map(&model).fold(0.0, f64::max);
        let last = *limits.last().unwrap();
        assert!(model(last) >= 0.9 * best, "settled at {last}: {limits:?}");
        assert!(last > ADAPTIVE_START, "it grew: {limits:?}");
    }

    #[test]
    fn it_stops_growing_near_the_knee() {
        // More than 12 in flight gains nothing.
        let model = linear_then_flat(100.0, 1_200.0);
        let mut controller = Controller::new(ADAPTIVE_START, 256, Instant::now());
        let limits = drive(&mut controller, &model, 60);
        let highest = *limits.iter().max().unwrap();
        assert!(highest <= 32, "slow start stops one doubling past the knee: {limits:?}");
        let last = *limits.last().unwrap();
        assert!((12..=24).contains(&last), "settled near the knee: {limits:?}");
        assert!(model(last) >= 0.9 * 1_200.0);
    }

    #[test]
    fn a_saturated_start_does_not_grow() {
        // A fast near link: 8 in flight already take everything.
        let model = linear_then_flat(1_000.0, 8_000.0);
        let mut controller = Controller::new(ADAPTIVE_START, 32, Instant::now());
        let limits = drive(&mut controller, &model, 30);
        // Settling and two windows at 8, one doubling settled and measured twice, then back to 8.
        assert!(limits.iter().skip(6).all(|&l| l <= 10), "{limits:?}");
    }

    /// A watch whose CPUs were busy `busy` ticks of every `ticks` between
    /// two readings, `own` of them this process's; `busy` becomes 0 after
    /// `busy_readings` readings.
    fn cpus_for(ticks: u64, busy: u64, own: u64, busy_readings: usize) -> CpuWatch {
        let mut now = CpuTimes { busy: 0, total: 0, own: 0 };
        let mut readings = 0;
        CpuWatch::new(move || {
            readings += 1;
            let (busy, own) = if readings > busy_readings { (0, 0) } else { (busy, own) };
            now = CpuTimes { busy: now.busy + busy, total: now.total + ticks, own: now.own + own };
            Some(now)
        })
    }

    /// [`cpus_for`] with 100 ticks between readings, busy throughout.
    fn cpus(busy: u64, own: u64) -> CpuWatch {
        cpus_for(100, busy, own, usize::MAX)
    }

    #[test]
    fn busy_cpus_hold_the_start_level_where_throughput_alone_would_double() {
        // The model of the test above, where it grows past 8.
        let model = linear_then_flat(100.0, 5_000.0);
        let mut controller = Controller::new(ADAPTIVE_START, 256, Instant::now()).cpu_watch(cpus(95, 60));
        let limits = drive(&mut controller, &model, 40);
        assert!(limits.iter().all(|&l| l == ADAPTIVE_START), "{limits:?}");
        assert!(controller.trace().is_empty(), "{:?}", controller.trace());
    }

    #[test]
    fn cpus_with_room_to_spare_or_busy_with_other_work_let_it_grow() {
        let model = linear_then_flat(100.0, 5_000.0);
        for (busy, own) in [(85, 80), (100, 20)] {
            let mut controller = Controller::new(ADAPTIVE_START, 256, Instant::now()).cpu_watch(cpus(busy, own));
            let limits = drive(&mut controller, &model, 40);
            assert!(*limits.last().unwrap() >= 50, "{busy}% busy, {own}% this process: {limits:?}");
        }
    }

    #[test]
    fn readings_a_few_ticks_apart_still_hold_it() {
        // 5 ticks a window (two CPUs, 25 ms windows): a span tells after two.
        let model = linear_then_flat(100.0, 5_000.0);
        let mut controller =
            Controller::new(ADAPTIVE_START, 256, Instant::now()).cpu_watch(cpus_for(5, 5, 4, usize::MAX));
        let limits = drive(&mut controller, &model, 40);
        assert!(limits.iter().all(|&l| l == ADAPTIVE_START), "{limits:?}");
    }

    #[test]
    fn once_the_cpus_are_no_longer_busy_slow_start_doubles_again() {
        let model = linear_then_flat(100.0, 5_000.0);
        let mut controller = Controller::new(ADAPTIVE_START, 256, Instant::now()).cpu_watch(cpus_for(100, 95, 60, 8));
        let limits = drive(&mut controller, &model, 40);
        // The 8th reading is the last busy one; the window after it doubles.
        assert!(limits[..7].iter().all(|&l| l == ADAPTIVE_START), "held while busy: {limits:?}");
        assert!(*limits.last().unwrap() >= 50, "then grew as without the rule: {limits:?}");
        assert!(
            controller.trace().iter().take_while(|c| c.0 == Change::Double).count() >= 3,
            "{:?}",
            controller.trace()
        );
    }

    #[test]
    fn a_held_level_does_not_probe_while_the_cpus_are_busy() {
        // 8 in flight fill the link: slow start settles on 8 with idle CPUs,
        // and a hold then probes upwards every few windows.
        let model = linear_then_flat(1_000.0, 8_000.0);
        let probes = |busy: u64| {
            let mut controller =
                Controller::new(ADAPTIVE_START, 32, Instant::now()).cpu_watch(cpus(busy, busy * 6 / 10));
            drive(&mut controller, &model, 60);
            controller.trace().iter().filter(|c| c.0 == Change::Probe).count()
        };
        assert!(probes(50) >= 2, "idle CPUs probe");
        assert_eq!(probes(95), 0, "busy CPUs do not");
    }

    #[test]
    fn with_round_trips_it_climbs_to_the_knee_and_settles_past_it() {
        // 10 ms a request up to 128 in flight, longer in proportion beyond
        // (a link that carries 12,800 a second): 2,000 small blobs on the
        // bench's 10 ms sink. The climb to 64 takes the settling window,
        // two warm-up windows at 8, and a settling and a measured window at
        // 16 and 32: 120 completions. A slower climb fails here.
        let latency = |c: usize| Duration::from_millis(10).mul_f64((c as f64 / 128.0).max(1.0));
        let mut controller = Controller::new(ADAPTIVE_START, SMALL_BLOB_CAP, Instant::now());
        let limits = run_lagged(&mut controller, latency, 3_000);
        let reached = limits.iter().position(|&l| l >= 64).map(|i| i + 1);
        assert!(reached.is_some_and(|n| n <= 128), "64 in flight after {reached:?}: {:?}", controller.trace());
        let last = controller.limit();
        assert!((100..=256).contains(&last), "settled at {last}: {:?}", controller.trace());
    }

    #[test]
    fn many_small_blobs_starting_higher_reach_128_in_flight_sooner() {
        // The link of the test above: starting a doubling higher skips its
        // two round trips' windows, which hold few completions.
        let latency = |c: usize| Duration::from_millis(10).mul_f64((c as f64 / 128.0).max(1.0));
        let completions_to_128 = |start: usize| {
            let mut controller = Controller::new(start, SMALL_BLOB_CAP, Instant::now());
            let limits = run_lagged(&mut controller, latency, 3_000);
            limits.iter().position(|&l| l >= 128).map(|i| i + 1)
        };
        let (from_8, from_16) = (completions_to_128(ADAPTIVE_START), completions_to_128(SMALL_BLOB_START));
        assert!(from_16.is_some_and(|n| n < from_8.unwrap_or(usize::MAX)), "from 8: {from_8:?}, from 16: {from_16:?}");
        let mut controller = Controller::new(SMALL_BLOB_START, SMALL_BLOB_CAP, Instant::now());
        run_lagged(&mut controller, latency, 3_000);
        assert!((100..=256).contains(&controller.limit()), "{:?}", controller.trace());
    }

    #[test]
    fn with_round_trips_a_saturated_start_comes_back_to_it() {
        // 8 in flight already fill the link: each request beyond takes
        // longer in proportion.
        let latency = |c: usize| Duration::from_millis(10).mul_f64((c as f64 / 8.0).max(1.0));
        let mut controller = Controller::new(ADAPTIVE_START, SMALL_BLOB_CAP, Instant::now());
        let limits = run_lagged(&mut controller, latency, 1_000);
        assert!(limits.iter().all(|&l| l <= 16), "{:?}", controller.trace());
        let settled = controller.trace().iter().find(|c| c.0 == Change::Settle).copied();
        assert_eq!(settled, Some((Change::Settle, ADAPTIVE_START)), "{:?}", controller.trace());
    }

    #[test]
    fn an_adaptive_limiter_reads_the_machines_cpus_and_a_fixed_one_does_not() {
        let reads = |concurrency| {
            let limiter = Limiter::for_concurrency(concurrency, 64, Arc::new(Tally::default()));
            let read = limiter.lock().controller.cpu.is_some();
            read
        };
        assert!(reads(Concurrency::Adaptive));
        assert!(!reads(Concurrency::Fixed(8)));
    }

    #[test]
    fn a_congestion_signal_halves_it_once_per_window() {
        let now = Instant::now();
        let mut controller = Controller::new(32, 32, now);
        controller.congested(now);
        assert_eq!(controller.limit(), 16);
        // A burst of 503s answering the requests already in flight is one signal.
        controller.congested(now);
        assert_eq!(controller.limit(), 16);
        assert_eq!(controller.trace(), &[(Change::Halve, 16)]);
        let mut one = Controller::new(1, 32, now);
        one.congested(now);
        assert_eq!(one.limit(), 1, "never below 1");
    }

    #[test]
    fn after_a_decrease_it_climbs_back_additively() {
        let model = linear_then_flat(100.0, 6_400.0);
        let mut controller = Controller::new(64, 64, Instant::now());
        controller.congested(Instant::now());
        assert_eq!(controller.limit(), 32);
        let limits = drive(&mut controller, &model, 20);
        // Steps of an eighth, never a doubling.
        for pair in limits.windows(2) {
            assert!(pair[1] <= pair[0] + (pair[0] / 8).max(1), "{limits:?}");
        }
        assert!(*limits.last().unwrap() > 40, "{limits:?}");
    }

    #[test]
    fn it_never_exceeds_the_memory_cap() {
        // 256 MiB of 8 MiB blocks: 32, whatever the link would take.
        let model = linear_then_flat(100.0, 1e9);
        let mut controller = Controller::new(ADAPTIVE_START, 32, Instant::now());
        let limits = drive(&mut controller, &model, 50);
        assert!(limits.iter().all(|&l| l <= 32), "{limits:?}");
        assert_eq!(*limits.last().unwrap(), 32);
        assert!(controller.peak() <= 32);
    }

    #[tokio::test(start_paused = true)]
    async fn the_limiter_holds_requests_beyond_the_limit_and_reports_congestion() {
        let limiter = Limiter::for_concurrency(Concurrency::Fixed(2), 64, Arc::default());
        let a = limiter.acquire().await;
        let _b = limiter.acquire().await;
        let mut third = Box::pin(limiter.acquire());
        let waker = futures_util::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        assert!(third.as_mut().poll(&mut cx).is_pending(), "a third waits");
        drop(a);
        let _c = third.await;
        assert_eq!(limiter.peak(), 2);

        let adaptive = Limiter::for_concurrency(Concurrency::Adaptive, 32, Arc::default());
        assert_eq!(adaptive.limit(), ADAPTIVE_START);
        let permit = adaptive.acquire().await;
        adaptive.tally().congest();
        drop(permit);
        assert_eq!(adaptive.limit(), ADAPTIVE_START / 2);
        assert_eq!(adaptive.trace(), vec![(Change::Halve, ADAPTIVE_START / 2)]);

        // Congestion counted before the limiter existed does not halve it.
        let tally = Arc::new(Tally::default());
        tally.congest();
        let late = Limiter::for_concurrency(Concurrency::Adaptive, 32, tally);
        drop(late.acquire().await);
        assert_eq!(late.limit(), ADAPTIVE_START);
    }

    #[tokio::test]
    async fn places_go_first_come_first_served_and_a_cancelled_waiter_loses_its_turn() {
        let limiter = Limiter::for_concurrency(Concurrency::Fixed(1), 64, Arc::default());
        let waker = futures_util::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        let held = limiter.acquire().await;
        let mut first = Box::pin(limiter.acquire());
        let mut cancelled = Box::pin(limiter.acquire());
        let mut last = Box::pin(limiter.acquire());
        for waiter in [&mut first, &mut cancelled, &mut last] {
            assert!(waiter.as_mut().poll(&mut cx).is_pending());
        }
        drop(cancelled);
        drop(held);
        // The oldest waiter has the place; the later one still waits, even
        // when polled first.
        assert!(last.as_mut().poll(&mut cx).is_pending(), "a later waiter jumped the queue");
        let first = first.await;
        assert!(last.as_mut().poll(&mut cx).is_pending());
        drop(first);
        // The cancelled waiter's turn was skipped, not granted and leaked.
        let _last = last.await;
        assert_eq!(limiter.peak(), 1);
        assert_eq!(limiter.lock().controller.in_flight, 1);
    }
}
