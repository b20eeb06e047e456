//! The TypeScript port in `cargo xtask test`: the pinned dependencies
//! (`npm ci` from `ts/package-lock.json`), the build, the lint, then its
//! tests (`node --test`) against the same emulator as the Rust tests, and
//! the `azblob` binary `cargo test` built (`AZBLOB_CLI_BIN`) for the tests
//! that hand an upload's checkpoint between the two languages.

use std::process::Command;

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
    // `cargo test --workspace` built the CLI for its own tests; handing its
    // path over spares the TypeScript tests a `cargo build` of their own
    // (which they do when it is missing, so a run never skips them).
    let cli = crate::target_dir()?.join("debug").join(format!("azblob{}", std::env::consts::EXE_SUFFIX));
    if cli.exists() {
        test.env("AZBLOB_CLI_BIN", &cli);
    }
    run_step("npm test (ts)", emulators.configure(&mut test))
}
