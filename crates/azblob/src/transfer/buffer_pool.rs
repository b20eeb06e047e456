//! Block buffers reused across an upload, bounded by its concurrency.
//!
//! A fresh 8 MiB buffer per block costs its page faults again every time
//! (the allocator hands large blocks back to the kernel when they are
//! freed): a fifth of an upload's CPU time went to faulting in pages that
//! were then written over by the read. The pool keeps the buffers it made,
//! so each page is faulted in once per upload, and never makes more than
//! its capacity, so memory stays within `capacity × buffer size` whatever
//! the blob's size. A filled buffer becomes [`Bytes`] through
//! [`Bytes::from_owner`]: it comes back to the pool only when the last
//! clone drops, including one that a retried request still holds.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::gauge::{BufferGauge, GaugeGuard};
use super::options::UploadOptions;
use crate::error::{Error, ErrorKind, Result};

/// Where each buffer's content starts: on a page boundary. The kernel
/// copies a file's pages into the buffer with `rep movsb`, which on the
/// bench machine took 0.55 CPU-s per GiB into a buffer 16 bytes past a page
/// boundary (where the allocator puts a large block) and 0.15 to 0.25 into
/// one on the boundary.
const ALIGN: usize = 4096;

/// How many block buffers of `block_size` an upload may hold at once: one
/// per block in flight, which is also the adaptive limiter's cap. The one
/// place the bound is computed from the options.
pub(crate) fn pool_capacity(options: &UploadOptions, block_size: u64) -> usize {
    options.concurrency.buffers(block_size, options.memory_budget).max(1)
}

/// A bounded set of equal buffers, handed out and taken back.
#[derive(Debug, Clone)]
pub(crate) struct BufferPool {
    home: Arc<Home>,
}

/// What the pool and every buffer it handed out share.
#[derive(Debug)]
struct Home {
    /// Buffers made and not in use, ready to be handed out again.
    free: Mutex<Vec<Slab>>,
    /// One permit per buffer that may exist; a buffer holds one until it
    /// comes back, so waiting for a permit is waiting for a buffer.
    permits: Arc<Semaphore>,
    buffer_size: usize,
    gauge: Arc<BufferGauge>,
}

/// A buffer's memory and its place on the gauge, which it keeps for as long
/// as it exists, in use or not: a free buffer is still memory held.
#[derive(Debug)]
struct Slab {
    data: Vec<u8>,
    /// The offset of the first page boundary in `data`, where the content starts.
    start: usize,
    _guard: GaugeGuard,
}

impl Slab {
    fn new(size: usize, gauge: &Arc<BufferGauge>) -> Self {
        // Zeroed memory comes from the kernel untouched, so a buffer costs
        // its page faults once, when its first block is read. The gauge
        // counts the payload, not the page of slack for the alignment.
        let data = vec![0; size + ALIGN];
        let start = data.as_ptr().align_offset(ALIGN).min(ALIGN);
        Slab { data, start, _guard: gauge.hold(size as u64) }
    }

    fn get(&self, len: usize) -> &[u8] {
        &self.data[self.start..self.start + len]
    }

    fn get_mut(&mut self, len: usize) -> &mut [u8] {
        &mut self.data[self.start..self.start + len]
    }
}

impl BufferPool {
    /// A pool of at most `capacity` buffers of `buffer_size` bytes, each
    /// counted on `gauge` from when it is made until the pool and every
    /// handout of it are gone.
    pub(crate) fn new(capacity: usize, buffer_size: usize, gauge: &Arc<BufferGauge>) -> Self {
        let home = Home {
            // Buffers are made as they are first asked for, so the list starts empty.
            free: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(capacity.max(1))),
            buffer_size,
            gauge: Arc::clone(gauge),
        };
        BufferPool { home: Arc::new(home) }
    }

    /// A buffer of the pool's size, waiting while all are in use. A reused
    /// buffer holds whatever was last written to it.
    pub(crate) async fn get(&self) -> Result<PoolBuffer> {
        let permit = Arc::clone(&self.home.permits)
            .acquire_owned()
            .await
            .map_err(|_| Error::new(ErrorKind::Other, "the buffer pool was closed"))?;
        let reused = self.home.free.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let slab = reused.unwrap_or_else(|| Slab::new(self.home.buffer_size, &self.home.gauge));
        Ok(PoolBuffer { slab: Some(slab), len: 0, home: Arc::clone(&self.home), _permit: permit })
    }
}

