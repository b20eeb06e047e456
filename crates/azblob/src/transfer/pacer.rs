//! `Pacer`: a rate cap on the bytes a whole job puts on the wire.
//!
//! A many-file job with a cap hands one pacer to every transfer it runs
//! (through their [`BlobTarget`](super::BlobTarget)); each request body is
//! paid for before it is sent, and so is each ranged Get's range: paying
//! after the head arrived would leave the answer unread while the pacer
//! waits (minutes, with many ranges in flight at a low cap), which the
//! inactivity timer, the deadlines and the server's own timeouts punish.
//! What the answer turns out not to hold (a blob shorter than the range)
//! is given back. It is a token bucket with no reserve:
//! bytes are paid for at the rate, one after the other, so a job of `n`
//! bytes cannot end before `n / rate` seconds, and a job that paused (a
//! slow listing) does not burst afterwards to catch up.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The longest one payment waits: bytes beyond it at the rate (an absurd
/// length at a rate of a few bytes a second) are not waited for, rather
/// than overflow the clock.
const MAX_WAIT: Duration = Duration::from_secs(365 * 24 * 3600);

/// The job's shared rate cap.
#[derive(Debug)]
pub(crate) struct Pacer {
    /// Bytes per second.
    rate: u64,
    /// When the bytes paid for so far are all sent at the rate.
    paid_until: Mutex<Option<Instant>>,
}

impl Pacer {
    /// A pacer letting `rate` bytes a second through (at least 1).
    pub(crate) fn new(rate: u64) -> Pacer {
        Pacer { rate: rate.max(1), paid_until: Mutex::new(None) }
    }

    /// Waits until `bytes` more fit the rate: the time they take at the
    /// rate, after every byte paid for before them.
    pub(crate) async fn pay(&self, bytes: u64) {
        if bytes == 0 {
            return;
        }
        let due = {
            let mut paid = self.paid_until.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let now = Instant::now();
            let from = paid.filter(|t| *t > now).unwrap_or(now);
            let due = from.checked_add(self.time_for(bytes)).unwrap_or(from);
            *paid = Some(due);
            due
        };
        tokio::time::sleep_until(due).await;
    }

    /// Gives back `bytes` paid for but not sent (an answer shorter than the
    /// range asked): the bytes paid for after them go that much sooner, but
    /// never earlier than now.
    pub(crate) fn refund(&self, bytes: u64) {
        if bytes == 0 {
            return;
        }
        let mut paid = self.paid_until.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        if let Some(until) = *paid {
            let back = until.checked_sub(self.time_for(bytes)).unwrap_or(now);
            *paid = Some(back.max(now));
        }
    }

    /// How long `bytes` take at the rate, at most [`MAX_WAIT`].
    fn time_for(&self, bytes: u64) -> Duration {
        Duration::try_from_secs_f64(bytes as f64 / self.rate as f64).unwrap_or(MAX_WAIT).min(MAX_WAIT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bytes_go_at_the_rate_one_after_the_other_without_catching_up() {
        let pacer = Pacer::new(1000);
        let start = Instant::now();
        pacer.pay(500).await;
        assert_eq!(start.elapsed(), Duration::from_millis(500));
        // Two payments at once are served one after the other.
        let (a, b) = tokio::join!(pacer.pay(1000), pacer.pay(1000));
        let ((), ()) = (a, b);
        assert_eq!(start.elapsed(), Duration::from_millis(2500));
        // A pause is not made up for with a burst.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let resumed = Instant::now();
        pacer.pay(250).await;
        assert_eq!(resumed.elapsed(), Duration::from_millis(250));
        pacer.pay(0).await;
        assert_eq!(resumed.elapsed(), Duration::from_millis(250));
    }

    /// At a rate of 1 byte a second, an absurd length (a `Content-Length`
    /// or range near `u64::MAX`) once overflowed the clock and panicked.
    #[tokio::test(start_paused = true)]
    async fn an_absurd_length_waits_at_most_the_cap_and_never_overflows() {
        let pacer = Pacer::new(1);
        let start = Instant::now();
        pacer.pay(u64::MAX).await;
        assert_eq!(start.elapsed(), MAX_WAIT);
        pacer.pay(u64::MAX).await;
        assert_eq!(start.elapsed(), 2 * MAX_WAIT, "one payment after the other, each capped");
        pacer.refund(u64::MAX);
        pacer.pay(1).await;
        assert_eq!(start.elapsed(), 2 * MAX_WAIT + Duration::from_secs(1), "a refund never goes before now");
    }

    /// A range paid for in full whose answer was shorter gives the rest
    /// back: bytes paid for after the refund go that much sooner.
    #[tokio::test(start_paused = true)]
    async fn a_refund_lets_the_next_bytes_go_sooner() {
        let pacer = Pacer::new(1000);
        let start = Instant::now();
        let asked = async {
            // 2000 asked, 500 in the answer.
            pacer.pay(2000).await;
            pacer.refund(1500);
        };
        let queued = pacer.pay(500);
        let later = async {
            tokio::time::sleep(Duration::from_millis(2100)).await;
            pacer.pay(500).await;
            start.elapsed()
        };
        let ((), (), later) = tokio::join!(asked, queued, later);
        // Without the refund: after the queued 500, at 2.5 s, so at 3 s.
        assert_eq!(later, Duration::from_millis(2600));
    }
}
