//! `--record DIR` and `--replay DIR`: capture a command's exchanges with the
//! service in a cassette, and answer them from it later (in CI, offline).
//!
//! Each command line gets its own cassette, `DIR/<command>-<hash>.json`,
//! named by a hash of its arguments without the simulation flags and without
//! `--connection-string` (a credential, not part of what the command does),
//! so several commands recorded into one directory each find their own.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use anyhow::{Context, Result};
use azblob::sim::SimulationMode;
use azblob::{BlobServiceClient, ClientBuilder};
use sha2::{Digest, Sha256};

/// Flags that take a value and do not name the command's work.
const EXCLUDED_FLAGS: &[&str] = &["--record", "--replay", "--connection-string"];

/// The recording or replay this process runs under.
struct Active {
    /// Record or replay.
    mode: SimulationMode,
    /// The cassette file.
    cassette: PathBuf,
}

/// The process's simulation, read once from the environment.
static ACTIVE: OnceLock<Option<Active>> = OnceLock::new();
/// Every client built under simulation, so recordings can be saved at exit.
static CLIENTS: Mutex<Vec<BlobServiceClient>> = Mutex::new(Vec::new());

/// Turns simulation on for this process, from the parsed flags and the raw arguments.
pub(crate) fn init(record: Option<&Path>, replay: Option<&Path>, args: &[String]) {
    let active = match (record, replay) {
        (Some(dir), _) => Some(Active { mode: SimulationMode::Record, cassette: cassette_path(dir, args) }),
        (None, Some(dir)) => Some(Active { mode: SimulationMode::Replay, cassette: cassette_path(dir, args) }),
        (None, None) => None,
    };
    let _ = ACTIVE.set(active);
}

/// Whether this process replays (credentials are then optional).
pub(crate) fn replaying() -> bool {
    matches!(ACTIVE.get(), Some(Some(Active { mode: SimulationMode::Replay, .. })))
}

/// Adds the simulation to a client being built.
pub(crate) fn apply(builder: ClientBuilder) -> ClientBuilder {
    match ACTIVE.get() {
        Some(Some(active)) => builder.simulation(active.mode, &active.cassette),
        _ => builder,
    }
}

/// Keeps a simulating client so its cassette is saved when the command ends.
pub(crate) fn register(client: &BlobServiceClient) {
    if client.simulation_stats().is_some() {
        CLIENTS.lock().unwrap_or_else(|p| p.into_inner()).push(client.clone());
    }
}

/// Saves the cassettes of a recording command (a replay leaves them as they are).
pub(crate) fn finish() -> Result<()> {
    let clients = std::mem::take(&mut *CLIENTS.lock().unwrap_or_else(|p| p.into_inner()));
    if replaying() {
        return Ok(());
    }
    for client in clients {
        client.save_recordings().context("cannot save the recording")?;
    }
    Ok(())
}

/// `dir/<command>-<16 hex digits>.json` for the arguments `args` (without the program name).
fn cassette_path(dir: &Path, args: &[String]) -> PathBuf {
    let normalized = normalize(args);
    let mut hasher = Sha256::new();
    for arg in &normalized {
        hasher.update(arg.as_bytes());
        hasher.update([0]);
    }
    let hex: String = hasher.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect();
    let command = normalized.iter().find(|a| !a.starts_with('-')).map_or("azblob", String::as_str);
    let command: String = command.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    dir.join(format!("{command}-{hex}.json"))
}

/// The arguments without the excluded flags (as `--flag VALUE` or `--flag=VALUE`).
fn normalize(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if EXCLUDED_FLAGS.contains(&arg.as_str()) {
            iter.next();
        } else if !EXCLUDED_FLAGS.iter().any(|f| arg.starts_with(&format!("{f}="))) {
            out.push(arg.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn one_cassette_per_command_line_whatever_the_simulation_flags() {
        let dir = Path::new("rec");
        let recorded = cassette_path(dir, &args("--record rec cp a az://c/b --json"));
        let replayed = cassette_path(dir, &args("cp a az://c/b --replay=rec --connection-string x --json"));
        assert_eq!(recorded, replayed);
        assert!(recorded.file_name().unwrap().to_str().unwrap().starts_with("cp-"), "{recorded:?}");
        assert_ne!(recorded, cassette_path(dir, &args("cp a az://c/other --json")));
    }
}
