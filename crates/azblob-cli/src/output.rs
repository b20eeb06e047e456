//! Printing results: one JSON line with `--json`, a human line otherwise.

use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;

/// Stdout's reader went away (`azblob cat ... | head -c1`): the reader has
/// all it wanted, so `main` ends the command quietly and successfully, as
/// cat(1) does, rather than reporting "Broken pipe" as a failure.
///
/// Only writes to stdout are turned into this error, so a broken pipe on the
/// network (a failed upload) still fails the command.
#[derive(Debug)]
pub(crate) struct ReaderGone;

impl std::fmt::Display for ReaderGone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the reader of standard output went away")
    }
}

impl std::error::Error for ReaderGone {}

/// Turns an error writing to stdout into [`ReaderGone`] when the pipe was closed.
pub(crate) fn stdout_error(err: std::io::Error) -> anyhow::Error {
    if err.kind() == std::io::ErrorKind::BrokenPipe {
        anyhow::Error::new(ReaderGone)
    } else {
        anyhow::Error::new(err).context("cannot write to standard output")
    }
}

/// Whether `err` is stdout's reader going away rather than a failure.
pub(crate) fn is_reader_gone(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.is::<ReaderGone>())
}

/// Tokio's stdout, remembering whether a write met a closed pipe, so a
/// download into it can tell that from a failure of the download itself
/// (the library reports both as an I/O error).
#[derive(Debug)]
pub(crate) struct Stdout {
    /// Where the bytes go.
    inner: tokio::io::Stdout,
    /// Whether a write failed because the reader closed the pipe.
    pub(crate) reader_gone: bool,
}

impl Stdout {
    /// Standard output, with no reader gone yet.
    pub(crate) fn new() -> Self {
        Stdout { inner: tokio::io::stdout(), reader_gone: false }
    }

    /// Notes a broken pipe in `reader_gone` and passes the result on.
    fn watch<T>(&mut self, poll: Poll<std::io::Result<T>>) -> Poll<std::io::Result<T>> {
        if let Poll::Ready(Err(err)) = &poll {
            self.reader_gone |= err.kind() == std::io::ErrorKind::BrokenPipe;
        }
        poll
    }
}

impl AsyncWrite for Stdout {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(poll)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.watch(poll)
    }
}

/// Prints one JSON object on its own line to stdout.
pub(crate) fn json_line(value: &serde_json::Value) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let mut line = serde_json::to_vec(value)?;
    line.push(b'\n');
    out.write_all(&line).map_err(stdout_error)?;
    Ok(())
}

/// Prints a human-readable line to stderr, keeping stdout for data.
pub(crate) fn note(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{}", printable(line));
}

/// Prints one line of text to stdout.
pub(crate) fn line(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(printable(text).as_bytes()).map_err(stdout_error)?;
    out.write_all(b"\n").map_err(stdout_error)?;
    Ok(())
}

/// `text` with its control characters escaped (`\n`, `\r`, `\u{1b}`).
///
/// Names and headers come from the service, which stores names any other
/// tool wrote: a raw newline would split one name into two lines for
/// `ls | xargs rm`, and an escape sequence would reach the terminal.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// Shows progress on stderr: one line redrawn in place on a terminal, a line per update otherwise.
pub(crate) fn progress(text: &str, done: u64, total: u64) {
    use std::io::IsTerminal;
    let mut err = std::io::stderr().lock();
    if err.is_terminal() {
        let filled = bar_fill(done, total);
        let bar = format!("[{}{}]", "#".repeat(filled), " ".repeat(BAR_WIDTH - filled));
        let _ = write!(err, "\r{bar} {text}\x1b[K");
        let _ = err.flush();
    } else {
        let _ = writeln!(err, "{text}");
    }
}

/// How many characters wide a progress bar is.
pub(crate) const BAR_WIDTH: usize = 30;

/// How many of the bar's characters are filled for `done` of `total`.
///
/// The numbers come from the service (a copy's `x-ms-copy-progress`), so the
/// product is taken in u128, where no u64 pair can overflow it.
pub(crate) fn bar_fill(done: u64, total: u64) -> usize {
    // An empty source is done at once: a full bar.
    let filled = (u128::from(done.min(total)) * BAR_WIDTH as u128).checked_div(u128::from(total));
    filled.map_or(BAR_WIDTH, |f| f as usize)
}

/// Ends a progress line drawn by [`progress`].
pub(crate) fn progress_done() {
    use std::io::IsTerminal;
    let mut err = std::io::stderr().lock();
    if err.is_terminal() {
        let _ = writeln!(err);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_print_escaped() {
        assert_eq!(printable("plain name ü"), "plain name ü");
        assert_eq!(printable("a\nb\rc\u{1b}[2J\t"), "a\\nb\\rc\\u{1b}[2J\\t");
    }

    #[test]
    fn bars_fill_in_proportion_whatever_the_numbers() {
        assert_eq!(bar_fill(0, 0), BAR_WIDTH);
        assert_eq!(bar_fill(5, 10), BAR_WIDTH / 2);
        assert_eq!(bar_fill(20, 10), BAR_WIDTH, "more than the total is a full bar");
        assert_eq!(bar_fill(u64::MAX / 2, u64::MAX), BAR_WIDTH / 2 - 1);
        assert_eq!(bar_fill(u64::MAX, u64::MAX), BAR_WIDTH);
    }
}
