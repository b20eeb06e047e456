//! `cargo xtask bench --latency-ms N`: adaptive concurrency against fixed
//! levels, on a sink that waits N ms before each answer's headers and on
//! the plain sink.
//!
//! Workloads: the source file (`--size-mib`, 1 GiB by default) uploaded
//! from and downloaded to a file; 2,000 blobs of 64 KiB put, then got,
//! through `put_blobs`/`get_blobs`; a list of 5,000. Each transfer runs
//! once at each fixed level of [`SWEEP`], every run in its own worker
//! process, to find the best level; then the default (adaptive) concurrency
//! and that level run alternately, `--rounds` times each, and the line
//! after the sweep gives the ratio of their medians (the target is at least
//! 0.9). On the plain sink the default alternates with `Fixed(8)`, the
//! former default, the same way (the target is at least 1.0, within noise).
//! Alternating pairs and medians, because two runs of one configuration on
//! the 2-core machine differ by 10 to 20%, more than the margins measured.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use azblob::{Concurrency, DownloadOptions, GetBlobsOptions, PutBlobsOptions, UploadOptions, UploadSource};
use futures_util::StreamExt;

use crate::bench::{print_line, SinkProcess};
use crate::bench_table::{median, Row};

/// The fixed levels the default is measured against.
const SWEEP: [usize; 7] = [1, 2, 4, 8, 16, 32, 64];
/// The concurrent workloads (`list-5000` runs once: a listing follows its
/// markers one page after another, so concurrency does not apply).
const WORKLOADS: [&str; 4] = ["up-file", "down-file", "put-64KiB", "get-64KiB"];
const SMALL_BLOBS: u64 = 2_000;
const SMALL_SIZE: u64 = 64 * 1024;

/// Runs the latency section with `exe`'s workers over `source`.
pub(crate) fn run(exe: &Path, source: &Path, latency_ms: u64, rounds: usize) -> Result<(), String> {
    let far = start_sink(exe, Some(latency_ms))?;
    let near = start_sink(exe, None)?;
    println!("latency sink (+{latency_ms} ms before each answer) on {}; plain sink on {}", far.1, near.1);
    println!(
        "{:<10} {:<16} {:>10} {:>12} {:>12} {:>14}",
        "server", "workload", "MB/s", "CPU-s/GB", "peak RSS MiB", "notes"
    );
    let label = format!("sink+{latency_ms}ms");
    for workload in WORKLOADS {
        let mut best = (0.0, 0);
        for n in SWEEP {
            let speed = worker(exe, &label, &far.1, workload, &n.to_string(), source)?;
            if speed > best.0 {
                best = (speed, n);
            }
        }
        let level = best.1.to_string();
        let (adaptive, fixed) = alternate(exe, &label, &far.1, workload, &level, source, rounds)?;
        println!(
            "{label:<10} {:<16} {:>10.2} {:>12} {:>12} {:>14}",
            format!("{workload} ratio"),
            adaptive / fixed,
            "-",
            "-",
            format!("medians vs best fixed {level} (target >= 0.9)")
        );
    }
    // A listing moves no payload: its line has a time, not a throughput.
    let mut list = Command::new(exe);
    list.args(["bench-worker", "latency/list-5000/adaptive", &far.1]).arg(source);
    println!("{label:<10} {}", crate::bench::line_of(&mut list, &format!("list-5000 on {label}"))?);
    for workload in WORKLOADS {
        let (adaptive, eight) = alternate(exe, "sink", &near.1, workload, "8", source, rounds)?;
        println!(
            "{:<10} {:<16} {:>10.2} {:>12} {:>12} {:>14}",
            "sink",
            format!("{workload} ratio"),
            adaptive / eight,
            "-",
            "-",
            "medians vs fixed 8 (target >= 1.0)"
        );
    }
    Ok(())
}

/// Runs `workload` with the default concurrency and at `level`, one after
/// the other, `rounds` times (at least once), and returns the medians of
/// their MB/s.
fn alternate(
    exe: &Path,
    server: &str,
    endpoint: &str,
    workload: &str,
    level: &str,
    source: &Path,
    rounds: usize,
) -> Result<(f64, f64), String> {
    let (mut adaptive, mut fixed) = (Vec::new(), Vec::new());
    for _ in 0..rounds.max(1) {
        adaptive.push(worker(exe, server, endpoint, workload, "adaptive", source)?);
        fixed.push(worker(exe, server, endpoint, workload, level, source)?);
    }
    // Both hold at least one run, so both have a median.
    Ok((median(adaptive).unwrap_or(0.0), median(fixed).unwrap_or(f64::INFINITY)))
}

