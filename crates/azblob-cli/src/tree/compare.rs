//! Whether a file is sent: `sync`'s comparison (size, then modification
//! time, or MD5 with `--checksum`) and `--overwrite`.

use std::time::{Duration, SystemTime};

use super::{Mode, Overwrite};

/// What is known of a file or blob on one side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Side {
    /// Its size.
    pub(crate) size: u64,
    /// Its modification time (a blob's: the one stored in its metadata, else
    /// its last-modified time).
    pub(crate) mtime: Option<SystemTime>,
    /// Its MD5, when known (a blob's stored `Content-MD5`, a local file's
    /// computed for `--checksum`).
    pub(crate) md5: Option<Vec<u8>>,
}

impl Side {
    /// What a blob's properties say: its stored mtime, else its last-modified time.
    pub(crate) fn of_blob(props: &azblob::BlobProperties) -> Side {
        Side {
            size: props.content_length,
            mtime: azblob::mtime_from_metadata(&props.metadata).or(Some(props.last_modified)),
            md5: props.content.content_md5.clone(),
        }
    }
}

/// Two modification times closer than this are the same: file systems
/// keep different precisions.
const SAME_TIME: Duration = Duration::from_millis(1);

/// Why a file is not sent, or `None` when it is.
pub(crate) fn skip_reason(mode: Mode, overwrite: Overwrite, src: &Side, dst: Option<&Side>) -> Option<&'static str> {
    let dst = dst?;
    if let Mode::Sync { checksum, .. } = mode {
        if src.size == dst.size {
            if checksum {
                if src.md5.is_some() && src.md5 == dst.md5 {
                    return Some("same size and MD5");
                }
            } else if let (Some(a), Some(b)) = (src.mtime, dst.mtime) {
                let gap = a.duration_since(b).or_else(|_| b.duration_since(a)).unwrap_or_default();
                if gap < SAME_TIME {
                    return Some("same size and modification time");
                }
            }
        }
    }
    match overwrite {
        Overwrite::Always => None,
        Overwrite::Never => Some("exists (--overwrite never)"),
        Overwrite::IfNewer => match (src.mtime, dst.mtime) {
            (Some(a), Some(b)) if a > b + SAME_TIME => None,
            _ => Some("not newer (--overwrite if-newer)"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(size: u64, secs: u64, md5: Option<u8>) -> Side {
        Side { size, mtime: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs)), md5: md5.map(|b| vec![b; 16]) }
    }

    const SYNC: Mode = Mode::Sync { checksum: false, delete: false };
    const CHECKSUM: Mode = Mode::Sync { checksum: true, delete: false };

    #[test]
    fn sync_sends_what_is_missing_or_different() {
        let a = side(10, 100, Some(1));
        assert_eq!(skip_reason(SYNC, Overwrite::Always, &a, None), None);
        assert!(skip_reason(SYNC, Overwrite::Always, &a, Some(&a)).is_some());
        assert_eq!(skip_reason(SYNC, Overwrite::Always, &a, Some(&side(11, 100, Some(1)))), None);
        assert_eq!(skip_reason(SYNC, Overwrite::Always, &a, Some(&side(10, 101, Some(1)))), None);
        // --checksum ignores times and compares content.
        assert!(skip_reason(CHECKSUM, Overwrite::Always, &a, Some(&side(10, 999, Some(1)))).is_some());
        assert_eq!(skip_reason(CHECKSUM, Overwrite::Always, &a, Some(&side(10, 100, Some(2)))), None);
        assert_eq!(skip_reason(CHECKSUM, Overwrite::Always, &a, Some(&side(10, 100, None))), None);
    }

    #[test]
    fn overwrite_decides_for_existing_files() {
        let (old, new) = (side(10, 100, None), side(12, 200, None));
        assert_eq!(skip_reason(Mode::Copy, Overwrite::Always, &new, Some(&old)), None);
        assert!(skip_reason(Mode::Copy, Overwrite::Never, &new, Some(&old)).is_some());
        assert_eq!(skip_reason(Mode::Copy, Overwrite::Never, &new, None), None);
        assert_eq!(skip_reason(Mode::Copy, Overwrite::IfNewer, &new, Some(&old)), None);
        assert!(skip_reason(Mode::Copy, Overwrite::IfNewer, &old, Some(&new)).is_some());
    }
}
