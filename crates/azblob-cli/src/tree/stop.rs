//! A job's plan ends at its first error.
//!
//! An error from the walk, the listing or the decisions (a listing that
//! failed midway, names out of order, standard output closed while a
//! decision was printed) leaves the rest of the plan unknown: the files
//! not yet seen could look like extras to `sync --delete`. So the plan
//! stops there, the report is marked stopped (which keeps `--delete` from
//! deleting), and the error is kept, with its type, for the command to
//! return once the transfers already queued have ended.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use azblob::FileJob;
use futures_util::{Stream, StreamExt};

use super::report::Report;

/// Where the error that stopped a plan is kept.
pub(super) type Stopped = Arc<Mutex<Option<anyhow::Error>>>;

/// `items` until the first error, which goes to `stopped` and marks
/// `report` stopped.
pub(super) fn until_error<T, S>(items: S, report: Arc<Report>, stopped: Stopped) -> impl Stream<Item = T>
where
    S: Stream<Item = Result<T>>,
{
    items
        .map(move |item| match item {
            Ok(value) => Some(value),
            Err(e) => {
                report.stopped();
                *stopped.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                None
            }
        })
        .take_while(|value| std::future::ready(value.is_some()))
        .filter_map(std::future::ready)
}

/// The error that stopped the plan, if one did.
pub(super) fn take(stopped: &Stopped) -> Option<anyhow::Error> {
    stopped.lock().unwrap_or_else(|p| p.into_inner()).take()
}

/// What each queued job carries until its result comes back, by blob name.
pub(super) type Pending<K> = Arc<Mutex<HashMap<String, K>>>;

/// The jobs of a plan (`None` is a file decided against) until its first
/// error, as [`until_error`]: each counted as queued in `report`, its `K`
/// kept in the returned map under its blob name for [`take_pending`].
pub(super) fn queue<K, S>(
    planned: S,
    report: Arc<Report>,
    stopped: Stopped,
) -> (impl Stream<Item = FileJob>, Pending<K>)
where
    S: Stream<Item = Result<Option<(FileJob, K)>>>,
{
    let pending: Pending<K> = Arc::default();
    let (keep, queued) = (Arc::clone(&pending), Arc::clone(&report));
    let jobs = until_error(planned, report, stopped).filter_map(move |item| {
        let found = item.map(|(job, key)| {
            keep.lock().unwrap_or_else(|p| p.into_inner()).insert(job.name.clone(), key);
            queued.queued(job.size.unwrap_or(0));
            job
        });
        std::future::ready(found)
    });
    (jobs, pending)
}

/// The `K` [`queue`] kept for the job named `name`, taken out.
pub(super) fn take_pending<K: Default>(pending: &Pending<K>, name: &str) -> K {
    pending.lock().unwrap_or_else(|p| p.into_inner()).remove(name).unwrap_or_default()
}
