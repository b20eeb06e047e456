//! The client's side of simulation: saving and loading cassettes, and the
//! seeded randomness that makes replays send the same requests.

use std::path::Path;
use std::sync::Arc;

use super::{BlobServiceClient, ServiceInner};
use crate::error::{Error, Result};
use crate::sim::{Simulation, SimulationStats};

impl BlobServiceClient {
    /// Attaches the simulation and seeds the client's randomness from it.
    pub(crate) fn with_simulation(mut self, simulation: Option<Arc<Simulation>>) -> Self {
        if let Some(sim) = simulation {
            let inner = Arc::get_mut(&mut self.inner).expect("a client being built is not shared yet");
            *inner.rng.get_mut().unwrap_or_else(|p| p.into_inner()) = fastrand::Rng::with_seed(sim.seed());
            inner.simulation = Some(sim);
        }
        self
    }

    /// Writes the cassette (and new sidecar bodies) of a recording client.
    ///
    /// Refuses, with an `InvalidInput` error whose source is a
    /// [`SecretFound`](crate::sim::SecretFound) naming the interaction and
    /// field, a cassette that still holds anything shaped like an account
    /// key, a SAS signature or a JWT. Recording clients also save when the
    /// last clone is dropped (errors are logged, never panicked on).
    pub fn save_recordings(&self) -> Result<()> {
        self.simulation()?.save()
    }

    /// Replaces the cassette with the one at `path`: later requests replay
    /// from it, recordings are added to it, and the client's randomness is
    /// reseeded from its seed.
    pub fn load_recordings(&self, path: impl AsRef<Path>) -> Result<()> {
        let sim = self.simulation()?;
        sim.load(path.as_ref().to_path_buf())?;
        *self.inner.rng.lock().unwrap_or_else(|p| p.into_inner()) = fastrand::Rng::with_seed(sim.seed());
        Ok(())
    }

    /// Counts of the simulation session (`None` for a live client).
    pub fn simulation_stats(&self) -> Option<SimulationStats> {
        self.inner.simulation.as_ref().map(|sim| sim.stats())
    }

    fn simulation(&self) -> Result<&Simulation> {
        self.inner.simulation.as_deref().ok_or_else(|| {
            Error::invalid_input("this client is not simulating; build it with ClientBuilder::simulation()")
        })
    }
}

impl ServiceInner {
    /// A new upload session id: 16 hex digits from the client's (seeded) randomness.
    pub(crate) fn new_session_id(&self) -> String {
        format!("{:016x}", self.rng.lock().unwrap_or_else(|p| p.into_inner()).u64(..))
    }
}
