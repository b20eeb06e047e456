//! A `tracing` subscriber at TRACE level that keeps everything the library
//! logs, for the tests that scan logs for secrets.
//!
//! Not a module of `support/mod.rs`: the CLI's tests include that, and the
//! CLI does not depend on `tracing`.

#![allow(dead_code, unreachable_pub)]

use std::sync::{Arc, Mutex};

/// Collects everything the library logs.
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    /// A subscriber writing every event and span, TRACE included and without
    /// colours, into this buffer twice: as text and as one JSON object per
    /// line (the fields of the enclosing spans under `spans`, and a line
    /// when each span closes, with the fields recorded by then), so scans see
    /// both formats a program may log in.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + 'static {
        use tracing_subscriber::layer::SubscriberExt;
        let (text, json) = (self.clone(), self.clone());
        tracing_subscriber::registry()
            .with(tracing_subscriber::fmt::layer().with_writer(move || text.clone()).with_ansi(false))
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_span_list(true)
                    .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
                    .with_writer(move || json.clone()),
            )
            .with(tracing_subscriber::filter::LevelFilter::TRACE)
    }

    /// The JSON lines logged so far.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.text().lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    /// What was logged so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
