//! `cargo xtask`: the project's automation. Run `cargo xtask help`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod bench_checksums;
mod bench_dirs;
mod bench_dirs_table;
mod bench_latency;
mod bench_node;
mod bench_peers;
mod bench_table;
mod bench_tls;
mod coverage;
mod demo;
mod examples;
mod fuzz;
mod proc_stats;
mod record;
mod sink;
mod sink_blobs;
mod sink_store;
mod sink_tls;
mod soak;
mod soak_scenarios;
mod test;
mod ts;

use std::process::{Command, ExitCode};

const HELP: &str = "\
cargo xtask <command>

Commands:
  test    install and start the pinned Azurite (HTTP and HTTPS), then run
          rustfmt --check, clippy -D warnings, the examples (built, and
          the storage-only ones run) and every test (the conformance
          suite both live and in replay from its cassettes), then the
          TypeScript port in ts/: npm ci, build, lint and its tests
  demo    start Azurite, upload a generated file with `azblob cp`, download it
          back, compare hashes and print the figures  [--size-mib N]
  examples  build the library's examples, start Azurite and run those
          that need only storage (upload_model, stream_shards,
          list_and_delete, record_replay, opentelemetry_stdout), checking
          their reports; `test`
          does the same against its emulator
  record  start a fresh Azurite and re-record the conformance suite's
          cassettes in testdata/cassettes/ (replayed by `test`)
  bench   throughput, CPU time and peak memory against a fast sink server,
          azblob beside the peer clients of bench/peers (object_store,
          opendal) in interleaved rounds with medians and the ratio to the
          best peer, the azblob CLI's start-up, the transfers over HTTPS
          (ring and aws-lc-rs), adaptive concurrency against fixed 1..64
          on a sink 10 ms away, then azblob against Azurite (release build)
                                    [--size-mib N] [--rounds N, default 3]
                                    [--no-peers] [--only PATTERN] [--no-tls]
                                    [--no-dirs]
                                    [--latency-ms N, 0 skips]
                                    [--baseline XTASK of another build]
          and last the whole-directory section (bench-dirs, defaults;
          --no-dirs skips it)
  bench-dirs  whole directories on the sink and on Azurite: `azblob
          cp -r`/`sync` beside rclone (Debian's package, installed with
          apt-get if missing): 10,000 files of 1-256 KiB up, down and a
          no-op sync, 8 x 128 MiB up and down, interleaved rounds; median
          seconds, files/s, MB/s, peak RSS and issue 14's targets
                                    [--files N] [--big N] [--big-mib N]
                                    [--rounds N, default 3] [--no-rclone]
                                    [--no-sink] [--no-azurite]
  fuzz    the property tests of every parser and the hostile-server tests
          with PROPTEST_CASES raised (default 20000): minutes, not in CI
                                                       [--cases N]
  coverage  line coverage (cargo-llvm-cov over the whole suite) and
          documentation coverage (nightly rustdoc) per crate; fails below
          80% lines or 90% documented items (not part of `test`)
  soak    every fault scenario through the test kit's FaultProxy with
          seeds 1..N: a transfer of --size-mib (default 1024) up and down
          against the sink (--store) with a fault every ~64 MiB, and
          smaller scenarios against Azurite; prints seed, faults, retries,
          outcome and bytes verified (release build)
                                                [--seeds N] [--size-mib N]
  help    print this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test::run(&args[1..]),
        Some("demo") => demo::run(&args[1..]),
        Some("examples") => examples::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("bench-dirs") => bench_dirs::run(&args[1..]),
        Some("record") => record::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("coverage") => coverage::run(&args[1..]),
        Some("soak") => soak::run(&args[1..]),
        // Internal: the benchmark's server and worker processes.
        Some("sink") => sink::main(&args[1..]),
        Some("soak-run") => soak::run_here(&args[1..]),
        Some("bench-worker") => bench::worker_main(&args[1..]),
        Some("bench-checksums") => bench_checksums::main(&args[1..]),
        Some("help" | "-h" | "--help") | None => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command {other:?}\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a command from the workspace root, echoing it, and fails on a non-zero exit.
fn run_step(name: &str, command: &mut Command) -> Result<(), String> {
    eprintln!("xtask: {name}");
    let status = command
        .current_dir(azblob_testkit::workspace_root())
        .status()
        .map_err(|e| format!("{name}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{name} failed ({status})"))
    }
}

/// Where cargo puts what it builds: `CARGO_TARGET_DIR`, `build.target-dir`
/// or `<workspace>/target`, as `cargo metadata` resolves them, so a release
/// binary is found wherever the user's settings send it.
fn target_dir() -> Result<std::path::PathBuf, String> {
    target_dir_from(cargo())
}

/// [`target_dir`] as `cargo` (with its environment) reports it.
fn target_dir_from(mut cargo: Command) -> Result<std::path::PathBuf, String> {
    let output = cargo
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(azblob_testkit::workspace_root())
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr).trim()));
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("cannot parse cargo metadata: {e}"))?;
    metadata["target_directory"]
        .as_str()
        .map(std::path::PathBuf::from)
        .ok_or_else(|| "cargo metadata names no target_directory".to_owned())
}

/// `cargo` as invoked by the user (`$CARGO` under `cargo xtask`).
fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_dir_follows_cargo_target_dir() {
        let elsewhere = std::env::temp_dir().join("azblob-xtask-target-probe");
        let mut with_env = cargo();
        with_env.env("CARGO_TARGET_DIR", &elsewhere);
        assert_eq!(target_dir_from(with_env).unwrap(), elsewhere);

        let mut without = cargo();
        without.env_remove("CARGO_TARGET_DIR");
        assert!(target_dir_from(without).unwrap().is_absolute());
    }
}
