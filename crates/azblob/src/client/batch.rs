//! Batch delete and batch set-tier over Blob Batch: split, a few batches in flight, one outcome per blob.

use futures_util::stream::{self, StreamExt};
use http::StatusCode;

use super::{ContainerClient, MAX_BATCH_ANSWER_BYTES};
use crate::error::{Error, ErrorKind, Result};
use crate::ops::blob_batch::{
    build_batch_request, encode_batch_body, new_boundary, parse_batch_response, SubResponse, MAX_BATCH_SIZE,
};
use crate::ops::delete_blob::{build_delete_blob_request, DeleteBlobOptions, DeleteSnapshots};
use crate::ops::error_map::error_from_parts;
use crate::ops::models::AccessTier;
use crate::ops::names;
use crate::ops::set_tier::{build_set_tier_request, RehydratePriority, SetTierOptions};
use crate::ops::{headers, request_util};
use crate::transport::SubRequests;

/// How many batches are in flight at once unless the options say otherwise.
const DEFAULT_BATCH_CONCURRENCY: usize = 4;

/// Options of [`ContainerClient::delete_blobs_opts`].
#[derive(Debug, Clone)]
pub struct DeleteBlobsOptions {
    /// What to do with each blob's snapshots.
    pub delete_snapshots: Option<DeleteSnapshots>,
    /// How many batches (of up to 256 blobs each) are in flight at once (default 4).
    pub concurrency: usize,
}

impl Default for DeleteBlobsOptions {
    fn default() -> Self {
        DeleteBlobsOptions { delete_snapshots: None, concurrency: DEFAULT_BATCH_CONCURRENCY }
    }
}

/// Options of [`ContainerClient::set_blob_tiers_opts`].
#[derive(Debug, Clone)]
pub struct SetBlobTiersOptions {
    /// How fast an archived blob is brought back.
    pub rehydrate_priority: Option<RehydratePriority>,
    /// How many batches (of up to 256 blobs each) are in flight at once (default 4).
    pub concurrency: usize,
}

impl Default for SetBlobTiersOptions {
    fn default() -> Self {
        SetBlobTiersOptions { rehydrate_priority: None, concurrency: DEFAULT_BATCH_CONCURRENCY }
    }
}

/// What happened to one blob of a batch.
#[derive(Debug)]
pub enum BatchOutcome {
    /// Deleted (or re-tiered).
    Done,
    /// The blob did not exist (HTTP 404).
    NotFound,
    /// The sub-request failed; the error has the status and the service's code.
    Failed(Error),
}

/// The result for one blob of a batch, in the order the names were given.
#[derive(Debug)]
#[non_exhaustive]
pub struct BatchItemResult {
    /// The blob's name.
    pub name: String,
    /// What happened to it.
    pub outcome: BatchOutcome,
}

/// What a sub-request does to its blob.
#[derive(Clone)]
enum SubOperation {
    Delete(DeleteBlobOptions),
    SetTier(AccessTier, SetTierOptions),
}

