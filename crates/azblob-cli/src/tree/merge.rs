//! An upload's decisions without the destination's listing in memory: the
//! local walk and the listing both come in the order of their names'
//! UTF-16 code units (the walk sorts each directory so that it does,
//! `walk.rs`; Azure lists the blobs of a flat namespace in that order, as
//! Azurite, written in JavaScript, compares strings), so one pass over the
//! two pairs each local file with its blob, if any, holding one entry of
//! each at a time. UTF-16 order differs from the UTF-8 bytes' above
//! U+FFFF: `😀` (U+1F600, D83D DE00) comes before `！` (U+FF01).
//!
//! The merge checks the order it relies on. A hierarchical-namespace
//! (ADLS Gen2) account lists a directory's contents right after the
//! directory (`a`, `a/x`, `a-b`), so its listing can go out of order; the
//! merge then falls back, once and saying so on stderr, to the comparison
//! in memory for the rest: it reads the rest of the listing into an index
//! and looks each remaining local entry up in it. A local entry given
//! earlier as having no blob may have one among the rest: such a blob,
//! whose name is at or before the last local name and which exists as a
//! file below the root, is given as `Paired::Late`, never as an extra.
//! The walk is this program's own and sorted with the same comparison, so
//! a local name out of order is a bug: it ends the merge with an error, so
//! the job fails (and deletes nothing), since a blob given as an extra
//! before it cannot be taken back.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use futures_util::stream::{self, BoxStream, StreamExt};

use super::compare::Side;
use super::walk::Entry;

/// One step of the merge.
#[derive(Debug)]
pub(crate) enum Paired {
    /// A local entry, with the blob of the same name when there is one.
    Local(Entry, Option<Side>),
    /// A blob (its name below the prefix) that no local entry has.
    RemoteOnly(String, Side),
    /// A blob the listing gave out of order whose local file was given
    /// before as `Local(.., None)`: not an extra, whatever was decided for
    /// the file then.
    Late(String),
}

/// How names compare, the order of both sides: by UTF-16 code units.
pub(crate) fn cmp_names(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The state of one merge.
struct Merge {
    local: BoxStream<'static, Entry>,
    remote: BoxStream<'static, Result<(String, Side)>>,
    next_local: Option<Entry>,
    next_remote: Option<(String, Side)>,
    local_done: bool,
    remote_done: bool,
    last_local: Option<String>,
    last_remote: Option<String>,
    ended: bool,
    /// The root of the walk, where a late blob's file is looked for.
    root: PathBuf,
    /// After a listing out of order: the rest of it, by name.
    index: Option<HashMap<String, Side>>,
    /// After the walk, in the fallback: what the index has left, in order.
    leftovers: Option<std::vec::IntoIter<(String, Side)>>,
}

/// Pairs the walk of `root` with the listing's blobs by name; both should
/// come in the UTF-16 order of their names (`cmp_names`), and a listing
/// that does not is compared in memory from where it breaks the order.
pub(crate) fn merge(
    root: &Path,
    local: BoxStream<'static, Entry>,
    remote: BoxStream<'static, Result<(String, Side)>>,
) -> BoxStream<'static, Result<Paired>> {
    let state = Merge {
        local,
        remote,
        next_local: None,
        next_remote: None,
        local_done: false,
        remote_done: false,
        last_local: None,
        last_remote: None,
        ended: false,
        root: root.to_path_buf(),
        index: None,
        leftovers: None,
    };
    stream::unfold(state, |mut state| async move {
        if state.ended {
            return None;
        }
        let item = state.step().await?;
        state.ended = item.is_err();
        Some((item, state))
    })
    .boxed()
}

/// The relative name a walked entry is paired by; `None` for a problem,
/// which has no blob to meet.
fn rel_of(entry: &Entry) -> Option<&str> {
    match entry {
        Entry::File { rel, .. } | Entry::Symlink { rel } => Some(rel),
        Entry::Problem { .. } => None,
    }
}

/// Whether `name` comes strictly after `last`, remembering it if so.
fn in_order(last: &mut Option<String>, name: &str) -> bool {
    if last.as_deref().is_some_and(|l| cmp_names(l, name) != Ordering::Less) {
        return false;
    }
    *last = Some(name.to_owned());
    true
}

