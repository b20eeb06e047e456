//! An upload's decisions without the destination's listing in memory: the
//! local walk and the listing both come in the order of their names'
//! UTF-16 code units (the walk sorts each directory so that it does,
//! `walk.rs`; Azure lists the blobs of a flat namespace in that order, as
//! Azurite, written in JavaScript, compares strings), so one pass over the
//! two pairs each local file with its blob, if any, holding one entry of
//! each at a time. UTF-16 order differs from the UTF-8 bytes' above
//! U+FFFF: `😀` (U+1F600, D83D DE00) comes before `！` (U+FF01).
//!
//! The same merge pairs a source listing with a destination listing for a
//! copy between prefixes (`remote.rs`): its left side is then any entry
//! with a name ([`Named`]), not only a walked one ([`merge_sides`]).
//!
//! The merge checks the order it relies on. A hierarchical-namespace
//! (ADLS Gen2) account lists a directory's contents right after the
//! directory (`a`, `a/x`, `a-b`), so its listing can go out of order; the
//! merge then falls back, once and saying so on stderr, to the comparison
//! in memory for the rest: it reads the rest of the listing into an index
//! and looks each remaining local entry up in it. A local entry given
//! earlier as having no blob may have one among the rest: such a blob,
//! whose name is at or before the last local name and which the left side
//! has (for a walk: a file below the root), is given as `Paired::Late`,
//! never as an extra.
//! The walk is this program's own and sorted with the same comparison, so
//! a local name out of order is a bug: it ends the merge with an error, so
//! the job fails (and deletes nothing), since a blob given as an extra
//! before it cannot be taken back. A source listing may go out of order
//! (`LeftOrder::MayBreak`): that falls back the same way, and a left entry
//! whose blob may have been given already as an extra is given as
//! `Paired::Unsure`, which takes that blob back.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::Path;

use anyhow::{anyhow, Context, Result};
use futures_util::stream::{self, BoxStream, StreamExt};

use super::compare::Side;
use super::walk::Entry;

/// One step of the merge; `L` is the left side's entry (by default, a
/// walked one).
#[derive(Debug)]
pub(crate) enum Paired<L = Entry> {
    /// A local entry, with the blob of the same name when there is one.
    Local(L, Option<Side>),
    /// A blob (its name below the prefix) that no local entry has.
    RemoteOnly(String, Side),
    /// A blob the listing gave out of order whose local file was given
    /// before as `Local(.., None)`: not an extra, whatever was decided for
    /// the file then.
    Late(String),
    /// A left entry given out of order (only with `LeftOrder::MayBreak`)
    /// whose blob, if it has one, may have been given before as
    /// `RemoteOnly`: that blob is no extra, and whether it exists is not
    /// known here, so the caller asks the destination.
    Unsure(L),
}

/// A left entry, paired by its name.
pub(crate) trait Named {
    /// The name it is paired by; `None` for an entry that meets no blob
    /// (a walk's problem).
    fn name(&self) -> Option<&str>;
}

impl Named for Entry {
    fn name(&self) -> Option<&str> {
        rel_of(self)
    }
}

/// A blob of a source listing: its name below the prefix, and what it is.
impl Named for (String, Side) {
    fn name(&self) -> Option<&str> {
        Some(&self.0)
    }
}

/// What a left entry out of name order means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeftOrder {
    /// A bug (the walk is sorted here): the merge ends with an error.
    Required,
    /// What a hierarchical-namespace source gives: the merge falls back to
    /// the comparison in memory, as for the destination's listing.
    MayBreak,
}

/// Whether the left side has a name, asked of a blob the destination's
/// listing gave late; in doubt the answer must be yes.
pub(crate) type LeftHas = Box<dyn Fn(&str) -> bool + Send>;