impl ContainerClient {
    /// Deletes many blobs with [Blob Batch](https://learn.microsoft.com/rest/api/storageservices/blob-batch),
    /// 256 per batch, 4 batches at a time.
    ///
    /// Names are validated before anything is sent. A sub-request that fails
    /// does not fail the call: each blob gets its own [`BatchOutcome`]. If a
    /// whole batch fails (no answer, or the batch itself refused), every blob
    /// of that batch reports the batch's error. A batch whose answer was lost
    /// is sent again, and in the repeat's answer a blob not found counts as
    /// deleted ([`BatchOutcome::Done`]): the lost attempt deleted it.
    pub async fn delete_blobs<I, S>(&self, names: I) -> Result<Vec<BatchItemResult>>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.delete_blobs_opts(names, &DeleteBlobsOptions::default()).await
    }

    /// [`delete_blobs`](Self::delete_blobs) with snapshot handling, or another
    /// number of batches in flight.
    pub async fn delete_blobs_opts<I, S>(&self, names: I, options: &DeleteBlobsOptions) -> Result<Vec<BatchItemResult>>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let delete = DeleteBlobOptions { delete_snapshots: options.delete_snapshots, ..DeleteBlobOptions::default() };
        self.run_batches(names, SubOperation::Delete(delete), options.concurrency).await
    }

    /// Sets the access tier of many blobs with [Blob Batch](https://learn.microsoft.com/rest/api/storageservices/blob-batch)
    /// ([Set Blob Tier](https://learn.microsoft.com/rest/api/storageservices/set-blob-tier) sub-requests),
    /// with the same splitting and per-blob outcomes as [`delete_blobs`](Self::delete_blobs).
    pub async fn set_blob_tiers<I, S>(&self, names: I, tier: &AccessTier) -> Result<Vec<BatchItemResult>>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.set_blob_tiers_opts(names, tier, &SetBlobTiersOptions::default()).await
    }

    /// [`set_blob_tiers`](Self::set_blob_tiers) with a rehydrate priority, or
    /// another number of batches in flight.
    pub async fn set_blob_tiers_opts<I, S>(
        &self,
        names: I,
        tier: &AccessTier,
        options: &SetBlobTiersOptions,
    ) -> Result<Vec<BatchItemResult>>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let set_tier = SetTierOptions { rehydrate_priority: options.rehydrate_priority, ..SetTierOptions::default() };
        self.run_batches(names, SubOperation::SetTier(tier.clone(), set_tier), options.concurrency).await
    }

    async fn run_batches<I, S>(
        &self,
        names: I,
        operation: SubOperation,
        concurrency: usize,
    ) -> Result<Vec<BatchItemResult>>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let names: Vec<String> = names.into_iter().map(Into::into).collect();
        for name in &names {
            names::validate_blob_name(name)?;
        }
        let container_url = self.url()?;
        let chunks: Vec<Vec<String>> = names.chunks(MAX_BATCH_SIZE).map(<[String]>::to_vec).collect();
        let results: Vec<Vec<BatchItemResult>> = stream::iter(chunks)
            .map(|chunk| {
                let operation = operation.clone();
                let container_url = container_url.clone();
                async move {
                    match self.send_batch(container_url, &chunk, &operation).await {
                        Ok(outcomes) => chunk
                            .into_iter()
                            .zip(outcomes)
                            .map(|(name, outcome)| BatchItemResult { name, outcome })
                            .collect(),
                        Err(err) => chunk
                            .into_iter()
                            .map(|name| BatchItemResult { name, outcome: BatchOutcome::Failed(err.duplicate()) })
                            .collect(),
                    }
                }
            })
            .buffered(concurrency.max(1))
            .collect()
            .await;
        Ok(results.into_iter().flatten().collect())
    }

    /// Sends one batch; the outcomes are in the order of `names`.
    ///
    /// The sub-requests travel unsigned in the request: `SignLayer` signs
    /// each of them on every attempt, as it signs the batch itself, since
    /// the service checks each one on its own.
    async fn send_batch(
        &self,
        container_url: url::Url,
        names: &[String],
        operation: &SubOperation,
    ) -> Result<Vec<BatchOutcome>> {
        let mut subs = Vec::with_capacity(names.len());
        for name in names {
            let url = names::blob_url(self.service().endpoint(), self.name(), name)?;
            subs.push(match operation {
                SubOperation::Delete(options) => build_delete_blob_request(url, options)?,
                SubOperation::SetTier(tier, options) => build_set_tier_request(url, tier, options)?,
            });
        }
        let operation_name = subs[0].operation;
        let boundary = new_boundary();
        // Encoding the unsigned parts once checks them before anything is sent.
        let body = encode_batch_body(&boundary, &subs)?;
        let mut request = build_batch_request(container_url, &boundary, body)?;
        request.sub_requests = Some(SubRequests { boundary, parts: subs.into(), encode: encode_batch_body });
        let (response, body) =
            self.service().pipeline().execute_read(request, "BlobBatch", MAX_BATCH_ANSWER_BYTES).await?;
        let repeated = response.repeated;
        let content_type = request_util::header(&response.headers, headers::CONTENT_TYPE).unwrap_or("");
        let parts = parse_batch_response(content_type, &body).map_err(|e| e.with_operation("BlobBatch"))?;
        let repeated_delete = repeated && matches!(operation, SubOperation::Delete(_));
        Ok(match_outcomes(names.len(), parts, operation_name, repeated_delete))
    }
}

