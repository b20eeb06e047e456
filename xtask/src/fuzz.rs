//! `cargo xtask fuzz`: the property tests of every parser and the hostile
//! server tests, with far more cases than `cargo xtask test` runs. It takes
//! minutes and is not part of CI; a failure prints the smallest input found.

use crate::{cargo, run_step};

/// Cases per property unless `--cases N` says otherwise.
const DEFAULT_CASES: u64 = 20_000;

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let cases = match args {
        [] => DEFAULT_CASES,
        [flag, n] if flag == "--cases" => n.parse().map_err(|_| format!("--cases {n:?} is not a number"))?,
        other => return Err(format!("unknown arguments {other:?}; usage: cargo xtask fuzz [--cases N]")),
    };
    let suites: [(&str, &[&str]); 3] = [
        ("library property tests", &["test", "-p", "azblob", "--lib", "--", "proptests"]),
        ("hostile server tests", &["test", "-p", "azblob", "--test", "hostile"]),
        ("command-line property tests", &["test", "-p", "azblob-cli", "--bin", "azblob", "--", "proptests"]),
    ];
    for (name, test_args) in suites {
        // proptest reads PROPTEST_CASES; the tests' own defaults yield to it.
        run_step(
            &format!("{name}, {cases} cases each"),
            cargo().args(test_args).env("PROPTEST_CASES", cases.to_string()),
        )?;
    }
    Ok(())
}