impl Merge {
    async fn step(&mut self) -> Option<Result<Paired>> {
        if self.index.is_some() {
            return self.step_indexed().await;
        }
        if self.next_local.is_none() && !self.local_done {
            match self.local.next().await {
                Some(entry) => {
                    if let Some(rel) = rel_of(&entry) {
                        if !in_order(&mut self.last_local, rel) {
                            return Some(Err(anyhow!("the local walk gave {rel} out of name order")));
                        }
                    }
                    self.next_local = Some(entry);
                }
                None => self.local_done = true,
            }
        }
        if self.next_remote.is_none() && !self.remote_done {
            match self.remote.next().await {
                Some(Ok((name, side))) => {
                    if !in_order(&mut self.last_remote, &name) {
                        if let Err(e) = self.fall_back(name, side).await {
                            return Some(Err(e));
                        }
                        return self.step_indexed().await;
                    }
                    self.next_remote = Some((name, side));
                }
                Some(Err(e)) => return Some(Err(e.context("listing the destination failed"))),
                None => self.remote_done = true,
            }
        }
        let order = match (&self.next_local, &self.next_remote) {
            (None, None) => return None,
            (Some(entry), remote) => match (rel_of(entry), remote) {
                (Some(rel), Some((name, _))) => cmp_names(rel, name),
                // A problem, or nothing left to meet on the other side.
                _ => Ordering::Less,
            },
            (None, Some(_)) => Ordering::Greater,
        };
        Some(Ok(match order {
            Ordering::Less => Paired::Local(self.next_local.take()?, None),
            Ordering::Equal => Paired::Local(self.next_local.take()?, self.next_remote.take().map(|(_, side)| side)),
            Ordering::Greater => {
                let (name, side) = self.next_remote.take()?;
                Paired::RemoteOnly(name, side)
            }
        }))
    }

    /// Switches to the comparison in memory: reads the rest of the listing
    /// (from `name`, the first blob out of order) into the index.
    async fn fall_back(&mut self, name: String, side: Side) -> Result<()> {
        crate::output::note(&format!(
            "azblob: the listing gave {name} out of name order (a hierarchical-namespace account lists a \
             directory's contents right after it); comparing the rest with the listing held in memory"
        ));
        let mut index = HashMap::new();
        if let Some((pending, side)) = self.next_remote.take() {
            index.insert(pending, side);
        }
        index.insert(name, side);
        while let Some(item) = self.remote.next().await {
            let (name, side) = item.context("listing the destination failed")?;
            index.insert(name, side);
        }
        self.remote_done = true;
        self.index = Some(index);
        Ok(())
    }

    /// One step of the fallback: the rest of the walk looked up in the
    /// index, then the blobs no local entry took.
    async fn step_indexed(&mut self) -> Option<Result<Paired>> {
        let index = self.index.as_mut()?;
        let entry = match self.next_local.take() {
            Some(entry) => Some(entry),
            None if !self.local_done => self.local.next().await,
            None => None,
        };
        if let Some(entry) = entry {
            let side = rel_of(&entry).and_then(|rel| index.remove(rel));
            return Some(Ok(Paired::Local(entry, side)));
        }
        self.local_done = true;
        let leftovers = self.leftovers.get_or_insert_with(|| {
            let mut rest: Vec<(String, Side)> = index.drain().collect();
            rest.sort_by(|a, b| cmp_names(&a.0, &b.0));
            rest.into_iter()
        });
        let (name, side) = leftovers.next()?;
        // Only a local entry at or before the last one taken in order can
        // have been given without this blob; the file tells whether one was.
        let before = self.last_local.as_deref().is_some_and(|last| cmp_names(&name, last) != Ordering::Greater);
        let late = before && is_walked(&self.root, &name);
        Some(Ok(if late { Paired::Late(name) } else { Paired::RemoteOnly(name, side) }))
    }
}

