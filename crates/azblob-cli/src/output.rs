//! Printing results: one JSON line with `--json`, a human line otherwise.

use std::io::Write;

/// Prints one JSON object on its own line to stdout.
pub(crate) fn json_line(value: &serde_json::Value) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// Prints a human-readable line to stderr, keeping stdout for data.
pub(crate) fn note(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Prints one line of text to stdout.
pub(crate) fn line(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.write_all(b"\n")?;
    Ok(())
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
    fn bars_fill_in_proportion_whatever_the_numbers() {
        assert_eq!(bar_fill(0, 0), BAR_WIDTH);
        assert_eq!(bar_fill(5, 10), BAR_WIDTH / 2);
        assert_eq!(bar_fill(20, 10), BAR_WIDTH, "more than the total is a full bar");
        assert_eq!(bar_fill(u64::MAX / 2, u64::MAX), BAR_WIDTH / 2 - 1);
        assert_eq!(bar_fill(u64::MAX, u64::MAX), BAR_WIDTH);
    }
}
