//! The lazy walk of a local tree: a blocking thread reads directories one
//! at a time and hands their files through a bounded channel, so a job
//! holds a few thousand entries at most, whatever the size of the tree.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use futures_util::stream::{self, BoxStream, StreamExt};

/// Entries read ahead of the transfers.
const READ_AHEAD: usize = 1024;

/// One entry of the walk.
#[derive(Debug)]
pub(crate) enum Entry {
    /// A regular file (or one a followed link leads to).
    File {
        /// Its path relative to the root, `/`-separated.
        rel: String,
        /// Its path.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// Its modification time.
        mtime: Option<SystemTime>,
    },
    /// A symbolic link that is not followed.
    Symlink {
        /// Its path relative to the root.
        rel: String,
    },
    /// Something that cannot be taken: an unreadable directory, a name
    /// that is not UTF-8.
    Problem {
        /// The path, as shown.
        shown: String,
        /// Why.
        error: String,
    },
}

/// Walks `root` lazily, yielding files in the order of their whole
/// relative names' UTF-16 code units, the order in which the service lists
/// blobs, so that a sync can merge the two (`merge.rs`, `cmp_names`).
///
/// Sorting each directory by name is not enough: `a.txt` comes before
/// `a/x` since `.` (0x2E) is below `/` (0x2F), while the directory `a`
/// sorts before the file `a.txt`. Each directory's entries are sorted by
/// their name with a `/` after a directory's, which orders every path
/// below a directory as its full names compare (UTF-16 of a joined name
/// is the joined UTF-16 of its parts).
pub(crate) fn walk(root: &Path, follow_symlinks: bool) -> BoxStream<'static, Entry> {
    let (tx, rx) = tokio::sync::mpsc::channel(READ_AHEAD);
    let root = root.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let walker = walkdir::WalkDir::new(&root)
            .follow_links(follow_symlinks)
            .sort_by(|a, b| sort_key(a).cmp(&sort_key(b)))
            .min_depth(1);
        for entry in walker {
            let item = match entry {
                Err(e) => Entry::Problem {
                    shown: e.path().map_or_else(|| root.display().to_string(), |p| p.display().to_string()),
                    error: e.to_string(),
                },
                Ok(entry) => match describe(&root, &entry) {
                    Some(item) => item,
                    None => continue,
                },
            };
            // The receiver is gone: the job ended (or was interrupted).
            if tx.blocking_send(item).is_err() {
                return;
            }
        }
    });
    stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }).boxed()
}

/// An entry's name as it sorts among its siblings: its UTF-16 code units,
/// and a `/` after a directory's. A name that is not UTF-8 (a problem the
/// walk reports, not a file it takes) sorts by its lossy form.
fn sort_key(entry: &walkdir::DirEntry) -> Vec<u16> {
    let mut key: Vec<u16> = entry.file_name().to_string_lossy().encode_utf16().collect();
    if entry.file_type().is_dir() {
        key.push(u16::from(b'/'));
    }
    key
}

/// The entry for a walked path; `None` for directories, which the walk enters.
fn describe(root: &Path, entry: &walkdir::DirEntry) -> Option<Entry> {
    let file_type = entry.file_type();
    if file_type.is_dir() {
        return None;
    }
    let rel = match relative(root, entry.path()) {
        Ok(rel) => rel,
        Err(error) => return Some(Entry::Problem { shown: entry.path().display().to_string(), error }),
    };
    if file_type.is_symlink() {
        return Some(Entry::Symlink { rel });
    }
    if !file_type.is_file() {
        return Some(Entry::Problem { shown: rel, error: "not a regular file".to_owned() });
    }
    match entry.metadata() {
        Ok(meta) => {
            Some(Entry::File { rel, path: entry.path().to_path_buf(), size: meta.len(), mtime: meta.modified().ok() })
        }
        Err(e) => Some(Entry::Problem { shown: rel, error: e.to_string() }),
    }
}

/// `path` below `root` as a `/`-separated UTF-8 name.
fn relative(root: &Path, path: &Path) -> Result<String, String> {
    let below = path.strip_prefix(root).map_err(|_| "outside the walked directory".to_owned())?;
    let mut parts = Vec::new();
    for component in below.components() {
        match component.as_os_str().to_str() {
            Some(part) => parts.push(part),
            None => return Err("the name is not valid UTF-8, which blob names must be".to_owned()),
        }
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::{walk, Entry};

    #[tokio::test]
    async fn files_come_in_the_utf16_order_of_their_whole_names() {
        let root = std::env::temp_dir().join(format!("azblob-walk-order-{}", std::process::id()));
        let names = [
            "a.txt",
            "a/x",
            "a/y/z",
            "a-b",
            "a0",
            "b",
            "ab/c",
            "a/x.y",
            "é",
            "Z",
            "\u{FF01}",
            "\u{1F600}",
            "d/\u{FF01}/x",
            "d/\u{1F600}",
        ];
        for name in names {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, name).unwrap();
        }
        let walked: Vec<String> = walk(&root, false)
            .map(|e| match e {
                Entry::File { rel, .. } => rel,
                other => panic!("{other:?}"),
            })
            .collect()
            .await;
        // Written out by hand: `-` (2D) < `.` (2E) < `/` (2F) < `0`, and
        // U+1F600 (D83D DE00 in UTF-16) before U+FF01.
        let expected = [
            "Z",
            "a-b",
            "a.txt",
            "a/x",
            "a/x.y",
            "a/y/z",
            "a0",
            "ab/c",
            "b",
            "d/\u{1F600}",
            "d/\u{FF01}/x",
            "é",
            "\u{1F600}",
            "\u{FF01}",
        ];
        assert_eq!(walked, expected);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
