//! `cargo xtask record`: refreshes the conformance suite's cassettes in
//! `testdata/cassettes/` by running it against a fresh Azurite.

use azblob_testkit::{ensure_installed, start_pair, ENV_CA_CERT, ENV_ENDPOINT, ENV_TLS_ENDPOINT};

use crate::{cargo, run_step};

/// The environment variable that switches the Azurite run of the suite to recording.
const ENV_RECORD: &str = "AZBLOB_RECORD";

pub(crate) fn run(extra: &[String]) -> Result<(), String> {
    eprintln!("xtask: installing the pinned Azurite (npm ci) if needed");
    ensure_installed().map_err(|e| format!("cannot install Azurite: {e}"))?;
    // A fresh, in-memory emulator: the suite's containers have fixed names.
    let (http, https, _, ca_path) = start_pair().map_err(|e| format!("cannot start Azurite: {e}"))?;
    eprintln!("xtask: recording against Azurite on {}", http.endpoint());
    run_step(
        "cargo test --test conformance_azurite (recording)",
        cargo()
            .args(["test", "-p", "azblob", "--test", "conformance_azurite"])
            .args(extra)
            .env(ENV_RECORD, "1")
            .env(ENV_ENDPOINT, http.endpoint())
            .env(ENV_TLS_ENDPOINT, https.endpoint())
            .env(ENV_CA_CERT, &ca_path),
    )?;
    eprintln!(
        "xtask: cassettes written to testdata/cassettes/; check them with `cargo test --test conformance_replay`"
    );
    Ok(())
}
