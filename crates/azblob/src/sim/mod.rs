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
//! [`ClientBuilder::with_simulation`](crate::ClientBuilder::with_simulation);
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
//!     .with_simulation(SimulationMode::Replay, "testdata/cassettes/put.json")
//!     .build()?; // no credential: the cassette answers
//! client.blob("c", "b").put("hello").await?;
//! # Ok(()) }
//! ```

mod cassette;
mod matcher;
mod record;
mod replay;
mod sanitize;
mod store;

pub use self::cassette::{
    canonical_query, sidecar_dir, Cassette, CassetteBody, CassetteRequest, CassetteResponse, Interaction,
    CASSETTE_FORMAT, DROPPED_REQUEST_HEADERS, DROPPED_RESPONSE_HEADERS,
};
pub use self::matcher::{MatchFn, Matching};
pub use self::sanitize::{find_secret, SecretFound, SecretKind, REDACTED};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::future::BoxFuture;

use self::matcher::{closest, Matcher, Prepared};
use self::sanitize::{scan_cassette, Sanitizer};
use self::store::BodyStore;
use crate::error::{Error, Result};
use crate::transport::{Clock, HttpTransport, Request, Response, TransportError, TransportErrorKind};

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

/// The state of one simulation, shared by the layer and the client's handle.
pub(crate) struct Simulation {
    mode: SimulationMode,
    options: SimulationOptions,
    sanitizer: Sanitizer,
    state: Mutex<State>,
}

struct State {
    path: PathBuf,
    seed: u64,
    matcher: Matcher,
    interactions: Vec<Interaction>,
    prepared: Vec<Prepared>,
    used: Vec<bool>,
    store: BodyStore,
    dirty: bool,
    replayed: usize,
    recorded: usize,
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `try_lock`: printing a client must never wait on (or deadlock with) a replay in progress.
        let path = self.state.try_lock().map(|s| s.path.display().to_string()).unwrap_or_else(|_| "<busy>".into());
        f.debug_struct("Simulation").field("mode", &self.mode).field("path", &path).finish()
    }
}

