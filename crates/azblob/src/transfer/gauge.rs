//! `BufferGauge` counts the payload bytes a transfer holds, so tests and
//! benchmarks can check the memory bound without measuring RSS.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Live and peak payload bytes of one transfer.
#[derive(Debug, Default)]
pub(crate) struct BufferGauge {
    live: AtomicU64,
    peak: AtomicU64,
}

impl BufferGauge {
    /// Records `bytes` as held until the returned guard drops.
    pub(crate) fn hold(self: &Arc<Self>, bytes: u64) -> GaugeGuard {
        let live = self.live.fetch_add(bytes, Ordering::SeqCst) + bytes;
        self.peak.fetch_max(live, Ordering::SeqCst);
        GaugeGuard { gauge: Arc::clone(self), bytes }
    }

    /// The most bytes held at once so far.
    pub(crate) fn peak(&self) -> u64 {
        self.peak.load(Ordering::SeqCst)
    }

    /// The bytes held now.
    #[cfg(test)]
    pub(crate) fn live(&self) -> u64 {
        self.live.load(Ordering::SeqCst)
    }
}

/// Releases its bytes from the gauge when dropped.
#[derive(Debug)]
pub(crate) struct GaugeGuard {
    gauge: Arc<BufferGauge>,
    bytes: u64,
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.gauge.live.fetch_sub(self.bytes, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_the_peak() {
        let g = Arc::new(BufferGauge::default());
        let a = g.hold(10);
        let b = g.hold(5);
        drop(a);
        let _c = g.hold(3);
        drop(b);
        assert_eq!(g.peak(), 15);
        assert_eq!(g.live.load(Ordering::SeqCst), 3);
    }
}
