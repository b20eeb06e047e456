//! `cargo xtask test`: format and lint checks, then every test against fresh emulators.

use azblob_testkit::{ensure_installed, start_pair, ENV_CA_CERT, ENV_ENDPOINT, ENV_TLS_ENDPOINT};

use crate::{cargo, run_step};

pub(crate) fn run(extra: &[String]) -> Result<(), String> {
    run_step("cargo fmt --check", cargo().args(["fmt", "--all", "--check"]))?;
    run_step(
        "cargo clippy",
        cargo().args(["clippy", "--workspace", "--all-targets", "--quiet", "--", "-D", "warnings"]),
    )?;
    eprintln!("xtask: installing the pinned Azurite (npm ci) if needed");
    ensure_installed().map_err(|e| format!("cannot install Azurite: {e}"))?;
    // The emulators stop when these values drop, whether the tests pass or not.
    let (http, https, _, ca_path) = start_pair().map_err(|e| format!("cannot start Azurite: {e}"))?;
    eprintln!("xtask: Azurite on {} and {}", http.endpoint(), https.endpoint());
    run_step(
        "cargo test",
        cargo()
            .args(["test", "--workspace"])
            .args(extra)
            .env(ENV_ENDPOINT, http.endpoint())
            .env(ENV_TLS_ENDPOINT, https.endpoint())
            .env(ENV_CA_CERT, &ca_path),
    )
}