/// Whether the walk of `root` can have given `name`: it names plain
/// segments (the walk gives no other) and something that is not a
/// directory is there, a symbolic link included (followed or not, and
/// through linked directories too). In doubt the answer is yes, which
/// keeps a blob from being taken for an extra.
fn is_walked(root: &Path, name: &str) -> bool {
    let plain = !name.is_empty() && name.split('/').all(|part| !matches!(part, "" | "." | ".."));
    plain
        && std::fs::symlink_metadata(root.join(name)).is_ok_and(|meta| meta.file_type().is_symlink() || !meta.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(rel: &str) -> Entry {
        Entry::File { rel: rel.to_owned(), path: rel.into(), size: 1, mtime: None }
    }

    fn blob(name: &str, size: u64) -> Result<(String, Side)> {
        Ok((name.to_owned(), Side { size, mtime: None, md5: None }))
    }

    /// A directory holding `names` as files, removed on drop.
    struct Tree(PathBuf);

    impl Tree {
        fn new(tag: &str, names: &[&str]) -> Tree {
            let root = std::env::temp_dir().join(format!("azblob-merge-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&root);
            for name in names {
                let path = root.join(name);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, name).unwrap();
            }
            std::fs::create_dir_all(&root).unwrap();
            Tree(root)
        }
    }

    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    async fn run_in(root: &Path, local: Vec<Entry>, remote: Vec<Result<(String, Side)>>) -> Vec<String> {
        merge(root, stream::iter(local).boxed(), stream::iter(remote).boxed())
            .map(|item| match item {
                Ok(Paired::Local(entry, Some(side))) => format!("both {} {}", rel_of(&entry).unwrap(), side.size),
                Ok(Paired::Local(Entry::Problem { shown, .. }, None)) => format!("problem {shown}"),
                Ok(Paired::Local(entry, None)) => format!("local {}", rel_of(&entry).unwrap()),
                Ok(Paired::RemoteOnly(name, _)) => format!("remote {name}"),
                Ok(Paired::Late(name)) => format!("late {name}"),
                Err(e) => format!("error {e:#}"),
            })
            .collect()
            .await
    }

    async fn run(local: Vec<Entry>, remote: Vec<Result<(String, Side)>>) -> Vec<String> {
        run_in(Path::new("/nonexistent-azblob-merge-root"), local, remote).await
    }

    #[test]
    fn names_compare_by_utf16_code_units() {
        // U+1F600 is D83D DE00 in UTF-16, below U+FF01; its UTF-8 (F0 ..)
        // is above U+FF01's (EF ..).
        assert_eq!(cmp_names("\u{1F600}", "\u{FF01}"), Ordering::Less);
        assert_eq!(cmp_names("a/\u{1F600}", "a/\u{FF01}x"), Ordering::Less);
        assert_eq!(cmp_names("a-b", "a.txt"), Ordering::Less);
        assert_eq!(cmp_names("a.txt", "a/x"), Ordering::Less);
        assert_eq!(cmp_names("a", "a/x"), Ordering::Less);
        assert_eq!(cmp_names("\u{E000}", "\u{10000}"), Ordering::Greater);
        assert_eq!(cmp_names("b", "b"), Ordering::Equal);
    }

    #[tokio::test]
    async fn files_meet_their_blobs_and_the_rest_is_one_sided() {
        let local = vec![
            file("a.txt"),
            file("a/x"),
            Entry::Problem { shown: "bad".to_owned(), error: "unreadable".to_owned() },
            file("c"),
            file("e"),
        ];
        let remote = vec![blob("a-b", 1), blob("a.txt", 5), blob("a/x", 7), blob("b", 2), blob("e", 9), blob("f", 3)];
        assert_eq!(
            run(local, remote).await,
            ["remote a-b", "both a.txt 5", "both a/x 7", "problem bad", "remote b", "local c", "both e 9", "remote f",]
        );
        assert_eq!(run(vec![file("a")], vec![]).await, ["local a"]);
        assert_eq!(run(vec![], vec![blob("a", 1)]).await, ["remote a"]);
    }

    #[tokio::test]
    async fn names_above_u_ffff_pair_in_the_services_order() {
        // The order Azure and Azurite list in: UTF-16 code units.
        let local = vec![file("x/\u{1F600}"), file("x/\u{FF01}"), file("y")];
        let remote = vec![blob("x/\u{1F600}", 1), blob("x/\u{FF01}", 2), blob("x/\u{FF02}", 3)];
        // In the UTF-8 bytes' order, `x/！` would come before `x/😀`: the
        // walk would be out of order and the merge would fail.
        assert_eq!(
            run(local, remote).await,
            ["both x/\u{1F600} 1", "both x/\u{FF01} 2", "remote x/\u{FF02}", "local y"]
        );
    }

    #[tokio::test]
    async fn a_hierarchical_namespace_listing_falls_back_to_the_index() {
        let tree = Tree::new("hns", &["a-b", "a.txt", "a/x", "b"]);
        // The walk's order, and a hierarchical-namespace account's: the
        // directory `a`'s contents right after it.
        let local = vec![file("a-b"), file("a.txt"), file("a/x"), file("b")];
        // `a` is a directory here and `a/../b` no name the walk gives:
        // extras, though a path is there.
        let remote = vec![
            blob("a/x", 7),
            blob("a-b", 1),
            blob("a.old", 4),
            blob("a", 6),
            blob("a.txt", 5),
            blob("a/../b", 8),
            blob("b", 2),
            blob("c", 3),
        ];
        assert_eq!(
            run_in(&tree.0, local, remote).await,
            [
                "local a-b",
                "local a.txt",
                "both a/x 7",
                "both b 2",
                "remote a",
                // Given before as having no blob; the files exist.
                "late a-b",
                "remote a.old",
                "late a.txt",
                "remote a/../b",
                "remote c",
            ]
        );
        // Out of order with local entries still to come: they are looked up.
        let local = vec![file("a-b"), file("a/x"), file("b"), file("d")];
        let remote = vec![blob("a/x", 7), blob("a-b", 1), blob("d", 4), blob("b", 2)];
        assert_eq!(
            run_in(&tree.0, local, remote).await,
            ["local a-b", "both a/x 7", "both b 2", "both d 4", "late a-b"]
        );
    }

    #[tokio::test]
    async fn a_local_name_out_of_order_or_a_failed_listing_ends_the_merge_with_an_error() {
        let out = run(vec![file("b"), file("a")], vec![]).await;
        assert!(out[1].starts_with("error the local walk gave a"), "{out:?}");
        assert_eq!(out.len(), 2, "nothing follows the error: {out:?}");
        let out = run(vec![file("a")], vec![Err(anyhow!("503"))]).await;
        assert_eq!(out, ["error listing the destination failed: 503"]);
        // A listing that fails while the fallback reads it.
        let out = run(vec![file("a"), file("b")], vec![blob("b", 1), blob("a", 1), Err(anyhow!("503"))]).await;
        assert_eq!(out, ["local a", "both b 1", "error listing the destination failed: 503"]);
    }
}
