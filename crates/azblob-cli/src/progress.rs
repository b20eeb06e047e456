//! The progress bar of transfers: bytes, rate and ETA on a terminal, nothing otherwise.

use std::sync::Arc;

use azblob::{ProgressSink, TransferProgress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar on stderr that hides itself when stderr is not a terminal.
pub(crate) struct Bar {
    /// The terminal bar; hidden when progress is off.
    bar: ProgressBar,
}

impl Bar {
    /// A bar labelled `label`, drawn on standard error only if `enabled`.
    pub(crate) fn new(enabled: bool, label: &str) -> Bar {
        let target = if enabled { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        bar.set_message(label.to_owned());
        Bar { bar }
    }

    /// A sink that moves the bar.
    pub(crate) fn sink(&self) -> Arc<dyn ProgressSink> {
        let bar = self.bar.clone();
        Arc::new(move |p: TransferProgress| {
            if let Some(total) = p.bytes_total {
                bar.set_length(total);
            }
            bar.set_position(p.bytes_done);
        })
    }

    /// Clears the bar from the terminal.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
