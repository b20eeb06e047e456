//! The sink half of `cargo xtask bench`: azblob's workloads and the peer
//! clients' (`bench/peers`, a workspace of its own so the root workspace
//! never compiles their dependencies; and the Node.js clients of
//! `bench/node`, bench_node.rs), interleaved in rounds against the same sink
//! server, and the start-up time of the `azblob` CLI.
//!
//! Rounds interleave the clients workload by workload (azblob's uploads,
//! then the peers' uploads, then everyone's downloads...), so a slow spell
//! of a shared machine falls on all of them rather than on one.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::bench_table::{Row, Table};
use crate::{cargo, run_step};

/// The peer clients and their workloads (see `bench/peers/src/main.rs`).
const PEERS: &[&str] = &["object_store", "opendal"];
const PEER_WORKLOADS: &[&str] =
    &["upload-memory", "upload-one-put", "download-memory", "download-mem-c8", "small-put-get", "list-5000"];
/// The client name of `--baseline`'s runs.
const BASELINE: &str = "azblob-base";
/// Runs of `azblob stat` per round for the start-up figure.
const CLI_RUNS: usize = 50;

/// The command line of `cargo xtask bench`.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// Size of the large transfers in MiB.
    pub(crate) size_mib: u64,
    /// Rounds on the sink; the table shows medians.
    pub(crate) rounds: usize,
    /// Whether the peers run beside azblob (`--no-peers` skips them).
    pub(crate) peers: bool,
    /// Whether the Node.js clients run beside azblob (`--no-node` skips them).
    pub(crate) node: bool,
    /// Only the runs whose `CLIENT WORKLOAD` contains this text.
    pub(crate) only: Option<String>,
    /// Whether the transfers run again over TLS (bench_tls.rs; `--no-tls` skips it).
    pub(crate) tls: bool,
    /// The latency of the adaptive-concurrency section (bench_latency.rs;
    /// default 10 ms, `--latency-ms 0` skips it).
    pub(crate) latency_ms: Option<u64>,
    /// `--baseline XTASK`: another build's xtask binary whose worker runs
    /// beside azblob's, as `azblob-base` (before and after in one run).
    pub(crate) baseline: Option<PathBuf>,
    /// Whether the whole-directory section runs last (bench_dirs.rs; `--no-dirs` skips it).
    pub(crate) dirs: bool,
}

/// The usage line of `cargo xtask bench`.
pub(crate) const USAGE: &str =
    "usage: cargo xtask bench [--size-mib N] [--rounds N] [--no-peers] [--no-node] [--only PATTERN] [--no-tls] [--latency-ms N] [--baseline XTASK] [--no-dirs]";

impl Options {
    /// Reads the bench's arguments.
    pub(crate) fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options {
            size_mib: 1024,
            rounds: 3,
            peers: true,
            node: true,
            only: None,
            tls: true,
            latency_ms: Some(10),
            baseline: None,
            dirs: true,
        };
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
            match flag.as_str() {
                "--size-mib" => {
                    let n = value()?;
                    options.size_mib = n.parse().map_err(|_| format!("--size-mib {n:?} is not a number"))?;
                }
                "--rounds" => {
                    let n = value()?;
                    options.rounds =
                        n.parse().ok().filter(|&r| r > 0).ok_or(format!("--rounds {n:?} is not a count"))?;
                }
                "--no-peers" => options.peers = false,
                "--no-node" => options.node = false,
                "--no-tls" => options.tls = false,
                "--no-dirs" => options.dirs = false,
                "--baseline" => options.baseline = Some(PathBuf::from(value()?)),
                "--latency-ms" => {
                    let n = value()?;
                    options.latency_ms = Some(n.parse().map_err(|_| format!("--latency-ms {n:?} is not a number"))?);
                }
                "--only" => options.only = Some(value()?.clone()),
                other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
            }
        }
        Ok(options)
    }

    pub(crate) fn wants(&self, client: &str, workload: &str) -> bool {
        self.only.as_deref().is_none_or(|p| format!("{client} {workload}").contains(p))
    }
}

