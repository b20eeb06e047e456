//! The workloads through `opendal`'s azblob service.
//!
//! Configuration, as its docs recommend for throughput: one `Operator`
//! over `services::Azblob` with the endpoint path-style, the emulator's
//! account and key and the container; its default reqwest transport and
//! tokio executor installed by `opendal::install_default`. Large writes
//! use a writer with `chunk(8 MiB)` and `concurrent(8)` (Put Block and
//! Put Block List); concurrent reads a reader with `chunk(8 MiB)` and
//! `concurrent(8)`. No retry or logging layer: the sink does not fail.

use std::time::Instant;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use opendal::{services, Operator};

use crate::measure::{latency_line, list_line, Clock, TIMED_PAIRS, WARM_UP_PAIRS};
use crate::object_store_peer::{check_len, read_full};
use crate::{Job, ACCOUNT, ACCOUNT_KEY, CONCURRENCY, CONTAINER, PART};

/// Runs `job` and returns its result line.
pub(crate) async fn run(job: &Job) -> Result<String, String> {
    opendal::install_default();
    let builder = services::Azblob::default()
        .endpoint(&job.endpoint)
        .account_name(ACCOUNT)
        .account_key(ACCOUNT_KEY)
        .container(CONTAINER);
    let op = Operator::new(builder).map_err(|e| e.to_string())?;
    let size = std::fs::metadata(&job.source).map_err(|e| e.to_string())?.len();
    match job.workload.as_str() {
        "upload-memory" => {
            // The source is read before the clock starts, as an upload from memory.
            let data = Bytes::from(std::fs::read(&job.source).map_err(|e| e.to_string())?);
            let clock = Clock::start();
            let mut writer =
                op.writer_with("big.bin").chunk(PART).concurrent(CONCURRENCY).await.map_err(|e| e.to_string())?;
            writer.write(data).await.map_err(|e| e.to_string())?;
            writer.close().await.map_err(|e| e.to_string())?;
            Ok(clock.line("upload-memory", size, "opendal writer 8MiB c8"))
        }
        "upload-one-put" => {
            let data = Bytes::from(std::fs::read(&job.source).map_err(|e| e.to_string())?);
            let clock = Clock::start();
            op.write("big.bin", data).await.map_err(|e| e.to_string())?;
            Ok(clock.line("upload-one-put", size, "opendal one write"))
        }
        "download-memory" => {
            put_from_file(&op, job).await?;
            let clock = Clock::start();
            let data = op.read("big.bin").await.map_err(|e| e.to_string())?;
            check_len(data.len() as u64, size)?;
            Ok(clock.line("download-memory", size, "opendal one read"))
        }
        "download-mem-c8" => {
            put_from_file(&op, job).await?;
            let clock = Clock::start();
            // The reader is told the size through a stat, as a reader of unknown length must.
            let len = op.stat("big.bin").await.map_err(|e| e.to_string())?.content_length();
            let reader =
                op.reader_with("big.bin").chunk(PART).concurrent(CONCURRENCY).await.map_err(|e| e.to_string())?;
            let data = reader.read(0..len).await.map_err(|e| e.to_string())?;
            check_len(data.len() as u64, size)?;
            Ok(clock.line("download-mem-c8", size, "opendal reader 8MiB c8"))
        }
        "small-put-get" => {
            let payload = Bytes::from(vec![7u8; 4096]);
            for _ in 0..WARM_UP_PAIRS {
                op.write("small.bin", payload.clone()).await.map_err(|e| e.to_string())?;
                op.read("small.bin").await.map_err(|e| e.to_string())?;
            }
            let (mut puts, mut gets) = (Vec::with_capacity(TIMED_PAIRS), Vec::with_capacity(TIMED_PAIRS));
            for _ in 0..TIMED_PAIRS {
                let t = Instant::now();
                op.write("small.bin", payload.clone()).await.map_err(|e| e.to_string())?;
                puts.push(t.elapsed());
                let t = Instant::now();
                op.read("small.bin").await.map_err(|e| e.to_string())?;
                gets.push(t.elapsed());
            }
            Ok(latency_line("opendal", puts, gets))
        }
        "list-5000" => {
            futures_util::stream::iter(0..5000)
                .map(|i| {
                    let op = op.clone();
                    async move { op.write(&format!("list/{i:05}"), Bytes::from_static(b"x")).await }
                })
                .buffer_unordered(32)
                .try_collect::<Vec<_>>()
                .await
                .map_err(|e| e.to_string())?;
            let clock = Clock::start();
            let lister = op.lister_with("list/").recursive(true).await.map_err(|e| e.to_string())?;
            let count = lister.try_fold(0usize, |n, _| async move { Ok(n + 1) }).await.map_err(|e| e.to_string())?;
            Ok(list_line("opendal", count, clock.seconds()))
        }
        other => Err(format!("unknown workload {other}")),
    }
}

/// Puts the source in place as `big.bin` from the file, 8 MiB at a time, 8 in flight (not timed).
async fn put_from_file(op: &Operator, job: &Job) -> Result<(), String> {
    let mut file = std::fs::File::open(&job.source).map_err(|e| e.to_string())?;
    let mut writer = op.writer_with("big.bin").chunk(PART).concurrent(CONCURRENCY).await.map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; PART];
    loop {
        let n = read_full(&mut file, &mut buf)?;
        if n == 0 {
            break;
        }
        writer.write(Bytes::copy_from_slice(&buf[..n])).await.map_err(|e| e.to_string())?;
    }
    writer.close().await.map_err(|e| e.to_string())?;
    Ok(())
}
