//! `cargo xtask bench-dirs` (and the last section of `cargo xtask bench`):
//! whole directories, `azblob cp -r`/`sync` beside rclone's `copy`/`sync`,
//! against Azurite: a tree of many small files up and down, a few large
//! files up and down, and a sync of the unchanged small tree.
//!
//! rclone is Debian's package (1.60), installed here with apt-get when it is
//! missing; it reaches Azurite through its azureblob backend with a
//! container SAS URL (in 1.60 `endpoint` is only a host suffix and
//! `use_emulator` does not connect). Each run is a child process whose
//! wall time is measured and whose peak RSS (VmHWM) is sampled from /proc
//! until it exits.
//!
//! Only Azurite for now: the sink server keeps no metadata, so a sync
//! there would compare nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use azblob::transport::{Method, Request};
use azblob_testkit::{Emulator, EmulatorOptions};

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
}

const USAGE: &str = "usage: cargo xtask bench-dirs [--files N] [--big N] [--big-mib N] [--no-rclone]";

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options { files: 10_000, big: 8, big_mib: 128, rclone: true };
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
                "--no-rclone" => options.rclone = false,
                other => return Err(format!("unknown option {other:?}\n{USAGE}")),
            }
        }
        Ok(options)
    }
}

/// One measured run.
struct Run {
    client: &'static str,
    workload: String,
    files: usize,
    bytes: u64,
    seconds: f64,
    peak_rss_mib: f64,
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let options = Options::parse(args)?;
    run_step("building the azblob CLI (release)", cargo().args(["build", "--release", "--quiet", "-p", "azblob-cli"]))?;
    let azblob = crate::target_dir()?.join("release").join(format!("azblob{}", std::env::consts::EXE_SUFFIX));
    let rclone = if options.rclone { Some(ensure_rclone()?) } else { None };

    let root = crate::bench::tmpfs_dir().join(format!("bench-dirs-{}", std::process::id()));
    let result = measure(&options, &azblob, rclone.as_deref(), &root);
    let _ = std::fs::remove_dir_all(&root);
    let runs = result?;
    println!("\n{}", render(&runs));
    Ok(())
}

fn measure(options: &Options, azblob: &Path, rclone: Option<&Path>, root: &Path) -> Result<Vec<Run>, String> {
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
    let emulator = Emulator::start(&EmulatorOptions::default()).map_err(|e| format!("cannot start Azurite: {e}"))?;
    let endpoint = emulator.endpoint();
    let sas_url = create_container(&endpoint)?;
    let connection = format!(
        "DefaultEndpointsProtocol=http;AccountName={};AccountKey={};BlobEndpoint={endpoint}",
        azblob::DEV_ACCOUNT,
        azblob::DEV_ACCOUNT_KEY
    );
    let state = root.join("state");
    let mut runs = Vec::new();
    for (set, dir, files, bytes) in
        [("small", &small, options.files, small_bytes), ("big", &big, options.big, big_bytes)]
    {
        type MakeCommand<'a> = Box<dyn Fn(&[&str]) -> Command + 'a>;
        let mut clients: Vec<(&'static str, MakeCommand<'_>)> = vec![(
            "azblob",
            Box::new(|args: &[&str]| {
                let mut command = Command::new(azblob);
                command.args(args).arg("--no-progress").env("AZURE_STORAGE_CONNECTION_STRING", &connection);
                command.env("XDG_STATE_HOME", &state).env_remove("AZURE_STORAGE_ACCOUNT");
                command
            }),
        )];
        if let Some(rclone) = rclone {
            let sas_url = &sas_url;
            clients.push((
                "rclone",
                Box::new(move |args: &[&str]| {
                    let mut command = Command::new(rclone);
                    command.args(args).args(["--transfers", "32", "--checkers", "32"]);
                    command.env("RCLONE_CONFIG_AZ_TYPE", "azureblob").env("RCLONE_CONFIG_AZ_SAS_URL", sas_url);
                    command
                }),
            ));
        }
        for (client, make) in &clients {
            let prefix = format!("{client}-{set}");
            let out = root.join(format!("out-{prefix}"));
            let (src, remote, out_s) =
                (dir.to_str().unwrap_or_default(), prefix.clone(), out.to_str().unwrap_or_default());
            let az_url = format!("az://{CONTAINER}/{remote}/");
            let rc_remote = format!("az:{CONTAINER}/{remote}");
            let (up, down, noop) = if *client == "azblob" {
                (make(&["cp", "-r", src, &az_url]), make(&["cp", "-r", &az_url, out_s]), make(&["sync", src, &az_url]))
            } else {
                (make(&["copy", src, &rc_remote]), make(&["copy", &rc_remote, out_s]), make(&["sync", src, &rc_remote]))
            };
            runs.push(timed(client, format!("{set} upload"), files, bytes, up)?);
            runs.push(timed(client, format!("{set} download"), files, bytes, down)?);
            if set == "small" {
                runs.push(timed(client, "small no-op sync".into(), files, 0, noop)?);
            }
            let _ = std::fs::remove_dir_all(&out);
        }
    }
    Ok(runs)
}

