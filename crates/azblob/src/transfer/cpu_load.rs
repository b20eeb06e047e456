//! How busy the machine's CPUs are, and how much of that is this process,
//! for adaptive concurrency: a transfer whose process keeps the CPUs busy
//! gains nothing from more requests in flight, which would only compete for
//! the same cores. When the CPUs are busy with other work (a training job
//! beside a dataset download), more requests still shorten a transfer that
//! waits on the network, so that case is told apart.
//!
//! The readings are the first line of Linux's `/proc/stat` (the time all
//! CPUs spent busy and in total) and `/proc/self/stat` (this process's user
//! and system time, all its threads), both in clock ticks, taken by a
//! [`CpuWatch`] each time the controller closes a window (so at most once
//! every 10 ms, and never by a transfer too short to close one). Elsewhere,
//! or where they cannot be read, there is no reading and the controller
//! decides from throughput alone, as it did before. In a container `/proc/stat`
//! counts the host's CPUs, not the container's quota, so an exhausted quota
//! reads as idle CPUs there: the controller then probes as if it had no
//! reading, which costs nothing it did not cost before.

use std::collections::VecDeque;

/// CPU time since boot, in clock ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CpuTimes {
    /// Ticks all the machine's CPUs spent running anything, or stolen by the hypervisor.
    pub(crate) busy: u64,
    /// Every tick of all the machine's CPUs, idle and waiting for I/O included.
    pub(crate) total: u64,
    /// Ticks this process ran, in user and system mode.
    pub(crate) own: u64,
}

/// The fewest ticks between two readings that tell a busy share: on a
/// machine of two CPUs 10 ticks are 50 ms, which a transfer's first
/// decision (after about three windows) has seen, and one tick more or less
/// moves the share by 10%.
const MIN_TICKS: u64 = 10;
/// The busy share of the machine's CPUs at or above which, if this process
/// is [`OWN_SHARE`] of it, the process keeps the CPUs busy.
const CPU_BUSY: f64 = 0.9;
/// The share of the busy CPU time that is this process's, at or above which
/// busy CPUs are this process's doing.
const OWN_SHARE: f64 = 0.5;
/// Once the process keeps the CPUs busy, it goes on doing so until a span
/// reads less busy than this, or less of it its own than [`OWN_STILL`]: a
/// span of 10 to 13 ticks moves by a tick's 8 to 10% from one reading to
/// the next, and with one threshold a held 2-core upload read 0.85 busy in
/// one span of six runs and doubled.
const CPU_STILL: f64 = 0.8;
/// See [`CPU_STILL`].
const OWN_STILL: f64 = 0.4;
/// The most readings a watch keeps (it needs those of the last
/// [`MIN_TICKS`] only, unless the counters stand still).
const HISTORY_MAX: usize = 64;

/// What the CPUs did between two readings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Load {
    /// The share of all CPU time that was busy.
    pub(crate) busy: f64,
    /// The share of that busy time that was this process's.
    pub(crate) own: f64,
}

impl CpuTimes {
    /// The machine's and this process's times from `/proc/stat` and `/proc/self/stat`.
    pub(crate) fn parse(stat: &str, own_stat: &str) -> Option<CpuTimes> {
        let (busy, total) = parse_machine(stat)?;
        Some(CpuTimes { busy, total, own: parse_own(own_stat)? })
    }

    /// What the CPUs did between `earlier` and this reading, or `None` when
    /// too little time passed to tell (or a counter went backwards).
    pub(crate) fn load_since(&self, earlier: &CpuTimes) -> Option<Load> {
        let total = self.total.checked_sub(earlier.total)?;
        let busy = self.busy.checked_sub(earlier.busy)?;
        let own = self.own.checked_sub(earlier.own)?;
        if total < MIN_TICKS {
            return None;
        }
        // Ticks are sampled per CPU and per process apart, so `own` can
        // exceed `busy` by a tick or two: the share is capped at all of it.
        let own = if busy == 0 { 0.0 } else { (own as f64 / busy as f64).min(1.0) };
        Some(Load { busy: busy as f64 / total as f64, own })
    }
}

