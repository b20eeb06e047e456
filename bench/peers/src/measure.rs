//! Clocks, CPU time and peak memory of this process, and the result line in
//! the format of azblob's `bench-worker` (`print_line` in xtask's bench.rs).

use std::time::{Duration, Instant};

#[path = "../../../xtask/src/proc_stats.rs"]
mod proc_stats;
use proc_stats::{cpu_seconds, peak_rss_mib, reset_peak_rss};

/// A measurement started just before the timed part of a workload.
#[derive(Debug)]
pub(crate) struct Clock {
    started: Instant,
    cpu0: f64,
}

impl Clock {
    /// Starts the wall clock and notes the CPU time used so far, the peak
    /// memory so far forgotten (as in azblob's worker).
    pub(crate) fn start() -> Self {
        reset_peak_rss();
        Self { cpu0: cpu_seconds(), started: Instant::now() }
    }

    /// Wall seconds since the start.
    pub(crate) fn seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// The throughput line for `size` bytes moved since the start.
    pub(crate) fn line(&self, workload: &str, size: u64, note: &str) -> String {
        let seconds = self.seconds();
        let cpu = cpu_seconds() - self.cpu0;
        let gb = size as f64 / 1e9;
        format!("{workload:<16} {:>10.0} {:>12.2} {:>12.0} {note:>14}", gb * 1000.0 / seconds, cpu / gb, peak_rss_mib())
    }
}

/// `small-put-get`'s untimed and timed pairs, as in azblob's worker (`xtask/src/bench.rs`).
pub(crate) const WARM_UP_PAIRS: usize = 1000;
/// See [`WARM_UP_PAIRS`].
pub(crate) const TIMED_PAIRS: usize = 2000;

/// The latency line of the timed put and get pairs.
pub(crate) fn latency_line(client: &str, mut puts: Vec<Duration>, mut gets: Vec<Duration>) -> String {
    let note = format!(
        "{client} p50 {:.2}/{:.2} p99 {:.2}/{:.2} ms",
        quantile_ms(&mut puts, 0.5),
        quantile_ms(&mut gets, 0.5),
        quantile_ms(&mut puts, 0.99),
        quantile_ms(&mut gets, 0.99)
    );
    format!("{:<16} {:>10} {:>12} {:>12.0} {note:>14}", "4KiB put/get", "-", "-", peak_rss_mib())
}

/// The line of a listing of `count` blobs that took `seconds`.
pub(crate) fn list_line(client: &str, count: usize, seconds: f64) -> String {
    let note = format!("{client} {count} in {seconds:.3} s");
    format!("{:<16} {:>10} {:>12} {:>12.0} {note:>14}", "list 5,000", "-", "-", peak_rss_mib())
}

/// The `q` quantile of `samples` in milliseconds (nearest rank below, as azblob's worker).
fn quantile_ms(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort();
    samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0
}
