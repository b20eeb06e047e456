//! `cargo xtask coverage`: the specification's quality gates, per crate.
//!
//! - Lines: `cargo llvm-cov` runs the whole test suite (the emulators of
//!   `cargo xtask test` included) with `-C instrument-coverage`; the CLI's
//!   tests run the instrumented binary, so its lines count too. Its LLVM
//!   tools must match rustc's LLVM, which Debian's `llvm-N` packages do.
//! - Documentation: nightly `rustdoc --show-coverage`, the share of public
//!   items with a doc comment (stable rustdoc cannot report it).
//!
//! Neither runs in `cargo xtask test`: an instrumented build and run takes
//! about twice as long as the suite itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::test::Emulators;
use crate::{cargo, run_step};

/// The specification's floors, in percent.
const LINE_MIN: f64 = 80.0;
const DOC_MIN: f64 = 90.0;
/// The pinned `cargo-llvm-cov`, installed from crates.io when missing.
const LLVM_COV_VERSION: &str = "0.9.1";
/// The crates measured, and the rustdoc target of each.
const CRATES: &[(&str, &str)] = &[("azblob", "--lib"), ("azblob-cli", "--bins"), ("azblob-testkit", "--lib")];

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if !args.is_empty() {
        return Err("usage: cargo xtask coverage".into());
    }
    let tools = llvm_tools()?;
    ensure_cargo_llvm_cov()?;
    let root = azblob_testkit::workspace_root();
    let report_dir = crate::target_dir()?.join("coverage");
    std::fs::create_dir_all(&report_dir).map_err(|e| format!("cannot create {}: {e}", report_dir.display()))?;
    let report = report_dir.join("lines.json");
    let emulators = Emulators::start()?;
    let mut measure = cargo();
    measure
        .args(["llvm-cov", "--workspace", "--exclude", "xtask", "--json", "--summary-only", "--output-path"])
        .arg(&report)
        .env("LLVM_COV", tools.join("llvm-cov"))
        .env("LLVM_PROFDATA", tools.join("llvm-profdata"));
    run_step("cargo llvm-cov (the whole test suite, instrumented)", emulators.configure(&mut measure))?;
    drop(emulators);
    let lines = line_coverage(&report, &root)?;
    let docs = doc_coverage()?;

    println!("\n{:<16} {:>12} {:>10} {:>12} {:>10}", "crate", "lines", "line %", "doc items", "doc %");
    let mut failures = Vec::new();
    for (name, _) in CRATES {
        let (line_hit, line_all) = lines.get(*name).copied().unwrap_or((0, 0));
        let (doc_hit, doc_all) = docs.get(*name).copied().unwrap_or((0, 0));
        let (line_pct, doc_pct) = (percent(line_hit, line_all), percent(doc_hit, doc_all));
        println!(
            "{name:<16} {:>12} {line_pct:>9.1}% {:>12} {doc_pct:>9.1}%",
            format!("{line_hit}/{line_all}"),
            format!("{doc_hit}/{doc_all}")
        );
        if line_pct < LINE_MIN {
            failures.push(format!("{name}: line coverage {line_pct:.1}% is below {LINE_MIN}%"));
        }
        if doc_pct < DOC_MIN {
            failures.push(format!("{name}: documentation coverage {doc_pct:.1}% is below {DOC_MIN}%"));
        }
    }
    println!("(the per-file figures are in {})", report.display());
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

fn percent(hit: u64, all: u64) -> f64 {
    if all == 0 {
        0.0
    } else {
        hit as f64 * 100.0 / all as f64
    }
}