/// Every run of the sink's rounds, into `table`: each of azblob's
/// `workloads` followed by the peers' workloads of the same kind (the word
/// before the first `-`), the peers' other workloads, then the CLI's start-up.
pub(crate) fn sink_rounds(
    xtask: &Path,
    workloads: &[&str],
    options: &Options,
    endpoint: &str,
    source: &Path,
    table: &mut Table,
) -> Result<(), String> {
    let peer = if options.peers { Some(build_peers()?) } else { None };
    let node = if options.node { Some(crate::bench_node::prepare()?) } else { None };
    let cli = if options.wants("azblob-cli", "stat") { Some(build_cli()?) } else { None };
    let mut peer_clients: Vec<&'static str> = Vec::new();
    if peer.is_some() {
        peer_clients.extend(PEERS);
    }
    if node.is_some() {
        peer_clients.extend(crate::bench_node::NODE_CLIENTS);
    }
    let schedule = schedule(workloads, &peer_clients, options.baseline.is_some());
    for round in 1..=options.rounds {
        eprintln!("xtask: bench round {round} of {}", options.rounds);
        for (client, workload) in schedule.iter().filter(|(c, w)| options.wants(c, w)) {
            let mut command = match (*client, &peer, &node) {
                (c, _, Some(worker)) if crate::bench_node::is_node(c) => {
                    crate::bench_node::command(worker, c, workload, endpoint)
                }
                ("azblob", _, _) => {
                    let mut command = Command::new(xtask);
                    command.args(["bench-worker", workload.as_str(), endpoint]);
                    command
                }
                (BASELINE, _, _) => {
                    let Some(baseline) = &options.baseline else { continue };
                    let mut command = Command::new(baseline);
                    command.args(["bench-worker", workload.as_str(), endpoint]);
                    command
                }
                (_, Some(peer), _) => {
                    let mut command = Command::new(peer);
                    command.args([*client, workload.as_str(), endpoint]);
                    command
                }
                (_, None, _) => continue,
            };
            let line = crate::bench::line_of(command.arg(source), &format!("{client} {workload}"))?;
            table.push(Row::parse("sink", client, &line)?);
        }
        if let Some(cli) = &cli {
            table.push(cli_startup(cli, endpoint, source)?);
        }
    }
    Ok(())
}

