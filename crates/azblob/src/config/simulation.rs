//! The builder's simulation settings: record or replay through a cassette.

use std::path::PathBuf;
use std::sync::Arc;

use super::ClientBuilder;
use crate::error::Result;
use crate::sim::{SimLayer, Simulation, SimulationMode, SimulationOptions};
use crate::transport::HttpTransport;

/// What `simulation` asked for.
#[derive(Debug, Clone)]
pub(super) struct SimulationConfig {
    mode: SimulationMode,
    path: PathBuf,
    options: SimulationOptions,
}

impl ClientBuilder {
    /// Records into or replays from the cassette at `path` (JSON; large and
    /// binary bodies in a `.bodies` directory beside it).
    ///
    /// In [`Replay`](SimulationMode::Replay) no request reaches the network
    /// and no credential is needed; the retry layer does not sleep. In
    /// [`Record`](SimulationMode::Record) and
    /// [`ReplayOrRecord`](SimulationMode::ReplayOrRecord) the cassette is
    /// written by [`BlobServiceClient::save_recordings`](crate::BlobServiceClient::save_recordings),
    /// or when the last clone of the client is dropped.
    pub fn simulation(mut self, mode: SimulationMode, path: impl Into<PathBuf>) -> Self {
        let options = self.simulation.take().map(|s| s.options).unwrap_or_default();
        self.simulation = Some(SimulationConfig { mode, path: path.into(), options });
        self
    }

    /// Matching, sanitizing and storage settings of the simulation; see [`SimulationOptions`].
    pub fn simulation_options(mut self, options: SimulationOptions) -> Self {
        match &mut self.simulation {
            Some(config) => config.options = options,
            None => {
                self.simulation = Some(SimulationConfig { mode: SimulationMode::Live, path: PathBuf::new(), options })
            }
        }
        self
    }
}

/// Opens the configured simulation (none for `Live`).
pub(super) fn open(config: Option<&SimulationConfig>, account: &str) -> Result<Option<Arc<Simulation>>> {
    match config {
        Some(c) => Simulation::open(c.mode, c.path.clone(), c.options.clone(), account),
        None => Ok(None),
    }
}

/// Puts the simulation layer directly above the wire.
pub(super) fn wrap(wire: Arc<dyn HttpTransport>, simulation: Option<&Arc<Simulation>>) -> Arc<dyn HttpTransport> {
    match simulation {
        Some(sim) => Arc::new(SimLayer::new(wire, Arc::clone(sim))),
        None => wire,
    }
}