/// A sink server process and its endpoint.
fn start_sink(exe: &Path, latency_ms: Option<u64>) -> Result<(SinkProcess, String), String> {
    let port = azblob_testkit::free_port().map_err(|e| e.to_string())?;
    let ms = latency_ms.map(|ms| ms.to_string());
    let args: Vec<&dyn AsRef<std::ffi::OsStr>> = match &ms {
        Some(ms) => vec![&"--latency-ms", ms],
        None => Vec::new(),
    };
    let sink = SinkProcess::spawn(exe, port, &args)?;
    Ok((sink, format!("http://127.0.0.1:{port}/devstoreaccount1")))
}

/// Runs one workload at one concurrency in a worker process, prints its
/// line, and returns its MB/s (a line without one is an error, so a ratio
/// is never made of a missing figure).
fn worker(exe: &Path, server: &str, endpoint: &str, workload: &str, level: &str, source: &Path) -> Result<f64, String> {
    let mut command = Command::new(exe);
    command.args(["bench-worker", &format!("latency/{workload}/{level}"), endpoint]).arg(source);
    let line = crate::bench::line_of(&mut command, &format!("{workload} at {level} on {server}"))?;
    println!("{server:<10} {line}");
    let row = Row::parse(server, "azblob", &line)?;
    row.mb_s.filter(|v| *v > 0.0).ok_or_else(|| format!("{workload} at {level} on {server} gave no throughput"))
}

/// The worker side: `spec` is `WORKLOAD/LEVEL` (`adaptive` or a number).
pub(crate) async fn worker_main(
    client: &azblob::BlobServiceClient,
    spec: &str,
    source: &PathBuf,
    size: u64,
) -> Result<(), String> {
    let (workload, level) = spec.split_once('/').ok_or("latency workloads are WORKLOAD/LEVEL")?;
    let concurrency = match level {
        "adaptive" => Concurrency::Adaptive,
        n => Concurrency::Fixed(n.parse().map_err(|_| format!("{n:?} is not a level"))?),
    };
    let label = format!("{workload}@{}", if level == "adaptive" { "adapt" } else { level });
    let container = client.container("bench");
    let blob = container.blob("latency.bin");
    let err = |e: azblob::Error| e.to_string();
    let names = || (0..SMALL_BLOBS).map(|i| format!("small/{i:05}"));
    let small = bytes::Bytes::from(vec![7u8; SMALL_SIZE as usize]);
    match workload {
        "up-file" => {
            let options = UploadOptions { concurrency, ..UploadOptions::default() };
            let (cpu0, started) = crate::bench::clock_start();
            let r = blob.upload_opts(UploadSource::file(source), &options).await.map_err(err)?;
            print_line(&label, size, started, cpu0, &format!("{} blk, peak {}", r.blocks, r.peak_concurrency))
        }
        "down-file" => {
            blob.upload(UploadSource::file(source)).await.map_err(err)?;
            let path = source.with_extension("latency-download");
            let options = DownloadOptions { concurrency, ..DownloadOptions::default() };
            let (cpu0, started) = crate::bench::clock_start();
            let r = blob.download_to_file_opts(&path, &options).await.map_err(err)?;
            // Removed after the line, as in the plain download (bench.rs).
            let line = print_line(&label, size, started, cpu0, &format!("peak {}", r.peak_concurrency));
            let _ = std::fs::remove_file(&path);
            line
        }
        "put-64KiB" => {
            let items = names().map(|n| (n, small.clone())).collect::<Vec<_>>();
            let options = PutBlobsOptions { concurrency, ..PutBlobsOptions::default() };
            let (cpu0, started) = crate::bench::clock_start();
            let failed =
                container.put_blobs_opts(items, &options).filter(|(_, r)| std::future::ready(r.is_err())).count().await;
            blobs_line(&label, started, cpu0, failed)
        }
        "get-64KiB" => {
            let items = names().map(|n| (n, small.clone())).collect::<Vec<_>>();
            container.put_blobs(items).for_each(|_| async {}).await;
            let options = GetBlobsOptions { concurrency };
            let (cpu0, started) = crate::bench::clock_start();
            let failed = container
                .get_blobs_opts(names(), &options)
                .filter(|(_, r)| std::future::ready(r.is_err()))
                .count()
                .await;
            blobs_line(&label, started, cpu0, failed)
        }
        "list-5000" => crate::bench::list_5000(client).await,
        other => Err(format!("unknown latency workload {other}")),
    }
}

/// A small-blob run's line: MB/s of the payload, blobs per second in the notes.
fn blobs_line(label: &str, started: Instant, cpu0: f64, failed: usize) -> Result<(), String> {
    if failed > 0 {
        return Err(format!("{label}: {failed} blobs failed"));
    }
    let per_second = SMALL_BLOBS as f64 / started.elapsed().as_secs_f64();
    print_line(label, SMALL_BLOBS * SMALL_SIZE, started, cpu0, &format!("{per_second:.0} blobs/s"))
}
