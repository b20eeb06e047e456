//! The checkpoint of a resumable block upload, and its deterministic block ids.
//!
//! The checkpoint is written before the first block is sent, so even a
//! process killed with `kill -9` leaves an upload that can be continued: the
//! same session id gives the same block ids, and Get Block List tells which
//! of them the service already holds.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// The checkpoint format's version.
const FORMAT: &str = "azblob-upload-checkpoint/1";

/// What identifies a file source: if any of it changes, the blocks already
/// staged no longer match the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SourceIdentity {
    pub(crate) path: PathBuf,
    pub(crate) size: u64,
    pub(crate) modified_ns: u128,
}

impl SourceIdentity {
    pub(crate) fn of(path: &Path, metadata: &std::fs::Metadata) -> Self {
        let modified_ns =
            metadata.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_nanos()).unwrap_or(0);
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        SourceIdentity { path, size: metadata.len(), modified_ns }
    }
}

/// A saved upload session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    pub(crate) format: String,
    /// The blob's URL without credentials.
    pub(crate) blob: String,
    pub(crate) source: SourceIdentity,
    pub(crate) block_size: u64,
    pub(crate) session_id: String,
}

impl Checkpoint {
    pub(crate) fn new(blob: String, source: SourceIdentity, block_size: u64, session_id: String) -> Self {
        Checkpoint { format: FORMAT.to_owned(), blob, source, block_size, session_id }
    }

    /// Reads a checkpoint; `Ok(None)` if the file does not exist.
    pub(crate) fn load(path: &Path) -> Result<Option<Checkpoint>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::from(e).with_operation("ReadCheckpoint")),
        };
        let checkpoint: Checkpoint = serde_json::from_str(&text).map_err(|e| {
            Error::invalid_input(format!("the checkpoint {} is not a valid upload checkpoint: {e}", path.display()))
        })?;
        if checkpoint.format != FORMAT {
            return Err(Error::invalid_input(format!(
                "the checkpoint {} has format {:?}, expected {FORMAT:?}",
                path.display(),
                checkpoint.format
            )));
        }
        Ok(Some(checkpoint))
    }

    /// Writes the checkpoint atomically (a temporary file, then a rename).
    pub(crate) fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("tmp");
        let json = serde_json::to_vec_pretty(self).expect("a checkpoint always serializes");
        std::fs::write(&tmp, json)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }

    /// Fails if this checkpoint belongs to another blob or a changed source.
    pub(crate) fn check_matches(&self, blob: &str, source: &SourceIdentity, path: &Path) -> Result<()> {
        let refuse = |what: &str| {
            Err(Error::new(
                ErrorKind::InvalidInput,
                format!("cannot resume from {}: {what}; delete it to start over", path.display()),
            ))
        };
        if self.blob != blob {
            return refuse(&format!("it belongs to another blob ({})", self.blob));
        }
        if self.source.path != source.path {
            return refuse(&format!("it belongs to another file ({})", self.source.path.display()));
        }
        if self.source.size != source.size || self.source.modified_ns != source.modified_ns {
            return refuse("the source file changed since the upload started");
        }
        Ok(())
    }
}

/// The base64 of `{session}-{index:06}`: every id of a session has the same length.
pub(crate) fn block_id(session_id: &str, index: u64) -> String {
    BASE64.encode(format!("{session_id}-{index:06}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> SourceIdentity {
        SourceIdentity { path: "/data/a.bin".into(), size: 10, modified_ns: 1 }
    }

    #[test]
    fn block_ids_have_equal_length_and_are_deterministic() {
        let a = block_id("0123456789abcdef", 0);
        let b = block_id("0123456789abcdef", 49_999);
        assert_eq!(a.len(), b.len());
        assert_eq!(a, block_id("0123456789abcdef", 0));
        assert_ne!(a, b);
    }

    #[test]
    fn save_load_and_refusals() {
        let dir = std::env::temp_dir().join(format!("azblob-ckpt-{:016x}", fastrand::u64(..)));
        let path = dir.join("upload.json");
        assert_eq!(Checkpoint::load(&path).unwrap(), None);
        let ckpt = Checkpoint::new("http://h/acct/c/b".into(), identity(), 1024, "0123456789abcdef".into());
        ckpt.save(&path).unwrap();
        let loaded = Checkpoint::load(&path).unwrap().unwrap();
        assert_eq!(loaded, ckpt);
        assert!(loaded.check_matches("http://h/acct/c/b", &identity(), &path).is_ok());

        let changed = SourceIdentity { modified_ns: 2, ..identity() };
        let err = loaded.check_matches("http://h/acct/c/b", &changed, &path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("changed"), "{err}");
        assert!(loaded.check_matches("http://h/acct/c/other", &identity(), &path).is_err());

        std::fs::write(&path, "{ not json").unwrap();
        assert_eq!(Checkpoint::load(&path).unwrap_err().kind(), ErrorKind::InvalidInput);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
