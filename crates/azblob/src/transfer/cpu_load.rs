//! How busy the machine's CPUs are, for adaptive concurrency: a transfer
//! whose CPUs are all busy gains nothing from more requests in flight, which
//! would only compete for the same cores (and with the host's other work).
//!
//! The reading is the first line of Linux's `/proc/stat`, the time all CPUs
//! spent busy and in total, in clock ticks (100 a second). Elsewhere, or
//! where it cannot be read, there is no reading and the controller decides
//! from throughput alone, as it did before. In a container `/proc/stat`
//! counts the host's CPUs, not the container's quota, so a quota that is
//! exhausted reads as idle CPUs there: the controller then probes as if it
//! had none of this information, which costs nothing it did not cost before.

/// The CPU time of all the machine's CPUs since boot, in clock ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CpuTimes {
    /// Ticks spent running anything, or stolen by the hypervisor.
    pub(crate) busy: u64,
    /// Every tick, idle and waiting for I/O included.
    pub(crate) total: u64,
}

/// The fewest ticks between two readings that tell a busy share: on a
/// machine of two CPUs 10 ticks are 50 ms, which a transfer's first
/// decision (after about three windows) has seen, and one tick more or less
/// moves the share by 10%.
const MIN_TICKS: u64 = 10;

impl CpuTimes {
    /// Parses `/proc/stat`'s aggregate line: `cpu user nice system idle
    /// iowait irq softirq steal guest guest_nice`. Guest time is already
    /// counted in user and nice, so it is not added again; idle and iowait
    /// are the time no task ran.
    pub(crate) fn parse(stat: &str) -> Option<CpuTimes> {
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
        Some(CpuTimes { busy: total - idle, total })
    }

    /// The share of CPU time that was busy between `earlier` and this
    /// reading, or `None` when too little time passed to tell (or the
    /// counters went backwards).
    pub(crate) fn busy_share_since(&self, earlier: &CpuTimes) -> Option<f64> {
        let total = self.total.checked_sub(earlier.total)?;
        let busy = self.busy.checked_sub(earlier.busy)?;
        (total >= MIN_TICKS).then(|| busy as f64 / total as f64)
    }
}

/// Reads the machine's CPU times now, where the system tells them.
pub(crate) fn read() -> Option<CpuTimes> {
    if cfg!(target_os = "linux") {
        CpuTimes::parse(&std::fs::read_to_string("/proc/stat").ok()?)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "cpu  100 5 50 800 20 3 2 10 7 0\ncpu0 50 2 25 400 10 1 1 5 3 0\nintr 1 2 3\n";

    #[test]
    fn the_aggregate_line_splits_busy_from_idle() {
        let t = CpuTimes::parse(STAT).unwrap();
        // user + nice + system + irq + softirq + steal; guest is inside user.
        assert_eq!(t, CpuTimes { busy: 170, total: 990 });
    }

    #[test]
    fn an_old_kernel_without_steal_still_reads() {
        assert_eq!(CpuTimes::parse("cpu 10 0 10 80\n"), Some(CpuTimes { busy: 20, total: 100 }));
    }

    #[test]
    fn anything_else_has_no_reading() {
        for bad in
            ["", "cpu0 1 2 3 4 5\n", "cpu 1 2\n", "cpu a b c d\n", "intr 1 2 3 4\n", "cpu 18446744073709551615 1 0 0\n"]
        {
            assert_eq!(CpuTimes::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_share_needs_enough_ticks_and_counters_that_only_grow() {
        let start = CpuTimes { busy: 1_000, total: 2_000 };
        assert_eq!(CpuTimes { busy: 1_009, total: 2_009 }.busy_share_since(&start), None);
        assert_eq!(CpuTimes { busy: 1_009, total: 2_010 }.busy_share_since(&start), Some(0.9));
        assert_eq!(CpuTimes { busy: 999, total: 2_100 }.busy_share_since(&start), None);
    }

    #[test]
    fn this_machine_reads_where_it_is_linux() {
        assert_eq!(read().is_some(), cfg!(target_os = "linux"));
    }
}
