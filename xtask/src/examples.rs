//! The library's examples (`crates/azblob/examples/`): `cargo xtask test`
//! builds every one and runs those that need only storage against its
//! emulator; `cargo xtask examples` does the same with an emulator of its own.
//!
//! The Entra ID examples (`entra_default`, `user_delegation_sas`) are built
//! but not run: they need a real identity.

use std::process::{Command, Stdio};

use azblob_testkit::{Emulator, EmulatorOptions};

use crate::{cargo, run_step};

/// The container the examples write to, through `AZBLOB_EXAMPLE_CONTAINER`.
const CONTAINER: &str = "examples";

/// The variables through which a caller's own storage configuration would
/// reach the examples; removed so they talk to the emulator only.
const STORAGE_VARS: [&str; 5] = [
    "AZURE_STORAGE_ACCOUNT",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_BLOB_ENDPOINT",
    "AZURE_STORAGE_CONNECTION_STRING",
];

/// `cargo xtask examples`: build them, start Azurite, run them.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if !args.is_empty() {
        return Err("usage: cargo xtask examples".into());
    }
    build()?;
    azblob_testkit::ensure_installed().map_err(|e| format!("cannot install Azurite: {e}"))?;
    let emulator = Emulator::start(&EmulatorOptions::default()).map_err(|e| format!("cannot start Azurite: {e}"))?;
    run_against(&emulator.endpoint())
}

/// Builds every example, so none can rot even when it is not run.
pub(crate) fn build() -> Result<(), String> {
    run_step("cargo build --examples", cargo().args(["build", "--quiet", "-p", "azblob", "--examples"]))
}

/// Runs the storage-only examples, in an order where each finds what the
/// previous one left, against the emulator at `endpoint`: a non-zero exit,
/// or output without the expected report, fails.
pub(crate) fn run_against(endpoint: &str) -> Result<(), String> {
    let connection_string = crate::demo::dev_connection_string(endpoint);
    // The library never creates containers; the examples expect one.
    crate::demo::create_container(&connection_string, CONTAINER)?;
    let bin = crate::target_dir()?.join("debug").join("examples");
    // Their generated model and cassette go under target/, not /tmp.
    let scratch = azblob_testkit::scratch_dir().join("examples");
    std::fs::create_dir_all(&scratch).map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    let run = |name: &str, args: &[&str], expected: &str| {
        let mut command = Command::new(bin.join(format!("{name}{}", std::env::consts::EXE_SUFFIX)));
        for var in STORAGE_VARS {
            command.env_remove(var);
        }
        command
            .args(args)
            .env("AZURE_STORAGE_CONNECTION_STRING", &connection_string)
            .env("AZBLOB_EXAMPLE_CONTAINER", CONTAINER)
            .env("TMPDIR", &scratch)
            .env("NO_PROXY", crate::test::no_proxy())
            .env("no_proxy", crate::test::no_proxy());
        run_checked(name, &mut command, expected)
    };
    run("upload_model", &[], "uploaded 10485760 bytes in 3 blocks")?;
    run("stream_shards", &["models/"], "streamed 1 shards, 10485760 bytes")?;
    run("list_and_delete", &["models/"], "deleted 1 of 1 blobs")?;
    run("record_replay", &[], "the replay read what the recording did")?;
    // The exporter prints each span's attributes: the status, recorded once
    // the answer came, as an integer shows that the spans reached
    // OpenTelemetry whole and typed as the conventions want.
    run("opentelemetry_stdout", &[], "http.response.status_code: I64(201)")?;
    Ok(())
}

/// Runs one example, echoing its output, and checks its exit and report.
fn run_checked(name: &str, command: &mut Command, expected: &str) -> Result<(), String> {
    eprintln!("xtask: example {name}");
    let output = command
        .current_dir(azblob_testkit::workspace_root())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("example {name}: cannot start (built by `cargo build --examples`?): {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{stdout}");
    if !output.status.success() {
        return Err(format!("example {name} failed ({})", output.status));
    }
    match stdout.contains(expected) {
        true => Ok(()),
        false => Err(format!("example {name} did not report {expected:?}")),
    }
}
