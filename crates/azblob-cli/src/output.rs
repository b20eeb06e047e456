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
        const WIDTH: u64 = 30;
        // An empty source is done at once: a full bar.
        let filled = (done.min(total) * WIDTH).checked_div(total).unwrap_or(WIDTH) as usize;
        let bar = format!("[{}{}]", "#".repeat(filled), " ".repeat(WIDTH as usize - filled));
        let _ = write!(err, "\r{bar} {text}\x1b[K");
        let _ = err.flush();
    } else {
        let _ = writeln!(err, "{text}");
    }
}

/// Ends a progress line drawn by [`progress`].
pub(crate) fn progress_done() {
    use std::io::IsTerminal;
    let mut err = std::io::stderr().lock();
    if err.is_terminal() {
        let _ = writeln!(err);
    }
}
