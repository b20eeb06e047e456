//! `ContainerClient`: a container's name and the clients of its blobs.

use std::sync::Arc;

use url::Url;

use super::{BlobClient, ServiceInner};
use crate::error::Result;
use crate::ops::names;

/// A client for one container. Creating containers is left to the account's
/// owner (portal, IaC); this library works with the data inside them.
#[derive(Debug, Clone)]
pub struct ContainerClient {
    service: Arc<ServiceInner>,
    name: String,
}

impl ContainerClient {
    pub(crate) fn new(service: Arc<ServiceInner>, name: String) -> Self {
        ContainerClient { service, name }
    }

    /// The container's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The container's URL; fails with `InvalidInput` for an invalid name.
    pub fn url(&self) -> Result<Url> {
        names::container_url(self.service.endpoint(), &self.name)
    }

    /// The service state shared by all clients (for `list.rs` and `batch.rs`).
    pub(super) fn service(&self) -> &Arc<ServiceInner> {
        &self.service
    }

    /// A client for one blob in this container.
    pub fn blob(&self, name: impl Into<String>) -> BlobClient {
        BlobClient::new(Arc::clone(&self.service), self.name.clone(), name.into())
    }
}
