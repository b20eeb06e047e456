//! `cargo xtask soak`: every fault scenario through the test kit's
//! `FaultProxy`, seed after seed, with a table of what each run met.
//!
//! `soak` builds this binary in release mode and runs it as `soak-run`, so
//! a 1 GiB transfer is not timed in a debug build. The transfer goes to the
//! sink in `--store` mode (in this process), which serves back what it was
//! given, so the download is checked by SHA-256 against the source; the
//! other scenarios go to Azurite. Retries are counted from the library's
//! own `tracing` events ("retrying request", from the retry layer and from
//! small answers asked again, and "resuming an incomplete body" from
//! downloads), not guessed from the proxy's request count.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use azblob_testkit::{Emulator, EmulatorOptions};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

use crate::soak_scenarios::{Outcome, Scenario, SCENARIOS};
use crate::{cargo, run_step};

/// What a run of the soak covers.
#[derive(Debug, Clone)]
pub(crate) struct SoakOptions {
    /// Seeds 1 to this.
    pub(crate) seeds: u64,
    /// The size of the transfer against the sink.
    pub(crate) size_mib: u64,
    /// Only the scenario of this name, if given.
    pub(crate) only: Option<String>,
}

fn parse(args: &[String]) -> Result<SoakOptions, String> {
    let usage = || format!("usage: cargo xtask soak [--seeds N] [--size-mib N] [--only {}] (N > 0)", names());
    let mut options = SoakOptions { seeds: 20, size_mib: 1024, only: None };
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().ok_or_else(|| format!("{flag} needs a value"))?;
        if flag == "--only" {
            SCENARIOS.iter().find(|s| s.name() == value).ok_or_else(usage)?;
            options.only = Some(value.clone());
            continue;
        }
        let n: u64 = value.parse().map_err(|_| format!("{flag} {value:?} is not a number"))?;
        match flag.as_str() {
            "--seeds" if n > 0 => options.seeds = n,
            "--size-mib" if n > 0 => options.size_mib = n,
            _ => return Err(usage()),
        }
    }
    Ok(options)
}

fn names() -> String {
    SCENARIOS.iter().map(|s| s.name()).collect::<Vec<_>>().join("|")
}

/// `cargo xtask soak`: builds the release binary and runs the soak in it.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    parse(args)?;
    run_step("building xtask (release)", cargo().args(["build", "--release", "--quiet", "-p", "xtask"]))?;
    let exe = crate::target_dir()?.join("release").join(format!("xtask{}", std::env::consts::EXE_SUFFIX));
    run_step("soak", std::process::Command::new(exe).arg("soak-run").args(args))
}

/// Retries seen since the last [`take_retries`].
static RETRIES: AtomicU64 = AtomicU64::new(0);

/// The retries counted since the last call (scenarios call it after their
/// setup, so the table counts only the retries of what went through the proxy).
pub(crate) fn take_retries() -> u64 {
    RETRIES.swap(0, Ordering::SeqCst)
}

/// A `tracing` layer that counts the library's retry and resume events.
struct CountRetries;

impl<S: tracing::Subscriber> Layer<S> for CountRetries {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        struct Message(bool);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    let text = format!("{value:?}");
                    self.0 |= text == "retrying request" || text == "resuming an incomplete body";
                }
            }
        }
        let mut message = Message(false);
        event.record(&mut message);
        if message.0 {
            RETRIES.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// `soak-run`: the soak itself, in this (release) process.
pub(crate) fn run_here(args: &[String]) -> Result<(), String> {
    let options = parse(args)?;
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(CountRetries))
        .map_err(|e| e.to_string())?;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let sink =
        format!("http://127.0.0.1:{}/devstoreaccount1", listener.local_addr().map_err(|e| e.to_string())?.port());
    std::thread::spawn(move || crate::sink::serve(listener, true, None));
    let emulator = Emulator::start(&EmulatorOptions::default()).map_err(|e| format!("cannot start Azurite: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    let context = runtime.block_on(crate::soak_scenarios::Context::new(&sink, &emulator.endpoint(), &options))?;
    println!(
        "{:<14} {:>4} {:>6} {:>7} {:>6} {:>7}  {:<16} outcome",
        "scenario", "seed", "faults", "retries", "p-errs", "secs", "verified"
    );
    let (mut runs, mut bad) = (0, Vec::new());
    let chosen = SCENARIOS.iter().filter(|s| options.only.as_deref().is_none_or(|only| s.name() == only));
    for scenario in chosen {
        for seed in 1..=options.seeds {
            let started = Instant::now();
            take_retries();
            let run = runtime.block_on(context.run(*scenario, seed));
            print_row(*scenario, seed, &run, take_retries(), started.elapsed().as_secs_f64());
            let (_, _, outcome) = run;
            runs += 1;
            if !matches!(outcome, Outcome::Verified(_)) {
                bad.push(format!("{} seed {seed}", scenario.name()));
            }
        }
    }
    println!("{runs} runs, {} verified, {} not: {}", runs - bad.len(), bad.len(), bad.join(", "));
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!("{} runs were not verified", bad.len()))
    }
}

/// One line of the table; proxy errors (connections that broke mid-message
/// without a fault) are counted, and the first one is shown.
fn print_row(scenario: Scenario, seed: u64, run: &(usize, Vec<String>, Outcome), retries: u64, secs: f64) {
    let (faults, errors, outcome) = run;
    let (verified, mut text) = match outcome {
        Outcome::Verified(what) => (what.as_str(), "ok".to_owned()),
        Outcome::Error(message) => ("-", format!("typed error: {message}")),
        Outcome::Corrupt(message) => ("-", format!("CORRUPT: {message}")),
    };
    if let Some(first) = errors.first() {
        text.push_str(&format!(" (proxy: {first})"));
    }
    let p_errs = errors.len();
    println!(
        "{:<14} {seed:>4} {faults:>6} {retries:>7} {p_errs:>6} {secs:>7.1}  {verified:<16} {text}",
        scenario.name()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn options_default_to_twenty_seeds_of_a_gib_and_refuse_nonsense() {
        let o = parse(&[]).unwrap();
        assert_eq!((o.seeds, o.size_mib), (20, 1024));
        let o = parse(&args("--seeds 3 --size-mib 64")).unwrap();
        assert_eq!((o.seeds, o.size_mib), (3, 64));
        assert!(parse(&args("--seeds 0")).is_err());
        assert!(parse(&args("--seeds")).is_err());
        assert!(parse(&args("--size-mib lots")).is_err());
        assert!(parse(&args("--other 1")).is_err());
        assert_eq!(parse(&args("--only batch-cut")).unwrap().only.as_deref(), Some("batch-cut"));
        assert!(parse(&args("--only nothing")).is_err());
    }
}