/// `/proc/stat`'s aggregate line, `cpu user nice system idle iowait irq
/// softirq steal guest guest_nice`, as busy and total ticks. Guest time is
/// already counted in user and nice, so it is not added again; idle and
/// iowait are the time no task ran.
fn parse_machine(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().next()?;
    let mut fields = line.split_ascii_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let ticks: Vec<u64> = fields.take(8).map(|f| f.parse().ok()).collect::<Option<_>>()?;
    // Kernels before 2.6.11 had no steal column; 4 columns is the least that says anything.
    if ticks.len() < 4 {
        return None;
    }
    let total = ticks.iter().try_fold(0u64, |sum, &t| sum.checked_add(t))?;
    let idle = ticks[3] + ticks.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// `/proc/self/stat`'s utime and stime (fields 14 and 15), counted after the
/// command name's closing parenthesis, since the name may hold spaces and
/// parentheses of its own.
fn parse_own(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_ascii_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    utime.checked_add(stime)
}

impl Load {
    /// Whether this process kept the CPUs busy, given whether it did over
    /// the span before: they were [`CPU_BUSY`] and [`OWN_SHARE`] of that was
    /// this process, or, if it did before, [`CPU_STILL`] and [`OWN_STILL`].
    pub(crate) fn bound(&self, before: bool) -> bool {
        let (busy, own) = if before { (CPU_STILL, OWN_STILL) } else { (CPU_BUSY, OWN_SHARE) };
        self.busy >= busy && self.own >= own
    }
}

/// Reads the CPU times now, where the system tells them. The files are read
/// as bytes: a process may name itself with bytes that are not UTF-8.
pub(crate) fn read() -> Option<CpuTimes> {
    if cfg!(target_os = "linux") {
        let stat = std::fs::read("/proc/stat").ok()?;
        let own = std::fs::read("/proc/self/stat").ok()?;
        CpuTimes::parse(&String::from_utf8_lossy(&stat), &String::from_utf8_lossy(&own))
    } else {
        None
    }
}

/// Readings taken one after another, and whether this process kept the
/// CPUs busy over the last span long enough to tell: from the newest
/// earlier reading at least [`MIN_TICKS`] before the latest, to the latest.
/// Until a span is that long (a transfer's first 50 ms on 2 CPUs) it cannot
/// tell, and says no.
pub(crate) struct CpuWatch {
    gauge: Box<dyn FnMut() -> Option<CpuTimes> + Send>,
    history: VecDeque<CpuTimes>,
    bound: bool,
}

impl CpuWatch {
    /// A watch over `gauge`'s readings (the system's, or a script in tests).
    pub(crate) fn new(gauge: impl FnMut() -> Option<CpuTimes> + Send + 'static) -> Self {
        CpuWatch { gauge: Box::new(gauge), history: VecDeque::new(), bound: false }
    }

    /// A watch over this machine and process ([`read`]).
    pub(crate) fn system() -> Self {
        CpuWatch::new(read)
    }

    /// Takes a reading and judges the span it ends.
    pub(crate) fn sample(&mut self) {
        let Some(now) = (self.gauge)() else { return };
        // The second reading is old enough to be the span's start, so the first is not needed.
        while self.history.len() >= 2 && now.total.saturating_sub(self.history[1].total) >= MIN_TICKS {
            self.history.pop_front();
        }
        let start = self.history.front();
        let load = start.and_then(|start| now.load_since(start));
        if start.is_some_and(|start| now.total < start.total) || self.history.len() >= HISTORY_MAX {
            self.history.clear();
        }
        self.history.push_back(now);
        let bound = load.is_some_and(|l| l.bound(self.bound));
        if bound != self.bound {
            tracing::debug!(?load, bound, "adaptive concurrency: whether this process keeps the CPUs busy");
        }
        self.bound = bound;
    }

    /// Whether this process kept the CPUs busy over the last span that tells.
    pub(crate) fn bound(&self) -> bool {
        self.bound
    }
}

impl std::fmt::Debug for CpuWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpuWatch").field("history", &self.history).field("bound", &self.bound).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "cpu  100 5 50 800 20 3 2 10 7 0\ncpu0 50 2 25 400 10 1 1 5 3 0\nintr 1 2 3\n";
    /// A process named `a) b` (names may hold both), utime 40 and stime 2.
    const OWN: &str = "4242 (a) b) S 1 4242 4242 0 -1 4194304 98 0 1 0 40 2 0 0 20 0 3 0 1155239 3133440 382\n";

    #[test]
    fn the_machine_line_splits_busy_from_idle_and_the_process_line_gives_its_ticks() {
        // user + nice + system + irq + softirq + steal; guest is inside user.
        assert_eq!(CpuTimes::parse(STAT, OWN), Some(CpuTimes { busy: 170, total: 990, own: 42 }));
    }

    #[test]
    fn an_old_kernel_without_steal_still_reads() {
        assert_eq!(parse_machine("cpu 10 0 10 80\n"), Some((20, 100)));
    }

    #[test]
    fn anything_else_has_no_reading() {
        for bad in
            ["", "cpu0 1 2 3 4 5\n", "cpu 1 2\n", "cpu a b c d\n", "intr 1 2 3 4\n", "cpu 18446744073709551615 1 0 0\n"]
        {
            assert_eq!(parse_machine(bad), None, "{bad:?}");
        }
        for bad in
            ["", "4242 (x S 1 2 3 4 5 6 7 8 9 10 11 12", "4242 (x) S 1 2 3", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 u 2"]
        {
            assert_eq!(parse_own(bad), None, "{bad:?}");
        }
        assert_eq!(CpuTimes::parse(STAT, ""), None);
    }

    #[test]
    fn a_load_needs_enough_ticks_and_counters_that_only_grow() {
        let start = CpuTimes { busy: 1_000, total: 2_000, own: 500 };
        let at = |busy, total, own| CpuTimes { busy, total, own }.load_since(&start);
        assert_eq!(at(1_009, 2_009, 500), None);
        assert_eq!(at(1_009, 2_010, 503), Some(Load { busy: 0.9, own: 1.0 / 3.0 }));
        assert_eq!(at(1_010, 2_010, 512), Some(Load { busy: 1.0, own: 1.0 }), "capped at all of it");
        assert_eq!(at(1_000, 2_010, 500), Some(Load { busy: 0.0, own: 0.0 }));
        assert_eq!(at(999, 2_100, 500), None);
        assert_eq!(at(1_050, 2_100, 499), None);
    }

    #[test]
    fn this_machine_reads_where_it_is_linux() {
        assert_eq!(read().is_some(), cfg!(target_os = "linux"));
    }

    #[test]
    fn the_bounds_are_90_percent_busy_and_half_of_it_this_process_to_enter_and_80_and_40_to_stay() {
        let load = |busy, own, before| Load { busy, own }.bound(before);
        assert!(load(0.9, 0.5, false));
        assert!(!load(0.89, 1.0, false));
        assert!(!load(1.0, 0.49, false));
        assert!(load(0.8, 0.4, true));
        assert!(!load(0.79, 1.0, true));
        assert!(!load(1.0, 0.39, true));
    }

    /// A watch over scripted readings, `(busy, total, own)` each.
    fn watch(readings: &[(u64, u64, u64)]) -> CpuWatch {
        let mut script =
            readings.iter().map(|&(busy, total, own)| CpuTimes { busy, total, own }).collect::<VecDeque<_>>();
        CpuWatch::new(move || script.pop_front())
    }

    #[test]
    fn a_watch_judges_spans_of_enough_ticks_however_often_it_reads() {
        // 5 ticks between readings, all of them busy and this process's:
        // the second reading cannot tell, the third can.
        let mut w = watch(&[(0, 0, 0), (5, 5, 5), (10, 10, 10), (15, 15, 15), (15, 20, 15), (15, 25, 15)]);
        let verdicts: Vec<bool> = (0..6)
            .map(|_| {
                w.sample();
                w.bound()
            })
            .collect();
        // Then idle: 5 idle ticks make the span from 10 ticks back half idle.
        assert_eq!(verdicts, [false, false, true, true, false, false]);
        assert!(w.history.len() <= 3, "{w:?}");
    }

    #[test]
    fn a_watch_that_said_yes_goes_on_saying_it_until_a_span_reads_under_80_percent() {
        // 10 ticks a reading: all busy, then 80% (two ticks of noise), then 70%.
        let mut w = watch(&[(0, 0, 0), (10, 10, 10), (18, 20, 18), (25, 30, 25)]);
        let verdicts: Vec<bool> = (0..4)
            .map(|_| {
                w.sample();
                w.bound()
            })
            .collect();
        assert_eq!(verdicts, [false, true, true, false]);
        // The same 80% does not make a watch that said no say yes.
        let mut fresh = watch(&[(0, 0, 0), (8, 10, 8)]);
        fresh.sample();
        fresh.sample();
        assert!(!fresh.bound());
    }

    #[test]
    fn a_watch_without_readings_or_with_counters_that_go_back_says_no() {
        let mut none = CpuWatch::new(|| None);
        none.sample();
        assert!(!none.bound());
        let mut back = watch(&[(100, 100, 100), (200, 200, 200), (10, 10, 10), (15, 15, 15)]);
        back.sample();
        back.sample();
        assert!(back.bound());
        back.sample();
        assert!(!back.bound(), "the counters went back: {back:?}");
        back.sample();
        assert!(!back.bound(), "5 ticks since they started again");
    }
}
