//! Whole-buffer MD5s off the async workers that stop when their future is dropped.
//!
//! A blocking task cannot be aborted once it runs, and the runtime waits for
//! it at shutdown, so an abandoned hash of a few GiB would keep a cancelled
//! transfer (or an interrupted CLI) busy for seconds. The hash runs in
//! pieces and checks a flag between them; dropping the future sets the flag.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use md5::Digest as _;

use crate::error::{Error, ErrorKind, Result};

/// How much is hashed between two looks at the stop flag: about a
/// millisecond of work, so a drop stops the task within milliseconds.
pub(crate) const PIECE: usize = 1024 * 1024;

/// Runs `work` on a blocking thread with a flag that is set when this future
/// is dropped; `work` returns `None` when it saw the flag and stopped.
pub(crate) async fn until_dropped<T: Send + 'static>(
    work: impl FnOnce(&AtomicBool) -> Option<T> + Send + 'static,
) -> Result<T> {
    let stop = StopOnDrop(Arc::new(AtomicBool::new(false)));
    let flag = Arc::clone(&stop.0);
    let done = tokio::task::spawn_blocking(move || work(&flag))
        .await
        .map_err(|e| Error::new(ErrorKind::Other, format!("the MD5 task failed: {e}")))?;
    // Only a drop sets the flag, and then nobody awaits this any more.
    done.ok_or_else(|| Error::new(ErrorKind::Other, "the MD5 task was stopped"))
}

/// Feeds `data` to `hasher` a piece at a time; `false` if `stop` was set
/// before the end (the hasher then holds a prefix and is of no use).
pub(crate) fn update_until_stopped(hasher: &mut md5::Md5, data: &[u8], stop: &AtomicBool) -> bool {
    for piece in data.chunks(PIECE) {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        hasher.update(piece);
    }
    true
}

/// Sets its flag when dropped.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::request_util::md5_digest;
    use bytes::Bytes;

    #[test]
    fn hashes_in_pieces_and_stops_when_asked() {
        let data: Vec<u8> = (0..3 * PIECE + 7).map(|i| (i % 251) as u8).collect();
        let mut hasher = md5::Md5::new();
        assert!(update_until_stopped(&mut hasher, &data, &AtomicBool::new(false)));
        assert_eq!(<[u8; 16]>::from(hasher.finalize()), md5_digest(&data));
        assert!(!update_until_stopped(&mut md5::Md5::new(), &data, &AtomicBool::new(true)));
    }

    #[test]
    fn dropping_the_guard_sets_the_flag() {
        let flag = Arc::new(AtomicBool::new(false));
        drop(StopOnDrop(Arc::clone(&flag)));
        assert!(flag.load(Ordering::Relaxed));
    }

    /// Bytes that report when the last reference to them is gone.
    struct Watched(Vec<u8>, Option<tokio::sync::oneshot::Sender<()>>);

    impl AsRef<[u8]> for Watched {
        fn as_ref(&self) -> &[u8] {
            &self.0
        }
    }

    impl Drop for Watched {
        fn drop(&mut self) {
            let _ = self.1.take().map(|done| done.send(()));
        }
    }

    #[tokio::test]
    async fn a_dropped_hash_stops_its_blocking_task() {
        // 2 GiB of zeroed pages, which cost no memory until read: hashing
        // them all would take seconds, even in a release build.
        let (done, released) = tokio::sync::oneshot::channel();
        let data = Bytes::from_owner(Watched(vec![0u8; 2 << 30], Some(done)));
        let md5 = super::super::ordered_md5::OrderedMd5::new();
        let mut hash = Box::pin(md5.add(0, data));
        // Polled once, so the blocking task starts; then dropped.
        assert!(futures_util::FutureExt::now_or_never(&mut hash).is_none());
        drop(hash);
        // The task owns the bytes: they are released when it ends.
        let stopped = tokio::time::timeout(std::time::Duration::from_secs(1), released).await;
        assert!(stopped.is_ok(), "the blocking hash ran on after its future was dropped");
    }
}