/// Turns the parts of a batch answer into one outcome per sub-request.
///
/// A part without a `Content-ID` is the service refusing the batch as a
/// whole; its error then stands for every sub-request left unanswered.
///
/// In a repeated batch of deletes (`repeated_delete`), a sub-request's 404
/// `BlobNotFound` means the lost first attempt deleted the blob, as
/// [`deleted_by_earlier_attempt`](crate::ops::delete_blob::deleted_by_earlier_attempt)
/// reads a single Delete Blob answer; any other not-found (a container gone)
/// stays what it is.
fn match_outcomes(
    count: usize,
    parts: Vec<SubResponse>,
    operation: &'static str,
    repeated_delete: bool,
) -> Vec<BatchOutcome> {
    let mut outcomes: Vec<Option<BatchOutcome>> = (0..count).map(|_| None).collect();
    let mut batch_error: Option<Error> = None;
    for part in parts {
        let outcome = outcome_of(&part, operation, repeated_delete);
        match part.content_id {
            Some(id) if id < count => outcomes[id] = Some(outcome),
            _ => {
                if let BatchOutcome::Failed(err) = outcome {
                    batch_error = Some(err);
                }
            }
        }
    }
    outcomes
        .into_iter()
        .map(|o| {
            o.unwrap_or_else(|| {
                BatchOutcome::Failed(match &batch_error {
                    Some(err) => err.duplicate(),
                    None => Error::invalid_response("the batch answer has no part for this sub-request")
                        .with_operation("BlobBatch"),
                })
            })
        })
        .collect()
}

fn outcome_of(part: &SubResponse, operation: &'static str, repeated_delete: bool) -> BatchOutcome {
    if part.status.is_success() {
        return BatchOutcome::Done;
    }
    let code = request_util::header(&part.headers, headers::X_MS_ERROR_CODE).map(str::to_owned);
    if repeated_delete && part.status == StatusCode::NOT_FOUND && code.as_deref() == Some("BlobNotFound") {
        return BatchOutcome::Done;
    }
    let request_id = request_util::header(&part.headers, headers::X_MS_REQUEST_ID).map(str::to_owned);
    let err = error_from_parts(part.status, code, request_id, &part.body, operation);
    if part.status == StatusCode::NOT_FOUND && err.kind() == ErrorKind::NotFound {
        BatchOutcome::NotFound
    } else {
        BatchOutcome::Failed(err)
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::HeaderMap;

    use super::*;

    fn part(id: Option<usize>, status: u16, code: Option<&str>) -> SubResponse {
        let mut headers = HeaderMap::new();
        if let Some(code) = code {
            headers.insert("x-ms-error-code", code.parse().unwrap());
        }
        SubResponse { content_id: id, status: StatusCode::from_u16(status).unwrap(), headers, body: Bytes::new() }
    }

    #[test]
    fn outcomes_follow_content_ids_not_part_order() {
        let parts = vec![
            part(Some(2), 404, Some("BlobNotFound")),
            part(Some(0), 202, None),
            part(Some(1), 409, Some("SnapshotsPresent")),
        ];
        let outcomes = match_outcomes(4, parts, "DeleteBlob", false);
        assert!(matches!(outcomes[0], BatchOutcome::Done));
        match &outcomes[1] {
            BatchOutcome::Failed(e) => {
                assert_eq!((e.kind(), e.error_code()), (ErrorKind::Conflict, Some("SnapshotsPresent")));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(outcomes[2], BatchOutcome::NotFound));
        assert!(matches!(&outcomes[3], BatchOutcome::Failed(e) if e.kind() == ErrorKind::InvalidResponse));
    }

    #[test]
    fn a_repeated_batch_reads_not_found_as_deleted() {
        let parts = || {
            vec![
                part(Some(0), 404, Some("BlobNotFound")),
                part(Some(1), 409, Some("SnapshotsPresent")),
                part(Some(2), 404, Some("ContainerNotFound")),
            ]
        };
        let outcomes = match_outcomes(3, parts(), "DeleteBlob", true);
        assert!(matches!(outcomes[0], BatchOutcome::Done));
        assert!(matches!(outcomes[1], BatchOutcome::Failed(_)), "other failures stay failures");
        assert!(matches!(outcomes[2], BatchOutcome::NotFound), "only a blob's absence stands for its deletion");
        let first = match_outcomes(3, parts(), "DeleteBlob", false);
        assert!(matches!(first[0], BatchOutcome::NotFound), "a first attempt's 404 is NotFound");
    }

    #[test]
    fn a_part_without_content_id_fails_the_rest() {
        let outcomes = match_outcomes(2, vec![part(None, 403, Some("AuthorizationFailure"))], "DeleteBlob", false);
        for o in outcomes {
            assert!(matches!(&o, BatchOutcome::Failed(e) if e.kind() == ErrorKind::PermissionDenied), "{o:?}");
        }
    }
}
