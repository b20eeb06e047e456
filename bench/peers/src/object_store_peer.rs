//! The workloads through `object_store`'s Azure backend.
//!
//! Configuration, as its docs recommend for throughput: one
//! `MicrosoftAzureBuilder` store (its reqwest client pools connections),
//! the endpoint given path-style with `with_endpoint`, plain HTTP allowed
//! (`with_allow_http`) since the sink is on loopback, Shared Key with the
//! emulator's account. Large uploads go through `WriteMultipart` with
//! 8 MiB parts and `wait_for_capacity(8)` to keep 8 parts in flight;
//! parallel downloads are 8 MiB `get_range` calls, 8 in flight
//! (`get_ranges` would coalesce adjacent ranges into one request).

use std::io::Read;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::azure::MicrosoftAzureBuilder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

use crate::measure::{latency_line, list_line, Clock, TIMED_PAIRS, WARM_UP_PAIRS};
use crate::{Job, ACCOUNT, ACCOUNT_KEY, CONCURRENCY, CONTAINER, PART};

/// Runs `job` and returns its result line.
pub(crate) async fn run(job: &Job) -> Result<String, String> {
    let store: Arc<dyn ObjectStore> = Arc::new(
        MicrosoftAzureBuilder::new()
            .with_endpoint(job.endpoint.clone())
            .with_allow_http(true)
            .with_account(ACCOUNT)
            .with_access_key(ACCOUNT_KEY)
            .with_container_name(CONTAINER)
            .build()
            .map_err(|e| e.to_string())?,
    );
    let big = Path::from("big.bin");
    let size = std::fs::metadata(&job.source).map_err(|e| e.to_string())?.len();
    match job.workload.as_str() {
        "upload-memory" => {
            // The source is read before the clock starts, as an upload from memory.
            let data = Bytes::from(std::fs::read(&job.source).map_err(|e| e.to_string())?);
            let clock = Clock::start();
            let parts = upload_parts(&store, &big, Chunks::Memory(data)).await?;
            Ok(clock.line("upload-memory", size, &format!("object_store {parts}x8MiB c8")))
        }
        "upload-one-put" => {
            let data = Bytes::from(std::fs::read(&job.source).map_err(|e| e.to_string())?);
            let clock = Clock::start();
            store.put(&big, PutPayload::from(data)).await.map_err(|e| e.to_string())?;
            Ok(clock.line("upload-one-put", size, "object_store one put"))
        }
        "download-memory" => {
            // The blob is put in place first from the file, 8 MiB at a time; not timed.
            upload_parts(&store, &big, Chunks::File(std::fs::File::open(&job.source).map_err(|e| e.to_string())?))
                .await?;
            let clock = Clock::start();
            let data = store.get(&big).await.map_err(|e| e.to_string())?.bytes().await.map_err(|e| e.to_string())?;
            check_len(data.len() as u64, size)?;
            Ok(clock.line("download-memory", size, "object_store one GET"))
        }
        "download-mem-c8" => {
            upload_parts(&store, &big, Chunks::File(std::fs::File::open(&job.source).map_err(|e| e.to_string())?))
                .await?;
            let clock = Clock::start();
            // The size comes from a HEAD, as a reader that does not know it must ask.
            let len = store.head(&big).await.map_err(|e| e.to_string())?.size;
            let ranges = (0..len).step_by(PART).map(|start| start..(start + PART as u64).min(len));
            // The parts stay separate `Bytes`, as get_ranges would return them.
            let parts: Vec<Bytes> = futures_util::stream::iter(ranges)
                .map(|range| {
                    let store = Arc::clone(&store);
                    let big = big.clone();
                    async move { store.get_range(&big, range).await }
                })
                .buffered(CONCURRENCY)
                .try_collect()
                .await
                .map_err(|e| e.to_string())?;
            check_len(parts.iter().map(|p| p.len() as u64).sum(), size)?;
            Ok(clock.line("download-mem-c8", size, "object_store 8MiB ranges c8"))
        }
        "small-put-get" => {
            let small = Path::from("small.bin");
            let payload = Bytes::from(vec![7u8; 4096]);
            for _ in 0..WARM_UP_PAIRS {
                store.put(&small, PutPayload::from(payload.clone())).await.map_err(|e| e.to_string())?;
                store.get(&small).await.map_err(|e| e.to_string())?.bytes().await.map_err(|e| e.to_string())?;
            }
            let (mut puts, mut gets) = (Vec::with_capacity(TIMED_PAIRS), Vec::with_capacity(TIMED_PAIRS));
            for _ in 0..TIMED_PAIRS {
                let t = Instant::now();
                store.put(&small, PutPayload::from(payload.clone())).await.map_err(|e| e.to_string())?;
                puts.push(t.elapsed());
                let t = Instant::now();
                store.get(&small).await.map_err(|e| e.to_string())?.bytes().await.map_err(|e| e.to_string())?;
                gets.push(t.elapsed());
            }
            Ok(latency_line("object_store", puts, gets))
        }
        "list-5000" => {
            futures_util::stream::iter(0..5000)
                .map(|i| {
                    let store = Arc::clone(&store);
                    async move { store.put(&Path::from(format!("list/{i:05}")), PutPayload::from_static(b"x")).await }
                })
                .buffer_unordered(32)
                .try_collect::<Vec<_>>()
                .await
                .map_err(|e| e.to_string())?;
            let clock = Clock::start();
            let count = store.list(Some(&Path::from("list"))).try_fold(0usize, |n, _| async move { Ok(n + 1) });
            let count = count.await.map_err(|e| e.to_string())?;
            Ok(list_line("object_store", count, clock.seconds()))
        }
        other => Err(format!("unknown workload {other}")),
    }
}

/// Where an upload's 8 MiB parts come from.
enum Chunks {
    /// Slices of bytes already in memory (no copy).
    Memory(Bytes),
    /// Pieces read from a file as they are needed.
    File(std::fs::File),
}

/// Uploads the chunks as a block blob, 8 MiB parts with 8 in flight; returns the part count.
async fn upload_parts(store: &Arc<dyn ObjectStore>, path: &Path, chunks: Chunks) -> Result<usize, String> {
    let upload = store.put_multipart(path).await.map_err(|e| e.to_string())?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
    let mut parts = 0;
    match chunks {
        Chunks::Memory(data) => {
            for start in (0..data.len()).step_by(PART) {
                writer.wait_for_capacity(CONCURRENCY).await.map_err(|e| e.to_string())?;
                writer.put(data.slice(start..(start + PART).min(data.len())));
                parts += 1;
            }
        }
        Chunks::File(mut file) => {
            let mut buf = vec![0u8; PART];
            loop {
                let n = read_full(&mut file, &mut buf)?;
                if n == 0 {
                    break;
                }
                writer.wait_for_capacity(CONCURRENCY).await.map_err(|e| e.to_string())?;
                writer.write(&buf[..n]);
                parts += 1;
            }
        }
    }
    writer.finish().await.map_err(|e| e.to_string())?;
    Ok(parts)
}

/// Fills `buf` from `file` as far as the file goes; returns the bytes read.
pub(crate) fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> Result<usize, String> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]).map_err(|e| e.to_string())? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Fails unless the bytes received are the blob's size.
pub(crate) fn check_len(got: u64, want: u64) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("received {got} bytes of {want}"))
    }
}
