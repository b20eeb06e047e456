//! The whole blob's MD5 computed from the blocks as they are sent or received.
//!
//! Blocks are read and sent `concurrency` at a time and finish in any order,
//! but an MD5 must see the bytes in order. Each block waits for its turn
//! after it is read and before it is sent, so the digest covers exactly the
//! bytes that go out, with no second pass over the source (which could read
//! different bytes) and no buffer beyond the blocks already in flight.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use md5::Digest as _;
use tokio::sync::watch;

use super::hash::{until_dropped, update_until_stopped};
use crate::error::{Error, ErrorKind, Result};

/// An MD5 fed by blocks `0, 1, 2, ...` in index order; see the module docs.
#[derive(Debug)]
pub(crate) struct OrderedMd5 {
    /// The index of the next block to hash.
    turn: watch::Sender<u64>,
    hasher: Arc<Mutex<md5::Md5>>,
}

impl OrderedMd5 {
    pub(crate) fn new() -> Self {
        OrderedMd5 { turn: watch::Sender::new(0), hasher: Arc::new(Mutex::new(md5::Md5::new())) }
    }

    /// Waits until every block before `index` is hashed, then hashes `data`
    /// and hands it back.
    ///
    /// Blocks must be handed out in index order with none skipped, so the
    /// lowest block in flight can always go ahead and the others wait for it.
    pub(crate) async fn add<T: HashParts>(&self, index: u64, data: T) -> Result<T> {
        self.turn(index)
            .await?
            .run(move |hasher, stop| {
                let done = data.parts().iter().all(|part| update_until_stopped(hasher, part, stop));
                done.then_some(data)
            })
            .await
    }

    /// Waits until every block before `index` is hashed; the [`Turn`] then
    /// hashes block `index`. Between the two the caller may take what the
    /// hashing needs (an upload takes its buffer only once its turn came,
    /// so the blocks waiting for their turn hold no buffer).
    pub(crate) async fn turn(&self, index: u64) -> Result<Turn<'_>> {
        let mut turn = self.turn.subscribe();
        turn.wait_for(|&next| next == index)
            .await
            .map_err(|_| Error::new(ErrorKind::Other, "the MD5 of the transfer was abandoned"))?;
        Ok(Turn { md5: self })
    }

    /// The digest of every block added.
    pub(crate) fn finish(&self) -> [u8; 16] {
        self.hasher.lock().unwrap_or_else(|p| p.into_inner()).clone().finalize().into()
    }
}

/// One block's turn to be hashed; see [`OrderedMd5::turn`].
#[derive(Debug)]
pub(crate) struct Turn<'a> {
    md5: &'a OrderedMd5,
}

impl Turn<'_> {
    /// Runs `work` on a blocking thread with the hasher, then passes the
    /// turn on to the next block. `work` feeds the hasher exactly this
    /// block's bytes (an upload's file block is hashed piece by piece as it
    /// is read, while each piece is still in the cache), or returns `None`
    /// when it saw the stop flag, which is set when this future is dropped.
    /// A `T` that carries an error passes the turn on too, but then the
    /// transfer fails and the digest is never used.
    pub(crate) async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce(&mut md5::Md5, &AtomicBool) -> Option<T> + Send + 'static,
    ) -> Result<T> {
        let hasher = Arc::clone(&self.md5.hasher);
        // Hashing a large block takes milliseconds (a 4000 MiB block,
        // seconds): off the async workers, and stopped if the transfer is
        // dropped. A stopped hash leaves the digest unusable, but then no
        // block after this one is ever hashed or committed.
        let data = until_dropped(move |stop| {
            let mut hasher = hasher.lock().unwrap_or_else(|p| p.into_inner());
            work(&mut hasher, stop)
        })
        .await?;
        self.md5.turn.send_modify(|next| *next += 1);
        Ok(data)
    }
}

/// A block's bytes, in one or more parts, moved to the hashing thread and back.
pub(crate) trait HashParts: Send + 'static {
    /// The parts, in order.
    fn parts(&self) -> Vec<&[u8]>;
}

impl HashParts for Bytes {
    fn parts(&self) -> Vec<&[u8]> {
        vec![self]
    }
}

impl HashParts for bytes::BytesMut {
    fn parts(&self) -> Vec<&[u8]> {
        vec![self]
    }
}

#[cfg(test)]
mod tests {
    use futures_util::stream::{self, StreamExt, TryStreamExt};

    use super::*;
    use crate::ops::request_util::md5_digest;

    #[tokio::test]
    async fn blocks_finishing_out_of_order_hash_in_order() {
        let blocks: Vec<Bytes> = (0..20u8).map(|i| Bytes::from(vec![i; 100 + i as usize])).collect();
        let whole: Vec<u8> = blocks.iter().flat_map(|b| b.iter().copied()).collect();
        let md5 = OrderedMd5::new();
        // Later blocks are handed in first within each window of four.
        stream::iter(blocks.into_iter().enumerate())
            .map(|(i, data)| {
                let md5 = &md5;
                async move {
                    if i % 4 == 0 {
                        tokio::task::yield_now().await;
                    }
                    md5.add(i as u64, data).await.map(drop)
                }
            })
            .buffer_unordered(4)
            .try_collect::<()>()
            .await
            .unwrap();
        assert_eq!(md5.finish(), md5_digest(&whole));
    }
}
