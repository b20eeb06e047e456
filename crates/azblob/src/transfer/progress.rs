//! Progress of a transfer: bytes done and total, delivered to a sink.

use std::fmt;

/// How far a transfer has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TransferProgress {
    /// Bytes transferred (or found already present, for a resumed upload).
    pub bytes_done: u64,
    /// The total, when known (an upload from a stream of unknown length has none).
    pub bytes_total: Option<u64>,
}

/// Receives progress updates; called at least once per block or chunk.
///
/// Implemented for closures, for `tokio::sync::watch::Sender` (the receiver
/// sees the latest value) and for `tokio::sync::mpsc::UnboundedSender` (the
/// receiver sees every update).
pub trait ProgressSink: Send + Sync {
    /// A new progress value. Must return quickly: it runs on the transfer's task.
    fn on_progress(&self, progress: TransferProgress);
}

impl<F: Fn(TransferProgress) + Send + Sync> ProgressSink for F {
    fn on_progress(&self, progress: TransferProgress) {
        self(progress)
    }
}

impl ProgressSink for tokio::sync::watch::Sender<TransferProgress> {
    fn on_progress(&self, progress: TransferProgress) {
        self.send_replace(progress);
    }
}

impl ProgressSink for tokio::sync::mpsc::UnboundedSender<TransferProgress> {
    fn on_progress(&self, progress: TransferProgress) {
        // A receiver that went away no longer wants updates; that is not an error.
        let _ = self.send(progress);
    }
}

/// A shared, optional sink with a running total.
#[derive(Clone, Default)]
pub(crate) struct ProgressTracker {
    sink: Option<std::sync::Arc<dyn ProgressSink>>,
    done: std::sync::Arc<std::sync::atomic::AtomicU64>,
    total: Option<u64>,
}

impl ProgressTracker {
    pub(crate) fn new(sink: Option<std::sync::Arc<dyn ProgressSink>>, total: Option<u64>) -> Self {
        ProgressTracker { sink, done: Default::default(), total }
    }

    /// Adds `bytes` to the total done and reports it.
    pub(crate) fn advance(&self, bytes: u64) {
        let done = self.done.fetch_add(bytes, std::sync::atomic::Ordering::SeqCst) + bytes;
        if let Some(sink) = &self.sink {
            sink.on_progress(TransferProgress { bytes_done: done, bytes_total: self.total });
        }
    }
}

impl fmt::Debug for ProgressTracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProgressTracker").field("has_sink", &self.sink.is_some()).field("total", &self.total).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn closures_and_channels_receive_updates() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = {
            let seen = Arc::clone(&seen);
            move |p: TransferProgress| seen.lock().unwrap().push(p.bytes_done)
        };
        let tracker = ProgressTracker::new(Some(Arc::new(sink)), Some(10));
        tracker.advance(4);
        tracker.advance(6);
        assert_eq!(*seen.lock().unwrap(), vec![4, 10]);

        let (tx, rx) = tokio::sync::watch::channel(TransferProgress::default());
        let tracker = ProgressTracker::new(Some(Arc::new(tx)), Some(3));
        tracker.advance(3);
        assert_eq!(*rx.borrow(), TransferProgress { bytes_done: 3, bytes_total: Some(3) });
    }
}
