//! What identifies an upload's source file, so that a change to it between
//! reading a block and committing the blob, or between an interrupted upload
//! and its resume, is refused instead of committing a torn blob.
//!
//! Size and modification time alone miss a same-size rewrite whose
//! modification time was put back (`cp -p`, `rsync -t`, `tar x`). Where the
//! platform has them (Unix), the device and inode catch a file replaced by
//! another (`rsync` and most editors write a new file and rename it), and
//! the change time (`ctime`) catches an in-place rewrite: no ordinary call
//! can set it back. What stays undetectable is listed in the README
//! ("What resume can and cannot detect").

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

/// A file's identity at one instant; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourceIdentity {
    pub(crate) path: PathBuf,
    pub(crate) size: u64,
    /// Modification time in nanoseconds since the Unix epoch (0 if unknown).
    pub(crate) modified_ns: u128,
    /// The file system's device id (Unix only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) device: Option<u64>,
    /// The inode number (Unix only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) inode: Option<u64>,
    /// The inode change time as seconds and nanoseconds (Unix only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) changed: Option<[i64; 2]>,
}

impl SourceIdentity {
    /// The identity of the file at `path` whose metadata is `metadata`, its
    /// path resolved (links, `..`) as a checkpoint records it.
    pub(crate) fn of(path: &Path, metadata: &std::fs::Metadata) -> Self {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        SourceIdentity::with_path(path, metadata)
    }

    fn with_path(path: PathBuf, metadata: &std::fs::Metadata) -> Self {
        let modified_ns =
            metadata.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_nanos()).unwrap_or(0);
        let (device, inode, changed) = platform_identity(metadata);
        SourceIdentity { path, size: metadata.len(), modified_ns, device, inode, changed }
    }

    /// Reads the file's identity now, to compare with [`difference`]
    /// (which leaves the path aside), so the path stays as given: resolving
    /// it costs a `readlink` per component, and a directory job checks
    /// every file before it commits (bench-dirs' `strace -c`).
    ///
    /// [`difference`]: SourceIdentity::difference
    pub(crate) fn read(path: &Path) -> std::io::Result<Self> {
        Ok(SourceIdentity::with_path(path.to_path_buf(), &std::fs::metadata(path)?))
    }

    /// What differs from `now` (the path aside), in words; `None` if nothing.
    pub(crate) fn difference(&self, now: &SourceIdentity) -> Option<&'static str> {
        if self.size != now.size {
            Some("its size differs")
        } else if self.modified_ns != now.modified_ns {
            Some("its modification time differs")
        } else if (self.device, self.inode) != (now.device, now.inode) {
            Some("it was replaced by another file")
        } else if self.changed != now.changed {
            Some("its inode change time differs: it was rewritten or its attributes changed")
        } else {
            None
        }
    }
}

#[cfg(unix)]
fn platform_identity(metadata: &std::fs::Metadata) -> (Option<u64>, Option<u64>, Option<[i64; 2]>) {
    use std::os::unix::fs::MetadataExt;
    (Some(metadata.dev()), Some(metadata.ino()), Some([metadata.ctime(), metadata.ctime_nsec()]))
}

/// Elsewhere std offers no stable inode or change time: size and
/// modification time are all there is.
#[cfg(not(unix))]
fn platform_identity(_metadata: &std::fs::Metadata) -> (Option<u64>, Option<u64>, Option<[i64; 2]>) {
    (None, None, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_same_size_rewrite_with_the_mtime_put_back_is_a_difference() {
        let dir = std::env::temp_dir().join(format!("azblob-ident-{:016x}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f");
        std::fs::write(&path, b"aaaa").unwrap();
        let before = SourceIdentity::read(&path).unwrap();
        let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
        // Rewrite until the change time moves: file times tick coarsely.
        loop {
            std::fs::write(&path, b"bbbb").unwrap();
            std::fs::File::options().write(true).open(&path).unwrap().set_modified(mtime).unwrap();
            if SourceIdentity::read(&path).unwrap().changed != before.changed {
                break;
            }
        }
        let after = SourceIdentity::read(&path).unwrap();
        assert_eq!((after.size, after.modified_ns), (before.size, before.modified_ns), "size and mtime look the same");
        assert!(before.difference(&after).is_some());
        assert_eq!(before.difference(&before.clone()), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
