//! The job journal: which files of a `cp -r` are done, so that rerunning
//! the same command skips them. A `sync` keeps none: it compares both
//! sides, which a journal surviving a failed run could contradict.
//!
//! It lives in `$XDG_STATE_HOME/azblob/jobs/` (or `~/.local/state/...`),
//! named by a hash of the job (direction, source, destination), and holds
//! one line of 16 hex digits per completed file: a hash of its name, size
//! and modification time (or ETag), so a file that changed since is sent
//! again. It is append-only, 17 bytes a file, and removed when a job ends
//! with every file done.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// An open journal.
#[derive(Debug)]
pub(crate) struct Journal {
    /// Where it is kept.
    path: PathBuf,
    /// The entries an earlier run of the same job completed.
    done: HashSet<u64>,
    /// The file appended to, opened at the first completion.
    file: Mutex<Option<std::fs::File>>,
}

impl Journal {
    /// The journal of the job named by `parts`, with what earlier runs
    /// completed; `None` without a state directory.
    pub(crate) fn open(parts: &[&str]) -> Result<Option<Journal>> {
        let Some(state) = state_dir() else { return Ok(None) };
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update(part.as_bytes());
            hasher.update(b"\n");
        }
        let name: String = hasher.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect();
        let path = state.join("azblob").join("jobs").join(format!("{name}.journal"));
        let done = match std::fs::read_to_string(&path) {
            // A torn last line (an interrupted write) is ignored.
            Ok(text) => text.lines().filter_map(|line| u64::from_str_radix(line, 16).ok()).collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashSet::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read the job journal {}", path.display())),
        };
        Ok(Some(Journal { path, done, file: Mutex::new(None) }))
    }

    /// Whether an earlier run completed the file with this key.
    pub(crate) fn is_done(&self, key: u64) -> bool {
        self.done.contains(&key)
    }

    /// Records that the file with this key is done.
    pub(crate) fn record(&self, key: u64) -> Result<()> {
        let mut file = self.file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if file.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let opened = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .with_context(|| format!("cannot open the job journal {}", self.path.display()))?;
            *file = Some(opened);
        }
        let file = file.as_mut().expect("opened above");
        // One write per line, so a crash leaves at most a torn last line.
        file.write_all(format!("{key:016x}\n").as_bytes())
            .with_context(|| format!("cannot write the job journal {}", self.path.display()))
    }

    /// Removes the journal: the whole job is done.
    pub(crate) fn finish(self) -> Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("cannot remove the job journal {}", self.path.display()))
            }
            _ => Ok(()),
        }
    }
}

/// The key of one file: its name and what tells a changed file apart.
pub(crate) fn key(name: &str, size: u64, version: &str) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\0");
    hasher.update(size.to_le_bytes());
    hasher.update(version.as_bytes());
    let digest = hasher.finalize();
    u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// `$XDG_STATE_HOME`, else `$HOME/.local/state`.
pub(crate) fn state_dir() -> Option<PathBuf> {
    match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".local").join("state"))
        }
    }
}

/// Where the block checkpoint of one file of a job goes, so a large file
/// interrupted midway resumes from its blocks.
pub(crate) fn checkpoint_path(job: &[&str], name: &str) -> Option<PathBuf> {
    let state = state_dir()?;
    let mut hasher = Sha256::new();
    for part in job.iter().chain([&name]) {
        hasher.update(part.as_bytes());
        hasher.update(b"\n");
    }
    let hash: String = hasher.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect();
    Some(state.join("azblob").join("checkpoints").join(format!("{hash}.json")))
}

#[cfg(test)]
mod tests {
    use super::key;

    #[test]
    fn a_changed_file_has_another_key() {
        let k = key("a/b", 10, "1700000000.000000001");
        assert_eq!(k, key("a/b", 10, "1700000000.000000001"));
        assert_ne!(k, key("a/b", 11, "1700000000.000000001"));
        assert_ne!(k, key("a/b", 10, "1700000000.000000002"));
        assert_ne!(k, key("a/c", 10, "1700000000.000000001"));
    }
}
