//! One simulation session: the cassette in memory, which interactions were
//! used, what was recorded, and saving (with the secret check) and loading.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::cassette::{sidecar_dir, Cassette, CassetteBody, Interaction};
use super::detect::scan_cassette;
use super::matcher::{closest, Matcher, Matching, Prepared};
use super::record;
use super::replay;
use super::sanitize::Sanitizer;
use super::store::BodyStore;
use super::{SimulationMode, SimulationOptions, SimulationStats};
use crate::error::{Error, Result};
use crate::wire::{Clock, HttpTransport, Request, Response, TransportError};

/// The state of one simulation, shared by the layer and the client's handle.
pub(crate) struct Simulation {
    pub(super) mode: SimulationMode,
    pub(super) options: SimulationOptions,
    pub(super) sanitizer: Sanitizer,
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

    /// Whether requests are answered only from the cassette.
    pub(crate) fn is_replay(&self) -> bool {
        self.mode == SimulationMode::Replay
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
            .with_source_in_message(found));
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
    pub(super) fn replay(&self, sent: &Prepared) -> std::result::Result<Result<Response, TransportError>, String> {
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
    pub(super) async fn record(
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
