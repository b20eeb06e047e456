//! `--timeout` and `--deadline` reach the client: against a relay that
//! accepts and never answers, the command fails in about the time asked,
//! naming the timeout that fired.

use std::process::Command;
use std::time::{Duration, Instant};

use azblob::{DEV_ACCOUNT, DEV_ACCOUNT_KEY};
use azblob_testkit::{Fault, Relay};

/// Runs `azblob stat` through a silent relay with `flags`; returns its
/// stderr and how long it took. The connection string is built here, so the
/// relay needs no emulator behind it.
fn stat_through_silence(flags: &[&str]) -> (String, Duration) {
    let relay = Relay::start("127.0.0.1:9", |_| Fault::Stall).unwrap();
    let endpoint = relay.url_for(&format!("http://127.0.0.1:1/{DEV_ACCOUNT}"));
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_azblob"))
        .args(["stat", "az://silent/b"])
        .args(flags)
        .env(
            "AZURE_STORAGE_CONNECTION_STRING",
            format!("AccountName={DEV_ACCOUNT};AccountKey={DEV_ACCOUNT_KEY};BlobEndpoint={endpoint}"),
        )
        .env_remove("AZURE_STORAGE_ACCOUNT")
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(!output.status.success());
    assert!(relay.connections() >= 1, "the command went through the relay");
    (String::from_utf8_lossy(&output.stderr).into_owned(), took)
}

#[test]
fn timeout_ends_silent_attempts() {
    // Four attempts of 500 ms plus at most 2.8 s of backoff.
    let (stderr, took) = stat_through_silence(&["--timeout", "500ms"]);
    assert!(stderr.contains("inactivity timeout"), "{stderr}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn deadline_ends_the_operation() {
    let (stderr, took) = stat_through_silence(&["--timeout", "1m", "--deadline", "1s"]);
    assert!(stderr.contains("deadline"), "{stderr}");
    assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(5), "{took:?}");
}
