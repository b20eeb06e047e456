//! The sidecar store: large or binary response bodies, one file per distinct
//! body, named by its SHA-256, in a directory beside the cassette.
//!
//! Bodies recorded in a session wait in memory until the cassette is saved,
//! so a cassette refused for holding a secret leaves nothing on disk, and a
//! body seen twice is written once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use sha2::{Digest as _, Sha256};

/// The SHA-256 of `bytes` as lower-case hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

/// Stored bodies of one cassette: those on disk and those recorded since the last save.
#[derive(Debug)]
pub(crate) struct BodyStore {
    dir: PathBuf,
    pending: HashMap<String, Bytes>,
}

impl BodyStore {
    /// The store in `dir` (created on the first save that needs it).
    pub(crate) fn new(dir: PathBuf) -> Self {
        BodyStore { dir, pending: HashMap::new() }
    }

    /// Keeps `bytes` for the next save and returns its hash; a body already
    /// stored or pending is not kept twice.
    pub(crate) fn put(&mut self, bytes: Bytes) -> String {
        let sha = sha256_hex(&bytes);
        if !self.pending.contains_key(&sha) && !self.dir.join(&sha).is_file() {
            self.pending.insert(sha.clone(), bytes);
        }
        sha
    }

    /// A pending body, if this session recorded it.
    pub(crate) fn pending(&self, sha: &str) -> Option<Bytes> {
        self.pending.get(sha).cloned()
    }

    /// The directory the bodies live in.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes the pending bodies (each atomically) and returns how many were written.
    pub(crate) fn flush(&mut self) -> std::io::Result<usize> {
        if self.pending.is_empty() {
            return Ok(0);
        }
        std::fs::create_dir_all(&self.dir)?;
        let mut written = 0;
        for (sha, bytes) in self.pending.drain() {
            let path = self.dir.join(&sha);
            if path.is_file() {
                continue;
            }
            let tmp = self.dir.join(format!(".{sha}.tmp"));
            std::fs::write(&tmp, &bytes)?;
            std::fs::rename(&tmp, &path)?;
            written += 1;
        }
        Ok(written)
    }
}

/// Reads a stored body from `dir` and checks its length and hash.
pub(crate) fn read_stored(dir: &Path, sha: &str, len: u64) -> Result<Bytes, String> {
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
        return Err(format!("{sha:?} is not a lower-case hex SHA-256"));
    }
    let path = dir.join(sha);
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read the stored body {}: {e}", path.display()))?;
    if bytes.len() as u64 != len || sha256_hex(&bytes) != sha {
        return Err(format!("the stored body {} does not match its name and length {len}", path.display()));
    }
    Ok(Bytes::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_bodies_are_stored_once_and_read_back_checked() {
        let dir = std::env::temp_dir().join(format!("azblob-store-{:016x}", fastrand::u64(..)));
        let mut store = BodyStore::new(dir.clone());
        let body = Bytes::from(vec![7u8; 100_000]);
        let a = store.put(body.clone());
        let b = store.put(body.clone());
        assert_eq!(a, b);
        assert_eq!(store.flush().unwrap(), 1);
        assert_eq!(store.put(body.clone()), a, "already on disk: not pending again");
        assert_eq!(store.flush().unwrap(), 0);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        assert_eq!(read_stored(&dir, &a, 100_000).unwrap(), body);
        assert!(read_stored(&dir, &a, 99).is_err(), "length checked");
        std::fs::write(dir.join(&a), b"tampered").unwrap();
        assert!(read_stored(&dir, &a, 8).unwrap_err().contains("does not match"));
        assert!(read_stored(&dir, "../etc/passwd", 1).is_err(), "names are hashes only");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn sha256_is_hex_of_the_digest() {
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
