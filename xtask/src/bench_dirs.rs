//! `cargo xtask bench-dirs` (and the last section of `cargo xtask bench`):
//! whole directories, `azblob cp -r`/`sync` beside rclone's `copy`/`sync`,
//! on the sink server and on Azurite: a tree of many small files up and
//! down, a few large files up and down, and a sync of the unchanged small
//! tree, in interleaved rounds (medians), one table per server.
//!
//! rclone is Debian's package (1.60), installed here with apt-get when it is
//! missing; it reaches both servers through its azureblob backend with a
//! container SAS URL (in 1.60 `endpoint` is only a host suffix and
//! `use_emulator` does not connect). Each run is a child process whose
//! wall time is measured and whose peak RSS (VmHWM) is sampled from /proc
//! until it exits.
//!
//! Every client and set gets a fresh server (the sink with `--store`, so
//! rclone's MD5 checks of what it downloads pass and memory holds one
//! set; or a new in-memory Azurite), and a no-op sync that transfers
//! anything fails the bench: it would not be a no-op.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use azblob_testkit::{Emulator, EmulatorOptions};

use crate::bench::SinkProcess;
use crate::bench_dirs_table::{render, Run};
use crate::{cargo, run_step};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
/// The container every run writes into, under its own prefix.
const CONTAINER: &str = "benchdirs";

/// The command line of `cargo xtask bench-dirs`.
#[derive(Debug)]
struct Options {
    /// Small files in the tree (1 to 256 KiB each).
    files: usize,
    /// Large files.
    big: usize,
    /// Size of each large file in MiB.
    big_mib: u64,
    /// Whether rclone runs beside azblob.
    rclone: bool,
    /// Rounds; the tables show medians.
    rounds: usize,
    /// The servers, in order: `sink`, `azurite`.
    servers: Vec<&'static str>,
}

const USAGE: &str = "usage: cargo xtask bench-dirs [--files N] [--big N] [--big-mib N] [--rounds N] [--no-rclone] [--no-sink] [--no-azurite]";

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut options =
            Options { files: 10_000, big: 8, big_mib: 128, rclone: true, rounds: 3, servers: vec!["sink", "azurite"] };
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            let mut number = || -> Result<u64, String> {
                let value = args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
                value.parse().map_err(|_| format!("{flag} {value:?} is not a number"))
            };
            match flag.as_str() {
                "--files" => options.files = number()? as usize,
                "--big" => options.big = number()? as usize,
                "--big-mib" => options.big_mib = number()?,
                "--rounds" => options.rounds = (number()? as usize).max(1),
                "--no-rclone" => options.rclone = false,
                "--no-sink" => options.servers.retain(|s| *s != "sink"),
                "--no-azurite" => options.servers.retain(|s| *s != "azurite"),
                other => return Err(format!("unknown option {other:?}\n{USAGE}")),
            }
        }
        Ok(options)
    }
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let options = Options::parse(args)?;
    run_step(
        "building the azblob CLI and xtask (release)",
        cargo().args(["build", "--release", "--quiet", "-p", "azblob-cli", "-p", "xtask"]),
    )?;
    let release = crate::target_dir()?.join("release");
    let azblob = release.join(format!("azblob{}", std::env::consts::EXE_SUFFIX));
    let xtask = release.join(format!("xtask{}", std::env::consts::EXE_SUFFIX));
    let rclone = if options.rclone { Some(ensure_rclone()?) } else { None };

    let root = crate::bench::tmpfs_dir().join(format!("bench-dirs-{}", std::process::id()));
    let result = measure(&options, &azblob, &xtask, rclone.as_deref(), &root);
    let _ = std::fs::remove_dir_all(&root);
    let runs = result?;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("\nbench-dirs: medians of {} rounds; load average at the end: {}", options.rounds, load.trim());
    for server in &options.servers {
        println!("\n{}", render(&runs, server));
    }
    Ok(())
}

/// A server for one client's set: the sink (`--store`) or Azurite, stopped when dropped.
enum Server {
    Sink {
        endpoint: String,
        /// Killed when dropped.
        _process: SinkProcess,
    },
    Azurite(Emulator),
}

impl Server {
    fn start(kind: &str, xtask: &Path) -> Result<Server, String> {
        if kind == "sink" {
            let port = azblob_testkit::free_port().map_err(|e| e.to_string())?;
            let sink = SinkProcess::spawn(xtask, port, &[&"--store"])?;
            let endpoint = format!("http://127.0.0.1:{port}/{}", azblob::DEV_ACCOUNT);
            return Ok(Server::Sink { endpoint, _process: sink });
        }
        let emulator =
            Emulator::start(&EmulatorOptions::default()).map_err(|e| format!("cannot start Azurite: {e}"))?;
        Ok(Server::Azurite(emulator))
    }

    fn endpoint(&self) -> String {
        match self {
            Server::Sink { endpoint, .. } => endpoint.clone(),
            Server::Azurite(emulator) => emulator.endpoint(),
        }
    }
}