/// The runs of one round, interleaved by kind of workload; `peers` are the
/// clients that run [`PEER_WORKLOADS`] (the Rust peers and the Node.js clients).
fn schedule(workloads: &[&str], peers: &[&'static str], baseline: bool) -> Vec<(&'static str, String)> {
    let kind = |w: &str| w.split('-').next().unwrap_or(w).to_owned();
    let peer_runs = |k: Option<&str>| -> Vec<(&'static str, String)> {
        peers
            .iter()
            .flat_map(|p| PEER_WORKLOADS.iter().map(move |w| (*p, (*w).to_owned())))
            .filter(|(_, w)| match k {
                Some(k) => kind(w) == k,
                None => !workloads.iter().any(|ours| kind(ours) == kind(w)),
            })
            .collect()
    };
    let mut runs = Vec::new();
    let mut kinds_done: Vec<String> = Vec::new();
    for (i, workload) in workloads.iter().enumerate() {
        runs.push(("azblob", (*workload).to_owned()));
        if baseline {
            runs.push((BASELINE, (*workload).to_owned()));
        }
        let k = kind(workload);
        // The peers follow the last of azblob's workloads of a kind.
        let last_of_kind = !workloads[i + 1..].iter().any(|w| kind(w) == k);
        if last_of_kind && !kinds_done.contains(&k) {
            runs.extend(peer_runs(Some(&k)));
            kinds_done.push(k);
        }
    }
    runs.extend(peer_runs(None));
    runs
}

/// Builds `bench/peers` (locked to its Cargo.lock) into `<target>/peers`; returns `peer-worker`.
fn build_peers() -> Result<PathBuf, String> {
    let target = crate::target_dir()?.join("peers");
    let manifest = azblob_testkit::workspace_root().join("bench").join("peers").join("Cargo.toml");
    run_step(
        "building the peer clients (release, bench/peers)",
        cargo()
            .args(["build", "--release", "--quiet", "--locked", "--manifest-path"])
            .arg(&manifest)
            .env("CARGO_TARGET_DIR", &target),
    )?;
    Ok(target.join("release").join(format!("peer-worker{}", std::env::consts::EXE_SUFFIX)))
}

/// Builds the `azblob` CLI (release); returns its path.
fn build_cli() -> Result<PathBuf, String> {
    run_step("building the azblob CLI (release)", cargo().args(["build", "--release", "--quiet", "-p", "azblob-cli"]))?;
    Ok(crate::target_dir()?.join("release").join(format!("azblob{}", std::env::consts::EXE_SUFFIX)))
}

/// `azblob stat` of a 4 KiB blob on the sink, run [`CLI_RUNS`] times: the
/// wall time from spawn to exit, process start included.
fn cli_startup(cli: &Path, endpoint: &str, source: &Path) -> Result<Row, String> {
    let connection = crate::demo::dev_connection_string(endpoint);
    // stderr is kept (cp reports there) and shown only if the command fails.
    let run = |args: &[&std::ffi::OsStr]| -> Result<Duration, String> {
        let started = Instant::now();
        let output = Command::new(cli)
            .args(args)
            .env("AZURE_STORAGE_CONNECTION_STRING", &connection)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot start {}: {e}", cli.display()))?;
        let elapsed = started.elapsed();
        output.status.success().then_some(elapsed).ok_or_else(|| {
            let stderr = String::from_utf8_lossy(&output.stderr);
            format!("azblob {args:?} on the sink failed ({}): {}", output.status, stderr.trim())
        })
    };
    let small = source.with_extension("small");
    std::fs::write(&small, vec![7u8; 4096]).map_err(|e| format!("cannot write {}: {e}", small.display()))?;
    let copied = run(&["cp".as_ref(), small.as_os_str(), "az://bench/startup.bin".as_ref()]);
    let _ = std::fs::remove_file(&small);
    copied?;
    let mut times = (0..CLI_RUNS)
        .map(|_| run(&["stat".as_ref(), "az://bench/startup.bin".as_ref()]))
        .collect::<Result<Vec<_>, _>>()?;
    times.sort();
    let ms = |q: f64| times[((times.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    Ok(Row {
        server: "sink".into(),
        client: "azblob-cli".into(),
        workload: "stat".into(),
        mb_s: None,
        cpu_s_per_gb: None,
        rss_mib: None,
        note: format!("process start included: p50 {:.1} p99 {:.1} ms of {CLI_RUNS} runs", ms(0.5), ms(0.99)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peers_follow_azblob_workload_by_workload() {
        let ours = ["upload-file", "upload-memory", "download-file", "small-put-get", "tls-only"];
        let runs = schedule(&ours, PEERS, false);
        let names: Vec<String> = runs.iter().map(|(c, w)| format!("{c} {w}")).collect();
        let at = |name: &str| names.iter().position(|n| n == name).unwrap_or_else(|| panic!("{name} in {names:?}"));
        assert!(at("azblob upload-memory") < at("object_store upload-memory"));
        assert!(at("opendal upload-one-put") < at("azblob download-file"));
        assert!(at("azblob download-file") < at("opendal download-mem-c8"));
        assert!(at("opendal download-mem-c8") < at("azblob small-put-get"));
        // Peer workloads of a kind azblob does not run come last.
        assert_eq!(names.last().map(String::as_str), Some("opendal list-5000"));
        assert_eq!(runs.len(), ours.len() + PEERS.len() * PEER_WORKLOADS.len());
        assert_eq!(schedule(&ours, &[], false).len(), ours.len());
        let with_baseline = schedule(&ours, &[], true);
        assert_eq!(with_baseline.len(), 2 * ours.len());
        assert_eq!(with_baseline[1], (BASELINE, ours[0].to_owned()), "the baseline runs right after azblob");
    }

    #[test]
    fn the_node_clients_run_every_peer_workload_beside_the_rust_peers() {
        let ours = ["upload-memory", "download-memory", "small-put-get"];
        let clients = [PEERS, crate::bench_node::NODE_CLIENTS].concat();
        let names: Vec<String> = schedule(&ours, &clients, false).iter().map(|(c, w)| format!("{c} {w}")).collect();
        let at = |name: &str| names.iter().position(|n| n == name).unwrap_or_else(|| panic!("{name} in {names:?}"));
        for workload in PEER_WORKLOADS {
            assert!(at(&format!("azure-sdk-js {workload}")) > at(&format!("opendal {workload}")));
            assert!(at(&format!("azblob-ts {workload}")) < at(&format!("azure-sdk-js {workload}")));
        }
        // Node's uploads run with everyone's uploads, before anyone downloads.
        assert!(at("azure-sdk-js upload-one-put") < at("azblob download-memory"));
        assert_eq!(names.len(), ours.len() + clients.len() * PEER_WORKLOADS.len());
    }

    #[test]
    fn options_read_rounds_peers_and_a_filter() {
        let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let o =
            Options::parse(&args(&["--size-mib", "256", "--rounds", "1", "--no-peers", "--only", "upload"])).unwrap();
        assert_eq!((o.size_mib, o.rounds, o.peers, o.node), (256, 1, false, true));
        assert!(!Options::parse(&args(&["--no-node"])).unwrap().node);
        assert!(!Options::parse(&args(&["--no-dirs"])).unwrap().dirs);
        assert!(o.wants("azblob", "upload-file") && !o.wants("azblob", "list-5000"));
        assert!(Options::parse(&args(&["--rounds", "0"])).is_err());
        assert!(Options::parse(&args(&["--bogus"])).is_err());
    }
}
