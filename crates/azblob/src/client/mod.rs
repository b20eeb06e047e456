//! The clients: `BlobServiceClient` → `ContainerClient` → `BlobClient`.
//!
//! They are thin: each method builds a request with `ops`, sends it through
//! the pipeline and parses the answer. Clients are cheap to clone and share
//! one connection pool.

mod batch;
mod blob;
mod blob_append;
mod blob_block_copy;
mod blob_blocks;
mod blob_manage;
mod blob_transfer;
mod container;
mod copy;
mod file_task;
mod files;
mod get;
mod lease;
mod list;
mod many;
mod simulation;
mod tags;

pub use self::batch::{BatchItemResult, BatchOutcome, DeleteBlobsOptions, SetBlobTiersOptions};
pub use self::blob::BlobClient;
pub use self::container::ContainerClient;
pub use self::copy::{CopyOperation, CopySource, WaitOptions};
pub use self::files::{
    mtime_from_metadata, DownloadFilesOptions, FileJob, FileReport, UploadFilesOptions, MTIME_METADATA_KEY,
};
pub use self::lease::Lease;
pub use self::many::{GetBlobsOptions, PutBlobsOptions};
pub use self::tags::{GetTagsOptions, SetTagsOptions};
pub(crate) use crate::ops::conditions::refine_if_not_exists;
pub use crate::transfer::{BlobBody, GetBlobResponse};

use std::sync::Arc;
use std::time::SystemTime;

use url::Url;

use crate::auth::{Credential, CredentialScope, UserDelegationKey};
use crate::error::{Error, Result};
use crate::ops::user_delegation_key::{build_user_delegation_key_request, parse_user_delegation_key};
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
    /// Where the credential may be sent (the endpoint, trusted hosts).
    scope: CredentialScope,
    pipeline: Pipeline,
    /// The simulation, when recording or replaying.
    simulation: Option<Arc<crate::sim::Simulation>>,
    /// The client's randomness (upload session ids): seeded from the
    /// cassette when simulating, so replays send the same block ids.
    rng: std::sync::Mutex<fastrand::Rng>,
}

impl BlobServiceClient {
    pub(crate) fn new(
        account: String,
        endpoint: Url,
        credential: Credential,
        scope: CredentialScope,
        pipeline: Pipeline,
    ) -> Self {
        let rng = std::sync::Mutex::new(fastrand::Rng::new());
        BlobServiceClient {
            inner: Arc::new(ServiceInner { account, endpoint, credential, scope, pipeline, simulation: None, rng }),
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

    /// The credential requests are authorized with. A replaying client built
    /// with a token credential has [`Credential::Anonymous`] here: it signs
    /// nothing and never asks for a token, which would need the network.
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

    /// Gets a key for signing user delegation SAS, valid from `start` to
    /// `expiry` (at most seven days from now), with
    /// [Get User Delegation Key](https://learn.microsoft.com/rest/api/storageservices/get-user-delegation-key).
    ///
    /// Only a client authorized with a bearer token can ask for one; sign
    /// SAS tokens with it through [`Sas::sign_user_delegation`](crate::auth::Sas::sign_user_delegation).
    pub async fn user_delegation_key(&self, start: SystemTime, expiry: SystemTime) -> Result<UserDelegationKey> {
        if !matches!(self.inner.credential, Credential::Token(_)) {
            return Err(Error::invalid_input(
                "Get User Delegation Key needs a bearer-token (Microsoft Entra ID) credential",
            ));
        }
        let request = build_user_delegation_key_request(&self.inner.endpoint, start, expiry)?;
        let (_, body) =
            self.inner.pipeline.execute_read(request, "GetUserDelegationKey", MAX_SMALL_ANSWER_BYTES).await?;
        parse_user_delegation_key(&body).map_err(|e| e.with_operation("GetUserDelegationKey"))
    }

    /// Sends a request the library does not model (e.g. Create Container in
    /// test setup) through the full stack: signed, retried and traced.
    ///
    /// The client's credential is attached only if the request's URL is under
    /// this client's endpoint (or, for a token, on a trusted Azure host);
    /// for any other URL the request is refused with
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) before
    /// anything is sent. A non-2xx answer is returned as an [`Error`](crate::Error).
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

    pub(crate) fn credential(&self) -> &Credential {
        &self.credential
    }

    pub(crate) fn scope(&self) -> &CredentialScope {
        &self.scope
    }
}

/// The largest List Blobs page read: 5,000 entries with names of up to 1,024
/// characters and metadata, tags and properties stay well under it.
pub(crate) const MAX_LIST_PAGE_BYTES: usize = 32 * 1024 * 1024;

/// The largest Blob Batch answer read: 256 short sub-responses need a few
/// hundred KiB.
pub(crate) const MAX_BATCH_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// The largest answer of a small operation (a user delegation key is a few
/// hundred bytes).
pub(crate) const MAX_SMALL_ANSWER_BYTES: usize = 64 * 1024;