fn measure(
    options: &Options,
    azblob: &Path,
    xtask: &Path,
    rclone: Option<&Path>,
    root: &Path,
) -> Result<Vec<Run>, String> {
    let small = root.join("small");
    let big = root.join("big");
    let small_bytes = write_small_tree(&small, options.files).map_err(|e| format!("cannot write the tree: {e}"))?;
    let big_bytes = write_big_files(&big, options.big, options.big_mib).map_err(|e| format!("cannot write: {e}"))?;
    println!(
        "bench-dirs: {} files ({:.1} MiB) and {} x {} MiB in {}",
        options.files,
        small_bytes as f64 / MIB as f64,
        options.big,
        options.big_mib,
        root.display()
    );
    let state = root.join("state");
    let mut clients = vec!["azblob"];
    if rclone.is_some() {
        clients.push("rclone");
    }
    let mut runs = Vec::new();
    for round in 0..options.rounds {
        // Interleaved: who goes first alternates from round to round.
        let order: Vec<&str> = if round % 2 == 0 { clients.clone() } else { clients.iter().rev().copied().collect() };
        for server_kind in &options.servers {
            for (set, dir, files, bytes) in
                [("small", &small, options.files, small_bytes), ("big", &big, options.big, big_bytes)]
            {
                for client in &order {
                    let server = Server::start(server_kind, xtask)?;
                    let endpoint = server.endpoint();
                    let sas_url = create_container(&endpoint)?;
                    let out = root.join(format!("out-{client}-{set}"));
                    let make = |args: &[&str]| -> Command {
                        if *client == "azblob" {
                            let connection = crate::demo::dev_connection_string(&endpoint);
                            let mut command = Command::new(azblob);
                            command.args(args).arg("--no-progress").env("AZURE_STORAGE_CONNECTION_STRING", connection);
                            command.env("XDG_STATE_HOME", &state).env_remove("AZURE_STORAGE_ACCOUNT");
                            command
                        } else {
                            let mut command = Command::new(rclone.expect("rclone is among the clients"));
                            command.args(args).args(["--transfers", "32", "--checkers", "32"]);
                            command.env("RCLONE_CONFIG_AZ_TYPE", "azureblob").env("RCLONE_CONFIG_AZ_SAS_URL", &sas_url);
                            command
                        }
                    };
                    let (src, out_s) = (dir.to_str().unwrap_or_default(), out.to_str().unwrap_or_default());
                    let (az_url, rc_remote) = (format!("az://{CONTAINER}/{set}/"), format!("az:{CONTAINER}/{set}"));
                    let (up, down, noop) = if *client == "azblob" {
                        let noop = make(&["sync", src, &az_url]);
                        (make(&["cp", "-r", src, &az_url]), make(&["cp", "-r", &az_url, out_s]), noop)
                    } else {
                        let mut noop = make(&["sync", src, &rc_remote]);
                        noop.args(["-v", "--stats-one-line"]);
                        (make(&["copy", src, &rc_remote]), make(&["copy", &rc_remote, out_s]), noop)
                    };
                    let tag = |workload: &str| format!("round {} {server_kind} {client} {workload}", round + 1);
                    let log = root.join("stderr.log");
                    let mut push = |workload: String, files, bytes, command| -> Result<String, String> {
                        let (seconds, peak_rss_mib, said) = timed(&tag(&workload), command, &log)?;
                        runs.push(Run { server: server_kind, client, workload, files, bytes, seconds, peak_rss_mib });
                        Ok(said)
                    };
                    push(format!("{set} upload"), files, bytes, up)?;
                    push(format!("{set} download"), files, bytes, down)?;
                    if set == "small" {
                        let said = push("small no-op sync".into(), files, 0, noop)?;
                        check_no_op(client, &said)?;
                    }
                    let _ = std::fs::remove_dir_all(&out);
                    drop(server);
                }
            }
        }
    }
    Ok(runs)
}

/// Fails unless a no-op sync's output says nothing was transferred.
fn check_no_op(client: &str, said: &str) -> Result<(), String> {
    let nothing = if client == "azblob" {
        // The summary line: `transferred 0 files (0 bytes) in ...`.
        said.lines().any(|l| l.starts_with("transferred 0 files"))
    } else {
        // rclone's one-line stats (`-v --stats-one-line`): `0 B / 0 B, -, ...` once nothing moved.
        said.lines().any(|l| l.contains(" 0 B / 0 B,"))
    };
    if nothing {
        Ok(())
    } else {
        Err(format!("{client}'s no-op sync transferred files, so it is no no-op: {}", said.trim()))
    }
}

