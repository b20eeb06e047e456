//! The `--json` shapes of listed blobs, blob properties and transfers: stable field names, one object each.

use azblob::auth::iso8601;
use azblob::{BlobItem, BlobProperties, CopyState, ListItem, Metadata, TaggedBlob, Tags};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{json, Value};

/// The line `azblob cp --json` prints after an upload or a download:
/// `bytes`, `seconds`, `mb_per_s`, `blocks` (blocks or ranged GETs),
/// `resumed_blocks`, and `verified`: `"md5"` when the content was checked
/// end to end (a download compared with the blob's stored MD5; an upload's
/// blocks each checked by the service against their MD5), `"crc64"` when
/// every block or range was checked against its CRC64 (`--checksum crc64`),
/// `null` when it was not (no `--md5` or `--checksum`). `--md5` on a blob
/// without a stored MD5, or `--checksum crc64` answered without CRC64s,
/// fails instead of printing `null`. Then what the requests cost: `requests`
/// (every attempt, retries included), `retries`, `throttled` (answers 429
/// or 503) and `service_seconds` (each attempt's time until its answer's
/// head, summed over attempts in parallel).
pub(crate) fn transfer(figures: &crate::cp::Figures, seconds: f64, mb_per_s: f64) -> Value {
    json!({
        "bytes": figures.bytes,
        "seconds": seconds,
        "mb_per_s": mb_per_s,
        "blocks": figures.blocks,
        "resumed_blocks": figures.resumed_blocks,
        "verified": figures.verified,
        "requests": figures.stats.requests,
        "retries": figures.stats.retries,
        "throttled": figures.stats.throttled,
        "service_seconds": figures.stats.service_time.as_secs_f64(),
    })
}

/// A listing entry: `kind` is `blob` or `prefix`.
pub(crate) fn list_item(item: &ListItem) -> Value {
    match item {
        ListItem::Prefix(p) => json!({ "kind": "prefix", "name": p }),
        ListItem::Blob(b) => blob_item(b),
    }
}

/// A listed blob.
pub(crate) fn blob_item(b: &BlobItem) -> Value {
    json!({
        "kind": "blob",
        "name": b.name,
        "size": b.content_length,
        "last_modified": b.last_modified.map(iso8601),
        "etag": b.etag.as_ref().map(|e| e.0.clone()),
        "content_type": b.content.content_type,
        "content_md5": b.content.content_md5.as_ref().map(|m| BASE64.encode(m)),
        "blob_type": b.blob_type.as_ref().map(|t| t.as_str().to_owned()),
        "tier": b.access_tier.as_ref().map(|t| t.as_str().to_owned()),
        "snapshot": b.snapshot,
        "version_id": b.version_id,
        "is_current_version": b.is_current_version,
        "deleted": b.deleted,
        "metadata": metadata(&b.metadata),
        "tags": tags(&b.tags),
    })
}

/// A blob `azblob find --json` found: its container, name and the tags the
/// expression matched.
pub(crate) fn tagged_blob(b: &TaggedBlob) -> Value {
    json!({ "container": b.container, "name": b.name, "tags": tags(&b.tags) })
}

/// Index tags as a JSON object (`azblob tag --json`; `tags` of a listed blob,
/// empty unless `ls --tags`).
pub(crate) fn tags(t: &Tags) -> Value {
    metadata(t)
}

/// The properties of one blob, as `azblob stat --json` prints them.
pub(crate) fn properties(container: &str, name: &str, p: &BlobProperties) -> Value {
    json!({
        "container": container,
        "name": name,
        "size": p.content_length,
        "etag": p.etag.0,
        "last_modified": iso8601(p.last_modified),
        "created_on": p.created_on.map(iso8601),
        "content_type": p.content.content_type,
        "content_encoding": p.content.content_encoding,
        "content_language": p.content.content_language,
        "content_disposition": p.content.content_disposition,
        "cache_control": p.content.cache_control,
        "content_md5": p.content.content_md5.as_ref().map(|m| BASE64.encode(m)),
        "blob_type": p.blob_type.as_str(),
        "tier": p.access_tier.as_ref().map(|t| t.as_str().to_owned()),
        "tier_inferred": p.access_tier_inferred,
        "archive_status": p.archive_status,
        "version_id": p.version_id,
        "is_current_version": p.is_current_version,
        "metadata": metadata(&p.metadata),
        "copy": p.copy.as_ref().map(copy_state),
        "lease_state": p.lease_state.map(|s| s.as_str()),
        "tag_count": p.tag_count,
    })
}

/// The state of a copy.
pub(crate) fn copy_state(c: &CopyState) -> Value {
    json!({
        "id": c.id,
        "status": c.status.as_str(),
        "bytes_copied": c.progress.map(|p| p.0),
        "bytes_total": c.progress.map(|p| p.1),
        "source": c.source,
        "status_description": c.status_description,
        "completed_on": c.completed_on.map(iso8601),
    })
}

/// Metadata as a JSON object.
pub(crate) fn metadata(m: &Metadata) -> Value {
    Value::Object(m.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect())
}
