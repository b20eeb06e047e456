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

/// Walks `root` in name order, lazily.
pub(crate) fn walk(root: &Path, follow_symlinks: bool) -> BoxStream<'static, Entry> {
    let (tx, rx) = tokio::sync::mpsc::channel(READ_AHEAD);
    let root = root.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let walker = walkdir::WalkDir::new(&root).follow_links(follow_symlinks).sort_by_file_name().min_depth(1);
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
