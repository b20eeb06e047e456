//! A job's plan ends at its first error.
//!
//! An error from the walk, the listing or the decisions (a listing that
//! failed midway, names out of order, standard output closed while a
//! decision was printed) leaves the rest of the plan unknown: the files
//! not yet seen could look like extras to `sync --delete`. So the plan
//! stops there, the report is marked stopped (which keeps `--delete` from
//! deleting), and the error is kept, with its type, for the command to
//! return once the transfers already queued have ended.

use std::sync::{Arc, Mutex};

use anyhow::Result;
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