/// How names compare, the order of both sides: by UTF-16 code units.
pub(crate) fn cmp_names(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The state of one merge.
struct Merge<L> {
    local: BoxStream<'static, Result<L>>,
    remote: BoxStream<'static, Result<(String, Side)>>,
    left_order: LeftOrder,
    left_has: LeftHas,
    next_local: Option<L>,
    next_remote: Option<(String, Side)>,
    local_done: bool,
    remote_done: bool,
    /// The last names taken in order on each side (frozen by the fallback).
    last_local: Option<String>,
    last_remote: Option<String>,
    ended: bool,
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
    let root = root.to_path_buf();
    merge_sides(local.map(Ok).boxed(), remote, LeftOrder::Required, Box::new(move |name| is_walked(&root, name)))
}

/// Pairs any left entries with the listing's blobs by name, as [`merge`]
/// does: a left side that errs ends the merge with its error, one out of
/// order is as `left_order` says, and `left_has` tells whether a blob
/// given late is the left side's (no extra).
pub(crate) fn merge_sides<L: Named + Send + 'static>(
    local: BoxStream<'static, Result<L>>,
    remote: BoxStream<'static, Result<(String, Side)>>,
    left_order: LeftOrder,
    left_has: LeftHas,
) -> BoxStream<'static, Result<Paired<L>>> {
    let state = Merge {
        local,
        remote,
        left_order,
        left_has,
        next_local: None,
        next_remote: None,
        local_done: false,
        remote_done: false,
        last_local: None,
        last_remote: None,
        ended: false,
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

/// Whether `name` is at or before `last`.
fn at_or_before(name: &str, last: Option<&str>) -> bool {
    last.is_some_and(|last| cmp_names(name, last) != Ordering::Greater)
}

impl<L: Named> Merge<L> {
    async fn step(&mut self) -> Option<Result<Paired<L>>> {
        if self.index.is_some() {
            return self.step_indexed().await;
        }
        if self.next_local.is_none() && !self.local_done {
            match self.local.next().await {
                Some(Ok(entry)) => {
                    let broken = entry.name().filter(|rel| !in_order(&mut self.last_local, rel)).map(str::to_owned);
                    if let Some(rel) = broken {
                        if self.left_order == LeftOrder::Required {
                            return Some(Err(anyhow!("the local walk gave {rel} out of name order")));
                        }
                        self.next_local = Some(entry);
                        if let Err(e) = self.fall_back("the source listing", None).await {
                            return Some(Err(e));
                        }
                        return self.step_indexed().await;
                    }
                    self.next_local = Some(entry);
                }
                Some(Err(e)) => return Some(Err(e)),
                None => self.local_done = true,
            }
        }
        if self.next_remote.is_none() && !self.remote_done {
            match self.remote.next().await {
                Some(Ok((name, side))) => {
                    if !in_order(&mut self.last_remote, &name) {
                        if let Err(e) = self.fall_back("the listing", Some((name, side))).await {
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
            (Some(entry), remote) => match (entry.name(), remote) {
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

    /// Switches to the comparison in memory: reads the rest of the
    /// right-hand listing (from `first`, its first blob out of order, when
    /// that is what broke the order; `which` names the side that did) into
    /// the index.
    async fn fall_back(&mut self, which: &str, first: Option<(String, Side)>) -> Result<()> {
        let name = match (&first, &self.next_local) {
            (Some((name, _)), _) => name.clone(),
            (None, Some(entry)) => entry.name().unwrap_or_default().to_owned(),
            (None, None) => String::new(),
        };
        let mut index = HashMap::new();
        if let Some((pending, side)) = self.next_remote.take() {
            index.insert(pending, side);
        }
        if let Some((name, side)) = first {
            index.insert(name, side);
        }
        if !self.remote_done {
            while let Some(item) = self.remote.next().await {
                let (name, side) = item.context("listing the destination failed")?;
                index.insert(name, side);
            }
        }
        self.remote_done = true;
        if !index.is_empty() {
            // Said only when something is held: an empty destination, or a
            // plain copy that lists none, compares nothing either way.
            crate::output::note(&format!(
                "azblob: {which} gave {name} out of name order (a hierarchical-namespace account lists a \
                 directory's contents right after it); comparing the rest with the listing held in memory"
            ));
        }
        self.index = Some(index);
        Ok(())
    }

    /// One step of the fallback: the rest of the walk looked up in the
    /// index, then the blobs no local entry took.
    async fn step_indexed(&mut self) -> Option<Result<Paired<L>>> {
        let index = self.index.as_mut()?;
        let entry = match self.next_local.take() {
            Some(entry) => Some(entry),
            None if !self.local_done => match self.local.next().await {
                Some(Ok(entry)) => Some(entry),
                Some(Err(e)) => return Some(Err(e)),
                None => None,
            },
            None => None,
        };
        if let Some(entry) = entry {
            let Some(rel) = entry.name() else { return Some(Ok(Paired::Local(entry, None))) };
            if let Some(side) = index.remove(rel) {
                return Some(Ok(Paired::Local(entry, Some(side))));
            }
            // Given in order, a blob went out as `RemoteOnly` only before a
            // left name after it: a left entry at or before both sides'
            // last names in order may have had its blob given so.
            let given = self.left_order == LeftOrder::MayBreak
                && at_or_before(rel, self.last_local.as_deref())
                && at_or_before(rel, self.last_remote.as_deref());
            return Some(Ok(if given { Paired::Unsure(entry) } else { Paired::Local(entry, None) }));
        }
        self.local_done = true;
        let leftovers = self.leftovers.get_or_insert_with(|| {
            let mut rest: Vec<(String, Side)> = index.drain().collect();
            rest.sort_by(|a, b| cmp_names(&a.0, &b.0));
            rest.into_iter()
        });
        let (name, side) = leftovers.next()?;
        // Only a local entry at or before the last one taken in order can
        // have been given without this blob; the left side tells whether
        // one was.
        let late = at_or_before(&name, self.last_local.as_deref()) && (self.left_has)(&name);
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
    use std::path::PathBuf;

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
                Ok(Paired::Unsure(entry)) => format!("unsure {}", rel_of(&entry).unwrap_or_default()),
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

    /// The merge of a source listing `left` with a destination listing.
    async fn run_sides(
        left: Vec<Result<(String, Side)>>,
        right: Vec<Result<(String, Side)>>,
        order: LeftOrder,
        left_has: LeftHas,
    ) -> Vec<String> {
        merge_sides(stream::iter(left).boxed(), stream::iter(right).boxed(), order, left_has)
            .map(|item| match item {
                Ok(Paired::Local((name, _), Some(side))) => format!("both {name} {}", side.size),
                Ok(Paired::Local((name, _), None)) => format!("local {name}"),
                Ok(Paired::RemoteOnly(name, _)) => format!("remote {name}"),
                Ok(Paired::Late(name)) => format!("late {name}"),
                Ok(Paired::Unsure((name, _))) => format!("unsure {name}"),
                Err(e) => format!("error {e:#}"),
            })
            .collect()
            .await
    }

    #[tokio::test]
    async fn two_listings_in_order_pair_as_a_walk_and_a_listing_do() {
        let left = vec![blob("a.txt", 1), blob("a/x", 1), blob("\u{1F600}", 1), blob("\u{FF01}", 1)];
        let right =
            vec![blob("a", 2), blob("a.txt", 5), blob("\u{1F600}", 6), blob("\u{FF01}", 7), blob("\u{FF02}", 3)];
        assert_eq!(
            run_sides(left, right, LeftOrder::MayBreak, Box::new(|_| true)).await,
            ["remote a", "both a.txt 5", "local a/x", "both \u{1F600} 6", "both \u{FF01} 7", "remote \u{FF02}"]
        );
    }

    #[tokio::test]
    async fn a_source_listing_out_of_order_takes_back_the_blobs_given_as_extras() {
        // A hierarchical-namespace source: `a`'s contents right after it.
        let left = || vec![blob("a/x", 1), blob("a-b", 1), blob("a.txt", 1), blob("b", 1)];
        let right =
            || vec![blob("a-b", 1), blob("a.old", 4), blob("a.txt", 5), blob("a/x", 7), blob("b", 2), blob("c", 3)];
        // `a-b` and `a.txt` went out as extras before the source gave them:
        // they come back as `Unsure`, which is what keeps them.
        assert_eq!(
            run_sides(left(), right(), LeftOrder::MayBreak, Box::new(|_| true)).await,
            [
                "remote a-b",
                "remote a.old",
                "remote a.txt",
                "both a/x 7",
                "unsure a-b",
                "unsure a.txt",
                "both b 2",
                "remote c",
            ]
        );
        // A walk must come in order: the same left side is an error there.
        let out = run_sides(left(), right(), LeftOrder::Required, Box::new(|_| true)).await;
        assert_eq!(out.last().unwrap(), "error the local walk gave a-b out of name order", "{out:?}");
    }

    #[tokio::test]
    async fn a_destination_listing_out_of_order_asks_the_left_side_about_late_blobs() {
        let left = || vec![blob("a-b", 1), blob("a.txt", 1), blob("a/x", 1), blob("b", 1)];
        // A hierarchical-namespace destination.
        let right = || vec![blob("a/x", 7), blob("a-b", 6), blob("a.old", 4), blob("b", 2), blob("c", 3)];
        let head = ["local a-b", "local a.txt", "both a/x 7", "both b 2", "late a-b"];
        // In doubt a blob at or before the last source name is the source's.
        let out = run_sides(left(), right(), LeftOrder::MayBreak, Box::new(|_| true)).await;
        assert_eq!(out, [&head[..], &["late a.old", "remote c"]].concat());
        let out = run_sides(left(), right(), LeftOrder::MayBreak, Box::new(|name| name == "a-b")).await;
        assert_eq!(out, [&head[..], &["remote a.old", "remote c"]].concat());
    }

    #[tokio::test]
    async fn a_failed_source_listing_ends_the_merge_with_its_error() {
        let left = vec![blob("a", 1), Err(anyhow!("listing the source failed: 503")), blob("b", 1)];
        let out = run_sides(left, vec![blob("b", 2)], LeftOrder::MayBreak, Box::new(|_| true)).await;
        assert_eq!(out, ["local a", "error listing the source failed: 503"]);
    }
}
