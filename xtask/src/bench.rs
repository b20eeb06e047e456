//! `cargo xtask bench`: throughput, client CPU time and peak memory of the
//! library against the fast sink server and against Azurite.
//!
//! Each workload runs in a fresh worker process (this same binary,
//! `bench-worker`), so CPU seconds and peak RSS are the client's alone.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use azblob::BlobServiceClient;
use azblob_testkit::{Emulator, EmulatorOptions};

use crate::bench_table::{Row, Table};
pub(crate) use crate::proc_stats::{cpu_seconds, peak_rss_mib, reset_peak_rss};
use crate::{cargo, run_step};

const MIB: u64 = 1024 * 1024;
const WORKLOADS: &[&str] =
    &["upload-file", "upload-memory", "download-file", "download-memory", "small-put-get", "list-5000"];

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let options = crate::bench_peers::Options::parse(args)?;
    let size_mib = options.size_mib;
    run_step("building xtask (release)", cargo().args(["build", "--release", "--quiet", "-p", "xtask"]))?;
    let exe = crate::target_dir()?.join("release").join(format!("xtask{}", std::env::consts::EXE_SUFFIX));
    if options.wants("azblob", "checksums") {
        // CPU only, in the release worker: the cost of checking data (bench_checksums.rs).
        run_step("checksums", Command::new(&exe).args(["bench-checksums", &size_mib.to_string()]))?;
        if options.only.as_deref().is_some_and(|only| "azblob checksums".contains(only)) {
            return Ok(());
        }
    }
    let dir = tmpfs_dir();
    // Named for this process: two benches at once (other work trees) would otherwise share one file.
    let source = dir.join(format!("bench-source-{}.bin", std::process::id()));
    write_source(&source, size_mib * MIB).map_err(|e| format!("cannot write {}: {e}", source.display()))?;

    let port = azblob_testkit::free_port().map_err(|e| e.to_string())?;
    let sink = SinkProcess::spawn(&exe, port, &[])?;
    println!("sink server on 127.0.0.1:{port}; source {} MiB in {}", size_mib, dir.display());
    let sink_endpoint = format!("http://127.0.0.1:{port}/devstoreaccount1");
    // azblob, the peers and the CLI's start-up on the sink, in rounds
    // (bench_peers.rs), then the transfers over TLS (bench_tls.rs): one table.
    let mut table = Table::default();
    crate::bench_peers::sink_rounds(&exe, WORKLOADS, &options, &sink_endpoint, &source, &mut table)?;
    drop(sink);
    if options.tls {
        crate::bench_tls::run(&exe, &source, options.rounds, &mut table)?;
    }
    println!(
        "{}{}{}{}",
        table.render(options.rounds),
        table.ratios("sink"),
        crate::bench_node::ratios(&table, "sink"),
        table.tls_costs("sink", crate::bench_tls::TLS_SERVER)
    );
    if let Some(ms) = options.latency_ms.filter(|&ms| ms > 0) {
        crate::bench_latency::run(&exe, &source, ms, options.rounds)?;
    }

    let emulator = Emulator::start(&EmulatorOptions::default()).map_err(|e| format!("cannot start Azurite: {e}"))?;
    crate::demo::create_container(&crate::demo::dev_connection_string(&emulator.endpoint()), "bench")?;
    let mut azurite = Table::default();
    for workload in WORKLOADS {
        let mut command = Command::new(&exe);
        command.args(["bench-worker", workload, &emulator.endpoint()]).arg(&source);
        azurite.push(Row::parse("azurite", "azblob", &line_of(&mut command, &format!("{workload} on Azurite"))?)?);
    }
    println!("\n{}", azurite.render(1));
    let _ = std::fs::remove_file(&source);
    drop(emulator);
    // Whole directories beside rclone, on the sink and Azurite, with
    // bench-dirs' defaults and this run's rounds (bench_dirs.rs).
    if !options.dirs {
        return Ok(());
    }
    crate::bench_dirs::run(&["--rounds".to_owned(), options.rounds.to_string()])
}