/// The directory of `llvm-cov` and `llvm-profdata` of rustc's LLVM major
/// version: Debian's `/usr/lib/llvm-N/bin`, installed with apt when missing.
fn llvm_tools() -> Result<PathBuf, String> {
    let output = Command::new("rustc").arg("-vV").output().map_err(|e| format!("cannot run rustc -vV: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let major = llvm_major(&text).ok_or("rustc -vV names no LLVM version")?;
    let dir = PathBuf::from(format!("/usr/lib/llvm-{major}/bin"));
    if !dir.join("llvm-profdata").exists() {
        run_step(
            &format!("apt-get install llvm-{major} (LLVM tools matching rustc's)"),
            Command::new("apt-get").args(["install", "-y", "-qq", &format!("llvm-{major}")]),
        )
        .map_err(|e| format!("{e}; install Debian's llvm-{major} package by hand"))?;
    }
    Ok(dir)
}

/// The major version in rustc's `LLVM version: 22.1.2` line.
fn llvm_major(rustc_vv: &str) -> Option<u32> {
    rustc_vv.lines().find_map(|l| l.strip_prefix("LLVM version: "))?.split('.').next()?.trim().parse().ok()
}

fn ensure_cargo_llvm_cov() -> Result<(), String> {
    let installed = cargo()
        .args(["llvm-cov", "--version"])
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(LLVM_COV_VERSION));
    if installed {
        return Ok(());
    }
    run_step(
        &format!("cargo install cargo-llvm-cov {LLVM_COV_VERSION}"),
        cargo().args(["install", "--locked", "--version", LLVM_COV_VERSION, "cargo-llvm-cov"]),
    )
}

/// Covered and total lines per crate, from `cargo llvm-cov`'s JSON summary.
fn line_coverage(report: &Path, root: &Path) -> Result<BTreeMap<String, (u64, u64)>, String> {
    let text = std::fs::read_to_string(report).map_err(|e| format!("cannot read {}: {e}", report.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("bad llvm-cov JSON: {e}"))?;
    let files = json["data"][0]["files"].as_array().ok_or("llvm-cov JSON has no data[0].files")?;
    let mut per_crate = BTreeMap::new();
    for file in files {
        let name = file["filename"].as_str().unwrap_or_default();
        let Some(krate) = crate_of(Path::new(name), root) else { continue };
        let lines = &file["summary"]["lines"];
        let entry = per_crate.entry(krate).or_insert((0, 0));
        entry.0 += lines["covered"].as_u64().unwrap_or(0);
        entry.1 += lines["count"].as_u64().unwrap_or(0);
    }
    Ok(per_crate)
}

/// `azblob` for `<root>/crates/azblob/src/...`; `None` outside `crates/*/src`
/// (tests, examples and dependencies are not the code measured).
fn crate_of(file: &Path, root: &Path) -> Option<String> {
    let mut parts = file.strip_prefix(root).ok()?.components().map(|c| c.as_os_str().to_string_lossy());
    (parts.next()? == "crates").then_some(())?;
    let krate = parts.next()?.into_owned();
    (parts.next()? == "src").then_some(krate)
}

/// Documented and total items per crate, from nightly rustdoc's JSON coverage.
fn doc_coverage() -> Result<BTreeMap<String, (u64, u64)>, String> {
    let nightly_target = crate::target_dir()?.join("nightly-doc");
    let mut per_crate = BTreeMap::new();
    for (name, target) in CRATES {
        // Through rustup: `$CARGO` (how xtask runs cargo) is a toolchain's
        // own cargo, which does not understand `+nightly`.
        let output = Command::new("rustup")
            .args(["run", "nightly", "cargo", "rustdoc", "--quiet", "-p", name, target, "--"])
            .args(["-Z", "unstable-options", "--show-coverage", "--output-format", "json"])
            .env("CARGO_TARGET_DIR", &nightly_target)
            .current_dir(azblob_testkit::workspace_root())
            .output()
            .map_err(|e| format!("cannot run nightly rustdoc: {e}"))?;
        if !output.status.success() {
            return Err(format!("nightly rustdoc on {name} failed: {}", String::from_utf8_lossy(&output.stderr)));
        }
        per_crate.insert((*name).to_owned(), doc_totals(&String::from_utf8_lossy(&output.stdout))?);
    }
    Ok(per_crate)
}

/// Sums `with_docs` and `total` over the files of rustdoc's coverage JSON
/// (one JSON object per line, one per target).
fn doc_totals(stdout: &str) -> Result<(u64, u64), String> {
    let (mut with_docs, mut total) = (0, 0);
    for line in stdout.lines().filter(|l| l.trim_start().starts_with('{')) {
        let json: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("bad rustdoc JSON: {e}"))?;
        for counts in json.as_object().into_iter().flat_map(|files| files.values()) {
            with_docs += counts["with_docs"].as_u64().unwrap_or(0);
            total += counts["total"].as_u64().unwrap_or(0);
        }
    }
    Ok((with_docs, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_llvm_major_comes_from_rustc() {
        assert_eq!(llvm_major("rustc 1.95.0\nhost: x86_64\nLLVM version: 22.1.2\n"), Some(22));
        assert_eq!(llvm_major("rustc 1.95.0\n"), None);
    }

    #[test]
    fn files_belong_to_the_crate_whose_src_holds_them() {
        let root = Path::new("/w");
        assert_eq!(crate_of(Path::new("/w/crates/azblob/src/ops/mod.rs"), root).as_deref(), Some("azblob"));
        assert_eq!(crate_of(Path::new("/w/crates/azblob/tests/x.rs"), root), None);
        assert_eq!(crate_of(Path::new("/home/.cargo/registry/x/src/lib.rs"), root), None);
    }

    #[test]
    fn doc_totals_add_up_every_file() {
        let json = r#"{"src/a.rs":{"total":4,"with_docs":3,"total_examples":0,"with_examples":0},"src/b.rs":{"total":6,"with_docs":6,"total_examples":1,"with_examples":0}}"#;
        assert_eq!(doc_totals(json).unwrap(), (9, 10));
        assert!(doc_totals("{not json").is_err());
    }
}
