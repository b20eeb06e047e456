//! Many small blobs at once: `put_blobs` and `get_blobs`, one request per
//! blob, as many in flight as the options' concurrency allows (adaptive by
//! default), each blob with its own outcome.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use http::StatusCode;

use super::ContainerClient;
use crate::error::Result;
use crate::ops::conditions::refine_if_not_exists;
use crate::ops::get_blob::GetOptions;
use crate::ops::put_blob::{build_put_blob_request, parse_write_response, PutBlobOptions, WriteResult};
use crate::transfer::{self, Concurrency, Limiter, SMALL_BLOB_CAP, SMALL_BLOB_START};

/// Options of [`ContainerClient::put_blobs_opts`].
#[derive(Debug, Clone, Default)]
pub struct PutBlobsOptions {
    /// Put Blob requests in flight (default adaptive, up to 256).
    pub concurrency: Concurrency,
    /// What every blob is written with: content headers, metadata, tier,
    /// conditions and transactional MD5.
    pub blob: PutBlobOptions,
}

/// Options of [`ContainerClient::get_blobs_opts`].
#[derive(Debug, Clone, Default)]
pub struct GetBlobsOptions {
    /// Get Blob requests in flight (default adaptive, up to 256).
    pub concurrency: Concurrency,
}

impl ContainerClient {
    /// Writes many blobs, each with one
    /// [Put Blob](https://learn.microsoft.com/rest/api/storageservices/put-blob),
    /// and yields each blob's name and outcome as it completes (not in the
    /// order given). One blob failing does not stop the others.
    ///
    /// ```no_run
    /// # async fn f(container: azblob::ContainerClient) {
    /// use futures_util::StreamExt;
    /// let items = (0..100).map(|i| (format!("shard-{i}"), bytes::Bytes::from(vec![0u8; 65536])));
    /// let mut results = container.put_blobs(items);
    /// while let Some((name, result)) = results.next().await {
    ///     if let Err(e) = result {
    ///         eprintln!("{name}: {e}");
    ///     }
    /// }
    /// # }
    /// ```
    pub fn put_blobs<I>(&self, items: I) -> BoxStream<'static, (String, Result<WriteResult>)>
    where
        I: IntoIterator<Item = (String, Bytes)>,
        I::IntoIter: Send + 'static,
    {
        self.put_blobs_opts(items, &PutBlobsOptions::default())
    }

    /// [`put_blobs`](Self::put_blobs) with a concurrency and the settings
    /// every blob is written with. A `Fixed(0)` concurrency fails every blob
    /// with `InvalidInput`.
    pub fn put_blobs_opts<I>(
        &self,
        items: I,
        options: &PutBlobsOptions,
    ) -> BoxStream<'static, (String, Result<WriteResult>)>
    where
        I: IntoIterator<Item = (String, Bytes)>,
        I::IntoIter: Send + 'static,
    {
        let concurrency = options.concurrency;
        let (limiter, cap) = limiter(concurrency);
        let (container, blob_options) = (self.clone(), options.blob.clone());
        let items = items.into_iter();
        stream::iter(items)
            .map(move |(name, data)| {
                let (container, blob_options, limiter) =
                    (container.clone(), blob_options.clone(), Arc::clone(&limiter));
                async move {
                    let result = async {
                        concurrency.validate()?;
                        let target = container.blob(name.clone()).transfer_target()?;
                        let request = build_put_blob_request(target.url().clone(), data, &blob_options)?;
                        let _permit = limiter.acquire().await;
                        let target = target.counting(limiter.tally());
                        let response = target
                            .execute(request)
                            .await
                            .map_err(|e| refine_if_not_exists(e, &blob_options.conditions))?;
                        parse_write_response(&response, StatusCode::CREATED).map_err(|e| e.with_operation("PutBlob"))
                    }
                    .await;
                    (name, result)
                }
            })
            .buffer_unordered(cap)
            .boxed()
    }

    /// Reads many whole blobs into memory, each with one
    /// [Get Blob](https://learn.microsoft.com/rest/api/storageservices/get-blob)
    /// whose body resumes if it breaks off, and yields each blob's name and
    /// bytes as it completes (not in the order given). One blob failing does
    /// not stop the others.
    ///
    /// ```no_run
    /// # async fn f(container: azblob::ContainerClient) {
    /// use futures_util::StreamExt;
    /// let names = (0..100).map(|i| format!("shard-{i}"));
    /// let mut results = container.get_blobs(names);
    /// while let Some((name, result)) = results.next().await {
    ///     match result {
    ///         Ok(bytes) => println!("{name}: {} bytes", bytes.len()),
    ///         Err(e) => eprintln!("{name}: {e}"),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn get_blobs<I>(&self, names: I) -> BoxStream<'static, (String, Result<Bytes>)>
    where
        I: IntoIterator<Item = String>,
        I::IntoIter: Send + 'static,
    {
        self.get_blobs_opts(names, &GetBlobsOptions::default())
    }

    /// [`get_blobs`](Self::get_blobs) with a concurrency. A `Fixed(0)`
    /// concurrency fails every blob with `InvalidInput`.
    pub fn get_blobs_opts<I>(&self, names: I, options: &GetBlobsOptions) -> BoxStream<'static, (String, Result<Bytes>)>
    where
        I: IntoIterator<Item = String>,
        I::IntoIter: Send + 'static,
    {
        let concurrency = options.concurrency;
        let (limiter, cap) = limiter(concurrency);
        let container = self.clone();
        stream::iter(names)
            .map(move |name| {
                let (container, limiter) = (container.clone(), Arc::clone(&limiter));
                async move {
                    let result = async {
                        concurrency.validate()?;
                        let target = container.blob(name.clone()).transfer_target()?;
                        let _permit = limiter.acquire().await;
                        let target = target.counting(limiter.tally());
                        transfer::get(&target, &GetOptions::default()).await?.bytes().await
                    }
                    .await;
                    (name, result)
                }
            })
            .buffer_unordered(cap)
            .boxed()
    }
}

/// The limiter for many small blobs and the most requests it lets out. An
/// invalid concurrency still gets one (of 1): `Concurrency::validate`
/// fails each blob instead of the call.
fn limiter(concurrency: Concurrency) -> (Arc<Limiter>, usize) {
    let cap = concurrency.buffers(1, SMALL_BLOB_CAP as u64);
    (Limiter::starting_at(SMALL_BLOB_START, concurrency, cap, Arc::default()), cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_small_blobs_start_at_16_in_flight_and_a_fixed_level_pins_it() {
        let (adaptive, cap) = limiter(Concurrency::Adaptive);
        assert_eq!((adaptive.limit(), cap), (SMALL_BLOB_START, SMALL_BLOB_CAP));
        assert_eq!(SMALL_BLOB_START, 16);
        let (fixed, cap) = limiter(Concurrency::Fixed(4));
        assert_eq!((fixed.limit(), cap), (4, 4));
    }
}
