//! Simulation: record exchanges with the service into a cassette, and replay
//! them later with no network and no credentials.
//!
//! The simulation layer sits directly above the wire, below signing:
//!
//! ```text
//! operation span -> Retry -> Sign -> Trace -> Sim (record | replay) -> wire
//! ```
//!
//! so a recording holds each request as sent (then sanitized: no
//! `Authorization`, no SAS `sig`, no keys or tokens), and a replaying client
//! needs no credential at all. Turn it on with
//! [`ClientBuilder::simulation`](crate::ClientBuilder::simulation);
//! the file format is specified in `docs/cassette-format.md`.
//!
//! Limits, on purpose: an attempt that got no response at all (a reset
//! connection) is not recorded, so a replay shows only the attempts that
//! were answered; a recording keeps its large response bodies in memory
//! until it is saved (so nothing is written for a cassette refused for
//! holding a secret); `ReplayOrRecord` waits between retries for real,
//! because its misses go to the network.
//!
//! ```no_run
//! # async fn demo() -> azblob::Result<()> {
//! use azblob::sim::SimulationMode;
//! let client = azblob::ClientBuilder::new()
//!     .endpoint("http://127.0.0.1:10000/devstoreaccount1")
//!     .simulation(SimulationMode::Replay, "testdata/cassettes/put.json")
//!     .build()?; // no credential: the cassette answers
//! client.blob("c", "b").put("hello").await?;
//! # Ok(()) }
//! ```

mod cassette;
mod detect;
mod matcher;
#[cfg(test)]
mod props;
mod record;
mod replay;
mod sanitize;
mod session;
mod store;

pub use self::cassette::{
    canonical_query, sidecar_dir, Cassette, CassetteBody, CassetteRequest, CassetteResponse, Interaction,
    CASSETTE_FORMAT, DROPPED_REQUEST_HEADERS, DROPPED_RESPONSE_HEADERS,
};
pub use self::detect::{find_secret, SecretFound, SecretKind};
pub use self::matcher::{MatchFn, Matching};
pub use self::sanitize::REDACTED;
pub use crate::redact::shapes::redact_text;

use std::sync::Arc;

use futures_util::future::BoxFuture;

use self::matcher::Prepared;
pub(crate) use self::session::Simulation;
use crate::wire::{HttpTransport, Request, Response, TransportError, TransportErrorKind};

/// What the simulation layer does with each request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SimulationMode {
    /// Pass every request through; nothing is recorded.
    #[default]
    Live,
    /// Pass every request through and record each exchange into a new cassette.
    Record,
    /// Answer from the cassette only; a request it has no answer for fails
    /// with [`TransportErrorKind::NoRecording`] and a diff.
    Replay,
    /// Answer from the cassette when it can; send and record the rest.
    ReplayOrRecord,
}

impl SimulationMode {
    fn records(self) -> bool {
        matches!(self, SimulationMode::Record | SimulationMode::ReplayOrRecord)
    }
}

/// Settings of a simulation beyond its mode and cassette.
#[derive(Debug, Clone)]
pub struct SimulationOptions {
    matching: Option<Matching>,
    ignore_block_ids: Option<bool>,
    account_placeholder: Option<String>,
    inline_body_limit: usize,
    seed: Option<u64>,
}

impl Default for SimulationOptions {
    fn default() -> Self {
        SimulationOptions {
            matching: None,
            ignore_block_ids: None,
            account_placeholder: None,
            inline_body_limit: 64 * 1024,
            seed: None,
        }
    }
}

impl SimulationOptions {
    /// Defaults: the cassette's matching strategy (`IgnoreVolatile` for a new
    /// one), block ids compared, no placeholder, bodies inline up to 64 KiB.
    pub fn new() -> Self {
        SimulationOptions::default()
    }

    /// The matching strategy, overriding the one stored in the cassette.
    pub fn matching(mut self, matching: Matching) -> Self {
        self.matching = Some(matching);
        self
    }

    /// Ignores block ids when matching (query `blockid`, the ids in a Put
    /// Block List body, and so the upload session ids they carry).
    pub fn ignore_block_ids(mut self, ignore: bool) -> Self {
        self.ignore_block_ids = Some(ignore);
        self
    }

    /// Replaces the account name with `placeholder` in recorded paths,
    /// headers and text bodies, and back in replayed responses.
    pub fn account_placeholder(mut self, placeholder: impl Into<String>) -> Self {
        self.account_placeholder = Some(placeholder.into());
        self
    }

    /// The largest UTF-8 body kept inline in the JSON (default 64 KiB);
    /// larger or binary ones go to the sidecar directory.
    pub fn inline_body_limit(mut self, bytes: usize) -> Self {
        self.inline_body_limit = bytes;
        self
    }

    /// The seed of a new recording's randomness (default: a fresh one);
    /// a fixed seed makes re-recorded cassettes identical. Replays use the
    /// cassette's seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
}

/// Counts of a simulation session, for tests that want every recorded
/// exchange replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SimulationStats {
    /// Interactions in the cassette (loaded and recorded).
    pub interactions: usize,
    /// Requests answered from the cassette.
    pub replayed: usize,
    /// Exchanges recorded in this session.
    pub recorded: usize,
    /// Loaded interactions no request has used yet.
    pub unused: usize,
}

/// The simulation layer: records or replays each exchange of the wire below it.
///
/// It sits below [`SignLayer`](crate::transport::SignLayer) so it sees the
/// request as sent, and sanitizes what it keeps; see the module docs.
#[derive(Debug)]
pub(crate) struct SimLayer {
    inner: Arc<dyn HttpTransport>,
    sim: Arc<Simulation>,
}

impl SimLayer {
    /// Wraps the wire `inner`.
    pub(crate) fn new(inner: Arc<dyn HttpTransport>, sim: Arc<Simulation>) -> Self {
        SimLayer { inner, sim }
    }
}

impl HttpTransport for SimLayer {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        Box::pin(async move {
            let sim = &self.sim;
            let sent = Prepared::new(record::capture_request(&request, &sim.sanitizer, sim.options.inline_body_limit));
            match sim.mode {
                SimulationMode::Live => self.inner.send(request).await,
                SimulationMode::Record => sim.record(&*self.inner, request, sent).await,
                SimulationMode::Replay => match sim.replay(&sent) {
                    Ok(answer) => answer,
                    Err(message) => Err(TransportError::new(TransportErrorKind::NoRecording, message)),
                },
                SimulationMode::ReplayOrRecord => match sim.replay(&sent) {
                    Ok(answer) => answer,
                    Err(_) => sim.record(&*self.inner, request, sent).await,
                },
            }
        })
    }
}