impl Simulation {
    /// Opens the simulation: `None` for `Live`; in replay modes the cassette
    /// is read now, so a missing or invalid one fails at build time.
    pub(crate) fn open(
        mode: SimulationMode,
        path: PathBuf,
        options: SimulationOptions,
        account: &str,
    ) -> Result<Option<Arc<Simulation>>> {
        if mode == SimulationMode::Live {
            return Ok(None);
        }
        let existing = match mode {
            SimulationMode::Replay => Some(Cassette::load(&path)?),
            SimulationMode::ReplayOrRecord if path.exists() => Some(Cassette::load(&path)?),
            _ => None,
        };
        let placeholder = options.account_placeholder.clone().map(|p| (account.to_owned(), p));
        let sanitizer = Sanitizer::new(placeholder);
        let seed = options.seed.unwrap_or_else(|| fastrand::u64(..));
        let fresh = Cassette::new(seed, options.matching.clone().unwrap_or_default().name(), false);
        let state = State::from_cassette(path, existing.unwrap_or(fresh), &options)?;
        Ok(Some(Arc::new(Simulation { mode, options, sanitizer, state: Mutex::new(state) })))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not turn saving on drop into a second panic.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The seed of the client's randomness.
    pub(crate) fn seed(&self) -> u64 {
        self.lock().seed
    }

    /// A clock for the retry layer: replays never wait.
    pub(crate) fn clock(&self) -> Option<Arc<dyn Clock>> {
        (self.mode == SimulationMode::Replay).then(|| Arc::new(InstantClock) as Arc<dyn Clock>)
    }

    /// Counts of this session.
    pub(crate) fn stats(&self) -> SimulationStats {
        let state = self.lock();
        SimulationStats {
            interactions: state.interactions.len(),
            replayed: state.replayed,
            recorded: state.recorded,
            unused: state.used.iter().filter(|used| !**used).count(),
        }
    }

    /// Writes the cassette and its new sidecar bodies, refusing one that still holds a secret.
    pub(crate) fn save(&self) -> Result<()> {
        let mut state = self.lock();
        let cassette = state.to_cassette();
        let sidecar_text = |sha: &str| state.store.pending(sha).and_then(|b| String::from_utf8(b.to_vec()).ok());
        if let Err(found) = scan_cassette(&cassette, &sidecar_text) {
            return Err(Error::invalid_input(format!(
                "refusing to save the cassette {}: {found}",
                state.path.display()
            ))
            .with_operation("SaveRecordings")
            .with_source(found));
        }
        let io = |e: std::io::Error, path: &Path| {
            let message = format!("cannot write the cassette {}: {e}", path.display());
            Error::from(e).with_message(message).with_operation("SaveRecordings")
        };
        let path = state.path.clone();
        state.store.flush().map_err(|e| io(e, &path))?;
        cassette.write(&path).map_err(|e| io(e, &path))?;
        state.dirty = false;
        Ok(())
    }

    /// Replaces the cassette with the one at `path`; later saves go there too.
    pub(crate) fn load(&self, path: PathBuf) -> Result<()> {
        let cassette = Cassette::load(&path)?;
        let state = State::from_cassette(path, cassette, &self.options)?;
        *self.lock() = state;
        Ok(())
    }

    /// The recorded answer to `sent`, marked used; `Err` with the diff message if none matches.
    fn replay(&self, sent: &Prepared) -> std::result::Result<Result<Response, TransportError>, String> {
        let mut state = self.lock();
        let found =
            (0..state.prepared.len()).find(|&i| !state.used[i] && state.matcher.matches(sent, &state.prepared[i]));
        let Some(index) = found else { return Err(state.no_match(sent)) };
        state.used[index] = true;
        state.replayed += 1;
        let response = &state.interactions[index].response;
        let pending = match &response.body {
            CassetteBody::Stored { sha256, .. } => state.store.pending(sha256),
            CassetteBody::Text { .. } => None,
        };
        Ok(replay::rebuild(response, pending, state.store.dir(), &self.sanitizer))
    }

    /// Sends `request` on the wire and records the exchange.
    async fn record(
        &self,
        inner: &dyn HttpTransport,
        request: Request,
        sent: Prepared,
    ) -> Result<Response, TransportError> {
        let response = inner.send(request).await?;
        // The whole body is read to record it; downloads come in chunks, so
        // this holds one chunk, not the blob.
        let body = response.body.bytes().await?;
        let mut state = self.lock();
        let limit = self.options.inline_body_limit;
        let captured = record::capture_response(
            response.status.as_u16(),
            &response.headers,
            &body,
            &self.sanitizer,
            limit,
            &mut state.store,
        );
        state.interactions.push(Interaction { request: sent.request.clone(), response: captured });
        state.prepared.push(sent);
        state.used.push(true);
        state.recorded += 1;
        state.dirty = true;
        Ok(Response::new(response.status, response.headers, body))
    }
}

impl Drop for Simulation {
    fn drop(&mut self) {
        // A thread unwinding from a panic (a failed test, a bug) would leave
        // a half-recorded session: better no cassette than a wrong one.
        if std::thread::panicking() {
            tracing::warn!("not saving the simulation's recordings while panicking");
            return;
        }
        if self.mode.records() && self.lock().dirty {
            if let Err(err) = self.save() {
                tracing::error!(error = %err, "could not save the simulation's recordings");
            }
        }
    }
}

impl State {
    fn from_cassette(path: PathBuf, cassette: Cassette, options: &SimulationOptions) -> Result<State> {
        let seed = cassette.seed_value()?;
        let matcher = Matcher {
            strategy: options.matching.clone().unwrap_or_else(|| Matching::from_name(&cassette.matching)),
            ignore_block_ids: options.ignore_block_ids.unwrap_or(cassette.ignore_block_ids),
        };
        let prepared: Vec<Prepared> = cassette.interactions.iter().map(|i| Prepared::new(i.request.clone())).collect();
        Ok(State {
            store: BodyStore::new(sidecar_dir(&path)),
            path,
            seed,
            matcher,
            used: vec![false; prepared.len()],
            prepared,
            interactions: cassette.interactions,
            dirty: false,
            replayed: 0,
            recorded: 0,
        })
    }

    fn to_cassette(&self) -> Cassette {
        let mut cassette = Cassette::new(self.seed, self.matcher.strategy.name(), self.matcher.ignore_block_ids);
        cassette.interactions = self.interactions.clone();
        cassette
    }

    /// Why nothing matches `sent`: the closest unused interaction and how it differs.
    fn no_match(&self, sent: &Prepared) -> String {
        let r = &sent.request;
        let line = if r.query.is_empty() { r.path.clone() } else { format!("{}?{}", r.path, r.query) };
        let unused = self.used.iter().filter(|u| !**u).count();
        let mut message = format!(
            "no recorded interaction matches {} {line} (matching {}, cassette {}: {} interactions, {unused} unused)",
            r.method,
            self.matcher.strategy.name(),
            self.path.display(),
            self.interactions.len(),
        );
        let used_match =
            (0..self.prepared.len()).find(|&i| self.used[i] && self.matcher.matches(sent, &self.prepared[i]));
        if let Some(index) = used_match {
            message.push_str(&format!(
                "; interaction #{index} matches but was already used (each recorded response replays once)"
            ));
        }
        let candidates = self.prepared.iter().enumerate().filter(|(i, _)| !self.used[*i]);
        match closest(&self.matcher, sent, candidates) {
            Some((index, diffs)) => {
                let closest = &self.prepared[index].request;
                message.push_str(&format!(
                    "; the closest unused is #{index} ({} {}), which differs in {}",
                    closest.method,
                    closest.path,
                    diffs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
                ));
            }
            None => message.push_str("; every recorded interaction was already used"),
        }
        message
    }
}

/// A clock that never waits, for replays: the recorded delays already passed.
#[derive(Debug, Clone, Copy)]
struct InstantClock;

impl Clock for InstantClock {
    fn sleep(&self, _duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
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