/// The sink server process, killed when dropped.
pub(crate) struct SinkProcess(Child);

impl SinkProcess {
    /// Starts `exe sink PORT ARGS…` and waits until it accepts connections.
    pub(crate) fn spawn(exe: &Path, port: u16, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Result<SinkProcess, String> {
        let mut command = Command::new(exe);
        command.args(["sink", &port.to_string()]).stdin(Stdio::null());
        for arg in args {
            command.arg(arg);
        }
        let sink = SinkProcess(command.spawn().map_err(|e| e.to_string())?);
        wait_for_port(port)?;
        Ok(sink)
    }
}

impl Drop for SinkProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs a worker and returns its one line of output.
pub(crate) fn line_of(command: &mut Command, what: &str) -> Result<String, String> {
    let output = command.stderr(Stdio::inherit()).output().map_err(|e| format!("{what}: cannot start: {e}"))?;
    if !output.status.success() {
        return Err(format!("{what} failed ({})", output.status));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Runs one workload in this process and prints one result line.
pub(crate) fn worker_main(args: &[String]) -> Result<(), String> {
    let [workload, endpoint, source] = args else { return Err("usage: bench-worker WORKLOAD ENDPOINT SOURCE".into()) };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    let client = crate::bench_tls::client_builder(endpoint)?
        .shared_key(azblob::DEV_ACCOUNT, azblob::DEV_ACCOUNT_KEY)
        .and_then(|b| b.build())
        .map_err(|e| e.to_string())?;
    let source = PathBuf::from(source);
    let size = std::fs::metadata(&source).map_err(|e| e.to_string())?.len();
    runtime.block_on(async move {
        if let Some(spec) = workload.strip_prefix("latency/") {
            return crate::bench_latency::worker_main(&client, spec, &source, size).await;
        }
        let blob = client.blob("bench", "big.bin");
        // Downloads need the blob in place first; that upload is not measured.
        if workload.starts_with("download") {
            blob.upload(azblob::UploadSource::file(&source)).await.map_err(|e| e.to_string())?;
        }
        let (cpu0, started) = clock_start();
        // What a run leaves (the downloaded buffer or file) is freed after
        // its line is printed, as the peers' workers do: the clock stops
        // when the data is in place, not after munmap or unlink.
        let download_path = source.with_extension("download");
        let (note, result) = match workload.as_str() {
            "upload-file" => {
                let r = blob.upload(azblob::UploadSource::file(&source)).await.map_err(|e| e.to_string())?;
                (format!("{} blocks", r.blocks), None)
            }
            "upload-memory" => {
                // The source is read before the clock starts, as peers that upload from memory do.
                let data = bytes::Bytes::from(std::fs::read(&source).map_err(|e| e.to_string())?);
                let (cpu0, started) = clock_start();
                let options = azblob::UploadOptions { single_put_max: 0, ..azblob::UploadOptions::default() };
                let r = blob.upload_opts(data, &options).await.map_err(|e| e.to_string())?;
                return print_line(workload, size, started, cpu0, &format!("{} blocks", r.blocks));
            }
            "download-memory" => {
                let data = blob.download().await.map_err(|e| e.to_string())?;
                (format!("{} bytes", data.len()), Some(data))
            }
            "download-file" => {
                blob.download_to_file(&download_path).await.map_err(|e| e.to_string())?;
                ("tmpfs file".into(), None)
            }
            "small-put-get" => return small_put_get(&client).await,
            "list-5000" => return list_5000(&client).await,
            other => return Err(format!("unknown workload {other}")),
        };
        print_line(workload, size, started, cpu0, &note)?;
        drop(result);
        let _ = std::fs::remove_file(&download_path);
        Ok(())
    })
}

/// The start of a workload's measured part: its CPU seconds so far and the
/// time, with the peak memory so far forgotten (see `reset_peak_rss`).
pub(crate) fn clock_start() -> (f64, Instant) {
    reset_peak_rss();
    (cpu_seconds(), Instant::now())
}

pub(crate) fn print_line(workload: &str, size: u64, started: Instant, cpu0: f64, note: &str) -> Result<(), String> {
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let gb = size as f64 / 1e9;
    println!("{workload:<16} {:>10.0} {:>12.2} {:>12.0} {note:>14}", gb * 1000.0 / seconds, cpu / gb, peak_rss_mib());
    Ok(())
}

/// `small-put-get`'s untimed pairs and timed pairs, the same in every worker
/// (Rust, the peers, Node), so that the percentiles are a warm client's, as
/// in a long-running service: a p99 of 500 pairs from a cold start was the
/// fifth-worst sample, often the first requests' connection set-up; and
/// after only 100 untimed pairs the Node.js clients' p99 was still mostly
/// V8 compiling their code (tier-up) within the timed window.
pub(crate) const WARM_UP_PAIRS: usize = 1000;
/// See [`WARM_UP_PAIRS`].
pub(crate) const TIMED_PAIRS: usize = 2000;

/// Sequential 4 KiB put+get pairs: latency percentiles.
async fn small_put_get(client: &BlobServiceClient) -> Result<(), String> {
    let blob = client.blob("bench", "small.bin");
    let payload = bytes::Bytes::from(vec![7u8; 4096]);
    for _ in 0..WARM_UP_PAIRS {
        blob.put(payload.clone()).await.map_err(|e| e.to_string())?;
        blob.get().await.map_err(|e| e.to_string())?.bytes().await.map_err(|e| e.to_string())?;
    }
    let (mut puts, mut gets) = (Vec::with_capacity(TIMED_PAIRS), Vec::with_capacity(TIMED_PAIRS));
    for _ in 0..TIMED_PAIRS {
        let t = Instant::now();
        blob.put(payload.clone()).await.map_err(|e| e.to_string())?;
        puts.push(t.elapsed());
        let t = Instant::now();
        blob.get().await.map_err(|e| e.to_string())?.bytes().await.map_err(|e| e.to_string())?;
        gets.push(t.elapsed());
    }
    let ms = |v: &mut Vec<Duration>, q: f64| {
        v.sort();
        v[((v.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0
    };
    println!(
        "{:<16} {:>10} {:>12} {:>12.0} {:>14}",
        "4KiB put/get",
        "-",
        "-",
        peak_rss_mib(),
        format!(
            "p50 {:.2}/{:.2} p99 {:.2}/{:.2} ms",
            ms(&mut puts, 0.5),
            ms(&mut gets, 0.5),
            ms(&mut puts, 0.99),
            ms(&mut gets, 0.99)
        )
    );
    Ok(())
}

/// Lists 5,000 blobs (created first through `put_blobs`, not measured),
/// following every page.
pub(crate) async fn list_5000(client: &BlobServiceClient) -> Result<(), String> {
    use futures_util::{StreamExt, TryStreamExt};
    let container = client.container("bench");
    let items = (0..5000).map(|i| (format!("list/{i:05}"), bytes::Bytes::from_static(b"x")));
    let failed = container.put_blobs(items).filter(|(_, r)| std::future::ready(r.is_err())).count().await;
    if failed > 0 {
        return Err(format!("{failed} of the 5,000 blobs to list could not be created"));
    }
    let options = azblob::ListBlobsOptions { prefix: Some("list/".into()), ..Default::default() };
    let (_, started) = clock_start();
    let count = container
        .list_blobs_opts(&options)
        .try_fold(0usize, |n, _| async move { Ok(n + 1) })
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "{:<16} {:>10} {:>12} {:>12.0} {:>14}",
        "list 5,000",
        "-",
        "-",
        peak_rss_mib(),
        format!("{count} in {:.3} s", started.elapsed().as_secs_f64())
    );
    Ok(())
}

pub(crate) fn tmpfs_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        azblob_testkit::scratch_dir()
    }
}

fn write_source(path: &Path, len: u64) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let chunk: Vec<u8> = (0..MIB).map(|i| (i * 31 % 255) as u8).collect();
    let mut left = len;
    while left > 0 {
        let n = left.min(MIB) as usize;
        file.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    file.flush()
}

fn wait_for_port(port: u16) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("the sink server did not start".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}
