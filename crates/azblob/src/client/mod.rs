//! The clients: `BlobServiceClient` → `ContainerClient` → `BlobClient`.
//!
//! They are thin: each method builds a request with `ops`, sends it through
//! the pipeline and parses the answer. Clients are cheap to clone and share
//! one connection pool.

mod blob;
mod blob_append;
mod blob_transfer;
mod container;
mod simulation;

pub(crate) use self::blob::refine_if_not_exists;
pub use self::blob::{BlobClient, GetBlobResponse};
pub use self::container::ContainerClient;

use std::sync::Arc;

use url::Url;

use crate::auth::Credential;
use crate::error::Result;
use crate::transport::{Pipeline, Request, Response};

/// A client for one storage account's blob service.
#[derive(Debug, Clone)]
pub struct BlobServiceClient {
    inner: Arc<ServiceInner>,
}

#[derive(Debug)]
pub(crate) struct ServiceInner {
    account: String,
    endpoint: Url,
    credential: Credential,
    pipeline: Pipeline,
    /// The simulation, when recording or replaying.
    simulation: Option<Arc<crate::sim::Simulation>>,
    /// The client's randomness (upload session ids): seeded from the
    /// cassette when simulating, so replays send the same block ids.
    rng: std::sync::Mutex<fastrand::Rng>,
}

impl BlobServiceClient {
    pub(crate) fn new(account: String, endpoint: Url, credential: Credential, pipeline: Pipeline) -> Self {
        let rng = std::sync::Mutex::new(fastrand::Rng::new());
        BlobServiceClient {
            inner: Arc::new(ServiceInner { account, endpoint, credential, pipeline, simulation: None, rng }),
        }
    }

    /// The storage account name.
    pub fn account(&self) -> &str {
        &self.inner.account
    }

    /// The blob endpoint, e.g. `https://acct.blob.core.windows.net/`.
    pub fn endpoint(&self) -> &Url {
        &self.inner.endpoint
    }

    /// The credential requests are authorized with.
    pub fn credential(&self) -> &Credential {
        &self.inner.credential
    }

    /// A client for one container; the name is checked when a request is made.
    pub fn container(&self, name: impl Into<String>) -> ContainerClient {
        ContainerClient::new(Arc::clone(&self.inner), name.into())
    }

    /// A client for one blob; shorthand for `container(c).blob(b)`.
    pub fn blob(&self, container: impl Into<String>, blob: impl Into<String>) -> BlobClient {
        self.container(container).blob(blob)
    }

    /// Sends a request the library does not model (e.g. Create Container in
    /// test setup) through the full stack: signed, retried and traced.
    ///
    /// The request's URL must be under this client's endpoint. A non-2xx
    /// answer is returned as an [`Error`](crate::Error).
    pub async fn send_raw(&self, request: Request) -> Result<Response> {
        self.inner.pipeline.execute(request).await
    }
}

impl ServiceInner {
    pub(crate) fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    pub(crate) fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }
}
