//! Clocks, CPU time and peak memory of this process, and the result line in
//! the format of azblob's `bench-worker` (`print_line` in xtask's bench.rs).

use std::time::{Duration, Instant};

/// A measurement started just before the timed part of a workload.
#[derive(Debug)]
pub(crate) struct Clock {
    started: Instant,
    cpu0: f64,
}

impl Clock {
    /// Starts the wall clock and notes the CPU time used so far.
    pub(crate) fn start() -> Self {
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

/// The latency line of 500 put and get pairs.
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

/// User plus system CPU seconds of this process, from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which may hold spaces, start after its ')'.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime, fields 14 and 15 of the whole line, in ticks of 1/100 s on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident memory (VmHWM) in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}
