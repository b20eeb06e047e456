//! An upload's decisions without the destination's listing in memory: the
//! local walk and the listing both come in the byte order of their names
//! (the walk sorts each directory so that it does, `walk.rs`; the service
//! lists blobs in the byte order of their UTF-8 names), so one pass over
//! the two pairs each local file with its blob, if any, holding one entry
//! of each at a time.
//!
//! The merge checks the order it relies on: a name that does not come
//! after the one before it on its side ends the merge with an error, so
//! the job fails (and deletes nothing) rather than take a blob for an
//! extra or a file for a new one.

use std::cmp::Ordering;

use anyhow::{anyhow, Result};
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
}

/// Pairs the walk's entries with the listing's blobs by name; both must
/// come in the byte order of their names.
pub(crate) fn merge(
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
    if last.as_deref().is_some_and(|l| l >= name) {
        return false;
    }
    *last = Some(name.to_owned());
    true
}

impl Merge {
    async fn step(&mut self) -> Option<Result<Paired>> {
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
                        return Some(Err(anyhow!(
                            "the listing gave {name} out of the byte order of names, so the destination \
                             cannot be compared in one pass"
                        )));
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
                (Some(rel), Some((name, _))) => rel.cmp(name.as_str()),
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

    async fn run(local: Vec<Entry>, remote: Vec<Result<(String, Side)>>) -> Vec<String> {
        merge(stream::iter(local).boxed(), stream::iter(remote).boxed())
            .map(|item| match item {
                Ok(Paired::Local(entry, Some(side))) => format!("both {} {}", rel_of(&entry).unwrap(), side.size),
                Ok(Paired::Local(Entry::Problem { shown, .. }, None)) => format!("problem {shown}"),
                Ok(Paired::Local(entry, None)) => format!("local {}", rel_of(&entry).unwrap()),
                Ok(Paired::RemoteOnly(name, _)) => format!("remote {name}"),
                Err(e) => format!("error {e:#}"),
            })
            .collect()
            .await
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
    async fn names_out_of_order_or_a_failed_listing_end_the_merge_with_an_error() {
        let out = run(vec![file("a"), file("b")], vec![blob("b", 1), blob("a", 1), blob("c", 1)]).await;
        assert_eq!(out[..2], ["local a", "both b 1"], "{out:?}");
        assert!(out[2].starts_with("error the listing gave a out of"), "{out:?}");
        assert_eq!(out.len(), 3, "nothing follows the error: {out:?}");
        let out = run(vec![file("b"), file("a")], vec![]).await;
        assert!(out[1].starts_with("error the local walk gave a"), "{out:?}");
        let out = run(vec![file("a")], vec![Err(anyhow!("503"))]).await;
        assert_eq!(out, ["error listing the destination failed: 503"]);
    }
}
