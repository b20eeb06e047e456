//! The TypeScript port in `cargo xtask test`: the pinned dependencies
//! (`npm ci` from `ts/package-lock.json`), the build, the lint, then its
//! tests (`node --test`) against the same emulator as the Rust tests.

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
    run_step("npm test (ts)", emulators.configure(&mut npm(&["test"])))
}
