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
    /// colours, into this buffer.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + 'static {
        let writer = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish()
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
