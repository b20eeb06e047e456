//! `cargo xtask test`: format, lint and documentation checks, then every test against fresh emulators.

use std::path::PathBuf;
use std::process::Command;

use azblob_testkit::{ensure_installed, start_pair, Emulator, ENV_CA_CERT, ENV_ENDPOINT, ENV_TLS_ENDPOINT};

use crate::{cargo, run_step};

pub(crate) fn run(extra: &[String]) -> Result<(), String> {
    run_step("cargo fmt --check", cargo().args(["fmt", "--all", "--check"]))?;
    run_step(
        "cargo clippy",
        cargo().args(["clippy", "--workspace", "--all-targets", "--quiet", "--", "-D", "warnings"]),
    )?;
    run_step(
        "cargo doc -D warnings",
        cargo().args(["doc", "--no-deps", "--workspace", "--quiet"]).env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    crate::examples::build()?;
    let emulators = Emulators::start()?;
    crate::examples::run_against(&emulators.http.endpoint())?;
    let mut test = cargo();
    test.args(["test", "--workspace"]).args(extra);
    run_step("cargo test", emulators.configure(&mut test))?;
    crate::ts::run(&emulators)
}

/// The pinned Azurite over HTTP and HTTPS, as every test run needs them;
/// they stop when this value drops, whether the tests pass or not.
pub(crate) struct Emulators {
    http: Emulator,
    https: Emulator,
    ca_path: PathBuf,
}

impl Emulators {
    /// Installs the pinned Azurite (`npm ci`) if needed and starts both.
    pub(crate) fn start() -> Result<Emulators, String> {
        eprintln!("xtask: installing the pinned Azurite (npm ci) if needed");
        ensure_installed().map_err(|e| format!("cannot install Azurite: {e}"))?;
        let (http, https, _, ca_path) = start_pair().map_err(|e| format!("cannot start Azurite: {e}"))?;
        eprintln!("xtask: Azurite on {} and {}", http.endpoint(), https.endpoint());
        Ok(Emulators { http, https, ca_path })
    }

    /// Points a test command at the emulators.
    pub(crate) fn configure<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        // Clients honour the proxy variables by default; the caller's proxy,
        // if any, cannot reach the loopback emulators and the local token
        // server. Tests of proxies choose theirs through the builder or clear these.
        let no_proxy = no_proxy();
        command
            .env("NO_PROXY", &no_proxy)
            .env("no_proxy", &no_proxy)
            .env(ENV_ENDPOINT, self.http.endpoint())
            .env(ENV_TLS_ENDPOINT, self.https.endpoint())
            .env(ENV_CA_CERT, &self.ca_path)
    }
}

/// The caller's `NO_PROXY` with the loopback hosts added.
pub(crate) fn no_proxy() -> String {
    match std::env::var("NO_PROXY").or_else(|_| std::env::var("no_proxy")) {
        Ok(existing) if !existing.trim().is_empty() => format!("{existing},127.0.0.1,localhost,::1"),
        _ => "127.0.0.1,localhost,::1".to_owned(),
    }
}
