//! Logs for programs that do not install a `tracing` subscriber of their own
//! (feature `logging`; the `azblob` CLI uses it).
//!
//! The library itself only emits `tracing` spans and events: one
//! `azblob.operation` span per REST call and one `azblob.attempt` span per
//! HTTP attempt inside it, with OpenTelemetry's semantic-convention field
//! names (`http.request.method`, `url.full` with any SAS signature
//! redacted, `server.address`, `http.response.status_code`,
//! `http.request.resend_count`, `az.service_request_id`, `error.type`), and
//! `azblob.operation`, `azblob.container` and the body sizes. No header, key
//! or token is ever a field.
//!
//! [`Logging`] writes them to stderr, as text or as one JSON object per line
//! (`AZBLOB_LOG_FORMAT=json`) that a log platform can ingest without parsing:
//!
//! ```no_run
//! // AZBLOB_LOG=azblob=debug AZBLOB_LOG_FORMAT=json ./my-program
//! azblob::logging::Logging::from_env()?.install();
//! # Ok::<(), azblob::Error>(())
//! ```
//!
//! A program with its own subscriber needs none of this: the fields are
//! there for any subscriber. `tracing_subscriber::fmt().json()` with
//! `.with_span_list(true)` prints the same lines, and a
//! `tracing_opentelemetry` layer exports the spans as OpenTelemetry spans
//! whose attributes are already named by the conventions (see the
//! `opentelemetry_stdout` example).

use std::str::FromStr;

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::error::{Error, Result};

/// The variable holding the filter (an `EnvFilter` directive such as
/// `azblob=debug`); logging is off when it is unset.
pub const LOG_VAR: &str = "AZBLOB_LOG";
/// The variable choosing the format: `text` (the default) or `json`.
pub const LOG_FORMAT_VAR: &str = "AZBLOB_LOG_FORMAT";

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line: the event's fields flattened at the top,
    /// and under `spans` every enclosing span with its fields.
    Json,
}

impl FromStr for LogFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" | "" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(Error::invalid_input(format!("{LOG_FORMAT_VAR} must be `text` or `json`, not `{s}`"))),
        }
    }
}

/// A `tracing` subscriber for stderr, configured by the environment or in code.
#[derive(Debug, Clone, Default)]
pub struct Logging {
    filter: Option<String>,
    format: LogFormat,
}

impl Logging {
    /// Logging that writes the events `filter` selects (an `EnvFilter`
    /// directive such as `azblob=debug` or `info`), as text.
    pub fn new(filter: impl Into<String>) -> Self {
        Logging { filter: Some(filter.into()), format: LogFormat::Text }
    }

    /// Reads [`LOG_VAR`] and [`LOG_FORMAT_VAR`]; with no filter set, logging
    /// stays off. A format other than `text` or `json` is an error.
    pub fn from_env() -> Result<Self> {
        let format = match std::env::var(LOG_FORMAT_VAR) {
            Ok(value) => value.parse()?,
            Err(_) => LogFormat::Text,
        };
        Ok(Logging { filter: std::env::var(LOG_VAR).ok().filter(|f| !f.trim().is_empty()), format })
    }

    /// The same logging in `format`.
    pub fn format(mut self, format: LogFormat) -> Self {
        self.format = format;
        self
    }

    /// Installs the subscriber for the whole process, writing to stderr.
    /// Returns whether it was installed: not when no filter was set, nor
    /// when the program already has a global subscriber. A filter that does
    /// not parse is an `InvalidInput` error.
    pub fn install(self) -> Result<bool> {
        let Some(filter) = self.env_filter()? else { return Ok(false) };
        Ok(match self.format {
            LogFormat::Text => {
                tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init().map_err(drop)
            }
            LogFormat::Json => tracing::subscriber::set_global_default(json(filter, std::io::stderr)).map_err(drop),
        }
        .is_ok())
    }

    fn env_filter(&self) -> Result<Option<EnvFilter>> {
        let Some(filter) = &self.filter else { return Ok(None) };
        EnvFilter::try_new(filter)
            .map(Some)
            .map_err(|e| Error::invalid_input(format!("{LOG_VAR} is not a valid filter: {e}")))
    }
}

/// The JSON subscriber: one object per line, the event's fields at the top
/// level, the enclosing spans' fields under `spans`, so an attempt's line
/// carries the operation's and the attempt's attributes.
fn json<W>(
    filter: EnvFilter,
    writer: W,
) -> tracing_subscriber::FmtSubscriber<
    tracing_subscriber::fmt::format::JsonFields,
    tracing_subscriber::fmt::format::Format<tracing_subscriber::fmt::format::Json>,
    EnvFilter,
    W,
>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(true)
        .with_env_filter(filter)
        .with_writer(writer)
        .finish()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::error::ErrorKind;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn formats_parse_and_a_bad_one_is_a_typed_error() {
        assert_eq!("json".parse::<LogFormat>().unwrap(), LogFormat::Json);
        assert_eq!(" Text ".parse::<LogFormat>().unwrap(), LogFormat::Text);
        assert_eq!("xml".parse::<LogFormat>().unwrap_err().kind(), ErrorKind::InvalidInput);
        let bad = Logging::new("azblob=[").env_filter().unwrap_err();
        assert_eq!(bad.kind(), ErrorKind::InvalidInput);
        assert!(Logging::default().install().is_ok_and(|installed| !installed), "no filter, nothing installed");
    }

    #[test]
    fn json_lines_carry_the_spans_fields_under_their_convention_names() {
        let buffer = Buffer::default();
        let sink = buffer.clone();
        let subscriber = json(EnvFilter::new("debug"), move || sink.clone());
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("azblob.operation", azblob.operation = "GetBlob");
            let _entered = span.enter();
            let attempt = tracing::debug_span!("azblob.attempt", http.request.method = "GET");
            let _entered = attempt.enter();
            tracing::debug!(http.response.status_code = 200u16, "response headers received");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 1, "{text}");
        let line = &lines[0];
        assert_eq!(line["message"], "response headers received");
        assert_eq!(line["http.response.status_code"], 200);
        assert_eq!(line["spans"][0]["azblob.operation"], "GetBlob");
        assert_eq!(line["spans"][1]["http.request.method"], "GET");
    }
}
