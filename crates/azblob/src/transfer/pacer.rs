//! `Pacer`: a rate cap on the bytes a whole job puts on the wire.
//!
//! A many-file job with a cap hands one pacer to every transfer it runs
//! (through their [`BlobTarget`](super::BlobTarget)); each request body is
//! paid for before it is sent, and each Get's body once its head says how
//! long it is, before it is read. It is a token bucket with no reserve:
//! bytes are paid for at the rate, one after the other, so a job of `n`
//! bytes cannot end before `n / rate` seconds, and a job that paused (a
//! slow listing) does not burst afterwards to catch up.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

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
            let due = from + Duration::from_secs_f64(bytes as f64 / self.rate as f64);
            *paid = Some(due);
            due
        };
        tokio::time::sleep_until(due).await;
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
}
