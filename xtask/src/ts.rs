//! The TypeScript port in `cargo xtask test`: the pinned dependencies
//! (`npm ci` from `ts/package-lock.json`), the build, the lint, then its
//! tests (`node --test`) against the same emulator as the Rust tests, and
//! the `azblob` binary (`AZBLOB_CLI_BIN`) for the tests that hand an
//! upload's checkpoint between the two languages.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::run_step;
use crate::test::Emulators;

/// Builds, lints and tests `ts/`, its live tests on `emulators`.
pub(crate) fn run(emulators: &Emulators) -> Result<(), String> {
    let npm = |args: &[&str]| {
        let mut command = Command::new("npm");
        command.args(["--prefix", "ts"]).args(args);
        command
    };
    run_step("npm ci (ts)", &mut npm(&["ci", "--no-audit", "--no-fund", "--loglevel=error"]))?;
    run_step("npm run build (ts)", &mut npm(&["run", "build"]))?;
    run_step("npm run lint (ts)", &mut npm(&["run", "lint"]))?;
    let mut test = npm(&["test"]);
    test.env("AZBLOB_CLI_BIN", build_cli()?);
    run_step("npm test (ts)", emulators.configure(&mut test))
}

/// Builds the `azblob` binary (a no-op when it is up to date) and returns
/// the path cargo reports for it. Building here, rather than taking whatever
/// file sits in the target directory, means the tests never run a stale
/// binary, and the path follows the user's target directory and profile.
fn build_cli() -> Result<PathBuf, String> {
    eprintln!("xtask: cargo build -p azblob-cli (for the TypeScript tests)");
    let output = crate::cargo()
        .args(["build", "-p", "azblob-cli", "--message-format=json"])
        .current_dir(azblob_testkit::workspace_root())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cargo build -p azblob-cli: cannot start: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo build -p azblob-cli failed ({})", output.status));
    }
    cli_executable(&String::from_utf8_lossy(&output.stdout))
        .ok_or_else(|| "cargo build -p azblob-cli reported no azblob executable".to_owned())
}

/// The `azblob` executable among cargo's JSON messages (`--message-format=json`).
fn cli_executable(messages: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "azblob")
        .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
        .next_back()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_is_the_executable_artifact_named_azblob() {
        // Cargo's messages as it prints them: the library (no executable) and
        // a build script's output come before the binary.
        let messages = [
            r#"{"reason":"compiler-artifact","target":{"name":"azblob","kind":["lib"]},"executable":null}"#,
            r#"{"reason":"build-script-executed","package_id":"azblob-cli 0.1.0"}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"azblob","kind":["bin"]},"executable":"/t/debug/azblob"}"#,
            r#"{"reason":"build-finished","success":true}"#,
        ]
        .join("\n");
        assert_eq!(cli_executable(&messages), Some(PathBuf::from("/t/debug/azblob")));
        assert_eq!(cli_executable(&messages.lines().take(2).collect::<Vec<_>>().join("\n")), None);
    }
}