/// Runs `command` to its end, timing it and sampling its peak RSS: its
/// seconds, peak RSS in MiB and what it wrote on stderr (kept in `log`, a
/// file, so a chatty client never blocks on a full pipe).
fn timed(tag: &str, mut command: Command, log: &Path) -> Result<(f64, f64, String), String> {
    eprintln!("bench-dirs: {tag}");
    let stderr = std::fs::File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let started = Instant::now();
    let mut child = command.stdout(Stdio::null()).stderr(stderr).spawn().map_err(|e| format!("{tag}: {e}"))?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0.0f64;
    let status = loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            let hwm = status.lines().find_map(|l| l.strip_prefix("VmHWM:"));
            if let Some(kib) = hwm.and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok()) {
                peak_kib = peak_kib.max(kib);
            }
        }
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    // rclone's messages may quote its SAS URL.
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let said = azblob::sim::redact_text(text.trim()).into_owned();
    if !status.success() {
        return Err(format!("{tag} failed ({status}): {said}"));
    }
    Ok((seconds, peak_kib / 1024.0, said))
}

/// `rclone`'s path, installing Debian's package when it is missing.
fn ensure_rclone() -> Result<PathBuf, String> {
    let found = || {
        std::env::var_os("PATH")
            .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join("rclone")).find(|p| p.is_file()))
    };
    if let Some(path) = found() {
        return Ok(path);
    }
    eprintln!("bench-dirs: installing rclone (Debian's package) with apt-get");
    let install = || Command::new("apt-get").args(["install", "-y", "-q", "rclone"]).status();
    if !install().is_ok_and(|s| s.success()) {
        let _ = Command::new("apt-get").args(["update", "-q"]).status();
        if !install().is_ok_and(|s| s.success()) {
            return Err("cannot install rclone with apt-get (run with --no-rclone to skip it)".into());
        }
    }
    found().ok_or_else(|| "rclone was installed but is not on PATH".into())
}

/// Writes `count` files of 1 to 256 KiB in 100 directories; their total size.
fn write_small_tree(dir: &Path, count: usize) -> std::io::Result<u64> {
    let mut total = 0;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let chunk = azblob_testkit::pseudo_random_bytes(256 * KIB, 7);
    for i in 0..count {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let size = (KIB + state % (255 * KIB)) as usize;
        let sub = dir.join(format!("d{:02}", i % 100));
        std::fs::create_dir_all(&sub)?;
        let offset = (state >> 32) as usize % (256 * KIB as usize - size + 1);
        std::fs::write(sub.join(format!("f{i:06}.bin")), &chunk[offset..offset + size])?;
        total += size as u64;
    }
    Ok(total)
}

/// Writes `count` files of `mib` MiB; their total size.
fn write_big_files(dir: &Path, count: usize, mib: u64) -> std::io::Result<u64> {
    std::fs::create_dir_all(dir)?;
    let chunk = azblob_testkit::pseudo_random_bytes(MIB, 11);
    for i in 0..count {
        use std::io::Write as _;
        let mut file = std::io::BufWriter::new(std::fs::File::create(dir.join(format!("big{i}.bin")))?);
        for j in 0..mib {
            file.write_all(&chunk[(j as usize * 4099) % 1024..])?;
            file.write_all(&chunk[..(j as usize * 4099) % 1024])?;
        }
        file.flush()?;
    }
    Ok(count as u64 * mib * MIB)
}

/// Creates the container and returns its SAS URL for rclone.
fn create_container(endpoint: &str) -> Result<String, String> {
    crate::demo::create_container(&crate::demo::dev_connection_string(endpoint), CONTAINER)?;
    let key = azblob::auth::SharedKeyCredential::new(azblob::DEV_ACCOUNT, azblob::DEV_ACCOUNT_KEY)
        .map_err(|e| e.to_string())?;
    let expiry = SystemTime::now() + Duration::from_secs(24 * 3600);
    let sas = azblob::auth::Sas::container(CONTAINER, "racwdl", expiry).sign(&key).map_err(|e| e.to_string())?;
    Ok(format!("{endpoint}/{CONTAINER}?{}", sas.to_query()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_refuse_unknown_flags() {
        let args = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let o = Options::parse(&args(&["--files", "200", "--big", "1", "--big-mib", "4", "--no-rclone"])).unwrap();
        assert_eq!((o.files, o.big, o.big_mib, o.rclone, o.rounds), (200, 1, 4, false, 3));
        assert_eq!(o.servers, ["sink", "azurite"]);
        let o = Options::parse(&args(&["--rounds", "1", "--no-sink"])).unwrap();
        assert_eq!((o.rounds, o.servers), (1, vec!["azurite"]));
        assert!(Options::parse(&args(&["--bogus"])).is_err());
        assert!(Options::parse(&args(&["--files", "x"])).is_err());
    }

    #[test]
    fn a_no_op_sync_must_say_it_moved_nothing() {
        assert!(check_no_op("azblob", "transferred 0 files (0 bytes) in 0.50 s (0.0 MB/s), 10000 skipped").is_ok());
        assert!(check_no_op("azblob", "transferred 3 files (9 bytes) in 0.50 s (0.0 MB/s), 9997 skipped").is_err());
        let rclone = "INFO  : There was nothing to transfer\nINFO  :           0 B / 0 B, -, 0 B/s, ETA -";
        assert!(check_no_op("rclone", rclone).is_ok());
        assert!(check_no_op("rclone", "INFO  :    1.200 MiB / 1.200 MiB, 100%, 0 B/s, ETA 0s").is_err());
    }
}