/// Runs `command` to its end, timing it and sampling its peak RSS.
fn timed(
    client: &'static str,
    workload: String,
    files: usize,
    bytes: u64,
    mut command: Command,
) -> Result<Run, String> {
    eprintln!("bench-dirs: {client} {workload}");
    let started = Instant::now();
    let mut child =
        command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().map_err(|e| format!("{client}: {e}"))?;
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
    if !status.success() {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            use std::io::Read as _;
            let _ = pipe.read_to_string(&mut stderr);
        }
        // rclone's messages may quote its SAS URL.
        return Err(format!("{client} {workload} failed ({status}): {}", azblob::sim::redact_text(stderr.trim())));
    }
    Ok(Run { client, workload, files, bytes, seconds, peak_rss_mib: peak_kib / 1024.0 })
}

/// The table: per workload, each client's seconds, files/s, MB/s and peak RSS, and azblob's speed-up.
fn render(runs: &[Run]) -> String {
    let mut out = String::from(
        "| workload (Azurite) | client | seconds | files/s | MB/s | peak RSS MiB | azblob speed-up |\n|---|---|---|---|---|---|---|\n",
    );
    for run in runs {
        let speedup = if run.client == "azblob" {
            runs.iter()
                .find(|r| r.client == "rclone" && r.workload == run.workload)
                .map_or(String::new(), |r| format!("{:.2}x", r.seconds / run.seconds.max(1e-9)))
        } else {
            String::new()
        };
        out.push_str(&format!(
            "| {} | {} | {:.2} | {:.0} | {:.1} | {:.0} | {} |\n",
            run.workload,
            run.client,
            run.seconds,
            run.files as f64 / run.seconds.max(1e-9),
            run.bytes as f64 / 1e6 / run.seconds.max(1e-9),
            run.peak_rss_mib,
            speedup
        ));
    }
    out
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
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let client = azblob::ClientBuilder::new()
            .endpoint(endpoint)
            .shared_key(azblob::DEV_ACCOUNT, azblob::DEV_ACCOUNT_KEY)
            .and_then(|b| b.build())
            .map_err(|e| e.to_string())?;
        let mut url = client.container(CONTAINER).url().map_err(|e| e.to_string())?;
        url.query_pairs_mut().append_pair("restype", "container");
        client.send_raw(Request::new("CreateContainer", Method::PUT, url)).await.map_err(|e| e.to_string())?;
        Ok::<_, String>(())
    })?;
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
        assert_eq!((o.files, o.big, o.big_mib, o.rclone), (200, 1, 4, false));
        assert!(Options::parse(&args(&["--bogus"])).is_err());
        assert!(Options::parse(&args(&["--files", "x"])).is_err());
    }

    #[test]
    fn the_table_shows_the_speed_up_against_rclone() {
        let run = |client, seconds| Run {
            client,
            workload: "small upload".into(),
            files: 100,
            bytes: 1_000_000,
            seconds,
            peak_rss_mib: 10.0,
        };
        let table = render(&[run("azblob", 1.0), run("rclone", 3.0)]);
        assert!(table.contains("| small upload | azblob | 1.00 | 100 | 1.0 | 10 | 3.00x |"), "{table}");
    }
}
