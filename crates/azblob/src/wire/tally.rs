//! `Tally`: what a transfer's requests cost, counted by `RetryLayer` on
//! every attempt.
//!
//! A transfer attaches one tally to each request it sends
//! ([`Request::tally`](super::Request)); the retry layer is the one place
//! that sees every attempt, including those it repeats and hides, so it
//! counts them there. The adaptive concurrency controller reads its
//! congestion count; the transfer's report reads the rest.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Counters shared by the requests of one transfer.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    attempts: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    congestion: AtomicU64,
    service_nanos: AtomicU64,
    /// The counters of the job this transfer belongs to (a many-file
    /// job's pool), which see every attempt too, so the job's limiter
    /// backs off when any of its files is throttled.
    parent: Option<Arc<Tally>>,
}

impl Tally {
    /// Fresh counters whose attempts are also counted in `parent`, when there is one.
    pub(crate) fn under(parent: Option<Arc<Tally>>) -> Tally {
        Tally { parent, ..Tally::default() }
    }

    /// Counts one attempt that took `elapsed` until its answer's head (or
    /// its failure); `throttled` for a 429 or 503, `congested` when it also
    /// tells adaptive concurrency to back off (a throttle or a timeout).
    pub(crate) fn attempt(&self, elapsed: Duration, throttled: bool, congested: bool) {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        // Saturating: a sum of durations cannot wrap into a small number.
        let _ =
            self.service_nanos.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| Some(n.saturating_add(nanos)));
        if throttled {
            self.throttled.fetch_add(1, Ordering::Relaxed);
        }
        if congested {
            self.congestion.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(parent) = &self.parent {
            parent.attempt(elapsed, throttled, congested);
        }
    }

    /// Counts a decision to send an attempt again.
    pub(crate) fn retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
        if let Some(parent) = &self.parent {
            parent.retry();
        }
    }

    /// How many attempts were answered 429 or 503 or timed out.
    pub(crate) fn congestion(&self) -> u64 {
        self.congestion.load(Ordering::Relaxed)
    }

    /// Attempts sent, retries among them, throttled answers, and the time
    /// spent waiting on the service, summed over attempts.
    pub(crate) fn totals(&self) -> (u64, u64, u64, Duration) {
        (
            self.attempts.load(Ordering::Relaxed),
            self.retries.load(Ordering::Relaxed),
            self.throttled.load(Ordering::Relaxed),
            Duration::from_nanos(self.service_nanos.load(Ordering::Relaxed)),
        )
    }

    /// Bumps the congestion count alone, as a throttled attempt would.
    #[cfg(test)]
    pub(crate) fn congest(&self) {
        self.congestion.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transfer_counts_its_attempts_in_its_job_too() {
        let job = Arc::new(Tally::default());
        let file = Tally::under(Some(Arc::clone(&job)));
        file.attempt(Duration::from_millis(5), true, true);
        file.retry();
        file.attempt(Duration::from_millis(5), false, false);
        assert_eq!(file.congestion(), 1);
        assert_eq!(job.congestion(), 1, "the job's limiter sees its files' throttling");
        assert_eq!(job.totals().0, 2);
        assert_eq!(job.totals().1, 1);
        let alone = Tally::under(None);
        alone.attempt(Duration::ZERO, true, true);
        assert_eq!(job.congestion(), 1);
    }
}
