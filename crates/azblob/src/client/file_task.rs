//! One file of a many-file job as a task of its own on the runtime.
//!
//! A job's files used to be polled together by the task that reads the
//! job's stream; in the command-line tool that is the thread in `block_on`,
//! so every file's bytes crossed from the runtime's workers, which read the
//! sockets, to that one thread, and every file's syscalls ran there, one
//! at a time. As tasks, a file's work runs on the worker that receives its
//! answer: a download of 10,000 small files (`cargo xtask bench-dirs`) took
//! about a quarter less time (the README's directory bench says how it was
//! measured).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::error::{Error, ErrorKind, Result};

/// A file's transfer: spawned on the current Tokio runtime, or, with no
/// runtime to spawn on, run by whoever polls it.
pub(super) enum FileTask<T> {
    Spawned(AbortOnDrop<Result<T>>),
    Inline(BoxFuture<'static, Result<T>>),
}

impl<T: Send + 'static> FileTask<T> {
    pub(super) fn start(work: BoxFuture<'static, Result<T>>) -> Self {
        match tokio::runtime::Handle::try_current() {
            // In the caller's span, as the file's requests were before it was a task of its own.
            Ok(runtime) => FileTask::Spawned(AbortOnDrop(runtime.spawn(work.in_current_span()))),
            Err(_) => FileTask::Inline(work),
        }
    }
}

impl<T> Future for FileTask<T> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        match self.get_mut() {
            FileTask::Inline(work) => work.as_mut().poll(cx),
            FileTask::Spawned(AbortOnDrop(handle)) => Pin::new(handle).poll(cx).map(|joined| match joined {
                Ok(result) => result,
                // A panic in the file's work is the caller's panic, as it
                // was when the work was polled in place.
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => {
                    Err(Error::new(ErrorKind::Other, "the file's transfer was stopped: the runtime is shutting down"))
                }
            }),
        }
    }
}

/// A task handle that aborts its task when dropped: a dropped job stream
/// stops every file in flight. Unlike a future polled in place, an aborted
/// task is dropped by the runtime a moment later, on a worker; only then do
/// its requests end and its partial file go. A runtime that shuts down
/// drops every task before it returns.
pub(super) struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
