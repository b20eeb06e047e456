//! The Node.js half of the bench's peers: the TypeScript port (`ts/`) and
//! the pinned `@azure/storage-blob` (a dev dependency of `bench/node` only),
//! each run by `bench/node/worker.mjs` on the same sink and workloads as the
//! Rust peers, its line in the same format.
//!
//! Their dependencies are installed here, when the bench runs, and never by
//! `cargo xtask test`: `npm ci` in `bench/node` (locked to its
//! package-lock.json), then `npm ci` and `npm run build` in `ts/`, whose
//! `dist/` the worker imports.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bench_table::Table;
use crate::run_step;

/// The Node.js clients, beside the Rust peers in the schedule (see `bench/node/worker.mjs`).
pub(crate) const NODE_CLIENTS: &[&str] = &["azblob-ts", "azure-sdk-js"];

/// Whether `client` is one of the Node.js clients.
pub(crate) fn is_node(client: &str) -> bool {
    NODE_CLIENTS.contains(&client)
}

/// Installs `bench/node`'s locked dependencies and builds the TypeScript
/// port; returns the worker script's path.
pub(crate) fn prepare() -> Result<PathBuf, String> {
    let root = azblob_testkit::workspace_root();
    let bench = root.join("bench").join("node");
    let ts = root.join("ts");
    run_step("installing bench/node's dependencies (npm ci)", npm(&bench).args(["ci", "--no-audit", "--no-fund"]))?;
    run_step("installing ts/'s dependencies (npm ci)", npm(&ts).args(["ci", "--no-audit", "--no-fund"]))?;
    run_step("building the TypeScript port (npm run build)", npm(&ts).args(["run", "build"]))?;
    Ok(bench.join("worker.mjs"))
}

/// The command of one run: `node worker.mjs CLIENT WORKLOAD ENDPOINT` (the source follows).
pub(crate) fn command(worker: &Path, client: &str, workload: &str, endpoint: &str) -> Command {
    let mut command = Command::new("node");
    command.arg(worker).args([client, workload, endpoint]);
    command
}

/// `npm --prefix DIR`: run_step sets the workspace root as the working
/// directory, so the package is named by its folder.
fn npm(dir: &Path) -> Command {
    let mut command = Command::new("npm");
    command.arg("--prefix").arg(dir).arg("--silent");
    command
}

/// The TypeScript port against `@azure/storage-blob` on `server`, workload
/// by workload, beside issue 16's targets: downloads at least 1.5 times the
/// SDK's throughput, uploads at least 1.0 times, the listing at least 3
/// times as fast, the 4 KiB p99s at most half the SDK's. Empty unless both ran.
pub(crate) fn ratios(table: &Table, server: &str) -> String {
    let medians = table.medians();
    let row = |client: &str, workload: &str| {
        medians.iter().find(|r| r.server == server && r.client == client && r.workload == workload)
    };
    let mut out = String::new();
    for (ts, sdk) in medians
        .iter()
        .filter(|r| r.server == server && r.client == "azblob-ts")
        .filter_map(|ts| row("azure-sdk-js", &ts.workload).map(|sdk| (ts, sdk)))
    {
        let line = match (ts.mb_s, sdk.mb_s) {
            (Some(ours), Some(theirs)) => {
                let target = if ts.workload.starts_with("download") { 1.5 } else { 1.0 };
                let ratio = ours / theirs;
                format!("{:.2}x the SDK's MB/s (target >= {target:.1}x: {})", ratio, verdict(ratio >= target))
            }
            _ => match (numbers_after(&ts.note, "p99"), numbers_after(&sdk.note, "p99")) {
                (Some(ours), Some(theirs)) if ts.workload.starts_with("4KiB") => {
                    let ratio = (ours.0 / theirs.0).max(ours.1 / theirs.1);
                    format!("p99 put/get {:.2}x the SDK's at worst (target <= 0.5x: {})", ratio, verdict(ratio <= 0.5))
                }
                _ => match (numbers_after(&ts.note, "in"), numbers_after(&sdk.note, "in")) {
                    (Some(ours), Some(theirs)) => {
                        let speedup = theirs.0 / ours.0;
                        format!("{speedup:.2}x as fast as the SDK (target >= 3x: {})", verdict(speedup >= 3.0))
                    }
                    _ => continue,
                },
            },
        };
        out.push_str(&format!("azblob-ts vs azure-sdk-js, {}: {line}\n", ts.workload));
    }
    out
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "not met"
    }
}

/// The number or `a/b` pair of numbers after the word `word` in a note
/// (`p99 0.41/0.38 ms`, `5000 in 0.120 s`); a single number is given twice.
fn numbers_after(note: &str, word: &str) -> Option<(f64, f64)> {
    let mut words = note.split_whitespace();
    words.by_ref().find(|w| *w == word)?;
    let value = words.next()?;
    let (a, b) = value.split_once('/').unwrap_or((value, value));
    Some((a.parse().ok()?, b.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench_table::Row;

    #[test]
    fn ratios_compare_the_port_with_the_sdk_against_the_targets() {
        let mut table = Table::default();
        for (client, line) in [
            ("azblob-ts", "download-memory 900 1.20 1100 azblob-ts one GET"),
            ("azure-sdk-js", "download-memory 400 2.90 1300 azure-sdk-js one GET"),
            ("azblob-ts", "upload-memory 1800 0.50 1100 azblob-ts 32x8MiB c8"),
            ("azure-sdk-js", "upload-memory 2000 0.45 1200 azure-sdk-js 32x8MiB c8"),
            ("azblob-ts", "4KiB put/get - - 60 azblob-ts p50 0.20/0.18 p99 1.00/1.50 ms"),
            ("azure-sdk-js", "4KiB put/get - - 70 azure-sdk-js p50 0.57/0.50 p99 4.00/3.50 ms"),
            ("azblob-ts", "list 5,000 - - 80 azblob-ts 5000 in 0.250 s"),
            ("azure-sdk-js", "list 5,000 - - 90 azure-sdk-js 5000 in 0.890 s"),
            ("object_store", "download-memory 2000 0.30 1100 object_store one GET"),
        ] {
            table.push(Row::parse("sink", client, line).unwrap());
        }
        let text = ratios(&table, "sink");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(
            lines[0].starts_with("azblob-ts vs azure-sdk-js, download-memory: 2.25x") && lines[0].ends_with(": met)")
        );
        assert!(lines[1].contains("upload-memory: 0.90x") && lines[1].ends_with("not met)"), "{text}");
        // The worse of the two p99 ratios counts: 1.50/3.50 = 0.43 against 1.00/4.00 = 0.25.
        assert!(lines[2].contains("p99 put/get 0.43x") && lines[2].ends_with(": met)"), "{text}");
        assert!(lines[3].contains("list 5,000: 3.56x as fast") && lines[3].ends_with(": met)"), "{text}");
        assert_eq!(ratios(&table, "sink+tls"), "");
    }
}