/// A buffer out of the pool: written through [`PoolBuffer::space`], then
/// frozen into [`Bytes`]. It goes back to the pool when dropped, or, once
/// frozen, when the last clone of its `Bytes` drops.
#[derive(Debug)]
pub(crate) struct PoolBuffer {
    /// Always `Some` until `drop` moves it home.
    slab: Option<Slab>,
    /// How many bytes, from the start, are the content once frozen.
    len: usize,
    home: Arc<Home>,
    /// Released after the slab is back on the free list (fields drop after
    /// `Drop::drop`), so whoever gets the permit finds the buffer there.
    _permit: OwnedSemaphorePermit,
}

impl PoolBuffer {
    /// The first `len` bytes of the buffer, to be written (at most its size).
    pub(crate) fn space(&mut self, len: usize) -> &mut [u8] {
        match &mut self.slab {
            Some(slab) => slab.get_mut(len.min(self.home.buffer_size)),
            None => &mut [],
        }
    }

    /// The first `len` bytes, shared; the buffer stays out of the pool
    /// until every clone of them drops.
    pub(crate) fn freeze(mut self, len: usize) -> Bytes {
        self.len = len.min(self.home.buffer_size);
        Bytes::from_owner(self)
    }
}

impl AsRef<[u8]> for PoolBuffer {
    fn as_ref(&self) -> &[u8] {
        match &self.slab {
            Some(slab) => slab.get(self.len),
            None => &[],
        }
    }
}

impl Drop for PoolBuffer {
    fn drop(&mut self) {
        if let Some(slab) = self.slab.take() {
            self.home.free.lock().unwrap_or_else(|p| p.into_inner()).push(slab);
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    #[tokio::test]
    async fn buffers_are_reused_and_never_more_than_the_capacity() {
        let gauge = Arc::new(BufferGauge::default());
        let pool = BufferPool::new(2, 1024, &gauge);
        let mut a = pool.get().await.unwrap();
        let b = pool.get().await.unwrap();
        let first = a.space(1024).as_ptr();
        assert_eq!(first.align_offset(ALIGN), 0, "the content starts on a page boundary");
        assert!(pool.get().now_or_never().is_none(), "a third buffer waits");
        drop(a);
        let mut c = pool.get().now_or_never().expect("a buffer came back").unwrap();
        assert_eq!(c.space(1024).as_ptr(), first, "the same memory, reused");
        drop((b, c));
        for _ in 0..10 {
            drop(pool.get().await.unwrap());
        }
        assert_eq!(gauge.peak(), 2 * 1024, "two buffers made, no more");
    }

    #[tokio::test]
    async fn a_frozen_buffer_comes_back_only_after_every_clone_drops() {
        let gauge = Arc::new(BufferGauge::default());
        let pool = BufferPool::new(1, 8, &gauge);
        let mut buffer = pool.get().await.unwrap();
        buffer.space(3).copy_from_slice(b"abc");
        let bytes = buffer.freeze(3);
        let (retry, slice) = (bytes.clone(), bytes.slice(1..));
        assert_eq!((&bytes[..], &slice[..]), (&b"abc"[..], &b"bc"[..]));
        drop(bytes);
        assert!(pool.get().now_or_never().is_none(), "two clones still hold it");
        drop(retry);
        assert!(pool.get().now_or_never().is_none(), "a slice still holds it");
        drop(slice);
        let mut again = pool.get().now_or_never().expect("back in the pool").unwrap();
        assert_eq!(again.space(3), b"abc", "the same buffer, as it was");
    }

    #[tokio::test]
    async fn the_gauge_counts_buffers_until_the_last_one_is_gone() {
        let gauge = Arc::new(BufferGauge::default());
        let pool = BufferPool::new(4, 100, &gauge);
        let held = pool.get().await.unwrap().freeze(10);
        drop(pool);
        assert_eq!(gauge.live(), 100, "a buffer still in use outlives its pool");
        drop(held);
        assert_eq!(gauge.live(), 0);
        assert_eq!(gauge.peak(), 100);
    }

    #[test]
    fn the_capacity_is_one_buffer_per_block_in_flight() {
        let options = UploadOptions { concurrency: 6.into(), ..UploadOptions::default() };
        assert_eq!(pool_capacity(&options, 8 << 20), 6);
        let adaptive = UploadOptions { memory_budget: 64 << 20, ..UploadOptions::default() };
        assert_eq!(pool_capacity(&adaptive, 8 << 20), 8);
        assert_eq!(pool_capacity(&adaptive, 128 << 20), 1);
    }
}
