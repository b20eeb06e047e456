//! What List Blobs returns: blobs, virtual directories and pages of them.

use std::time::SystemTime;

use super::copy_state::CopyState;
use super::models::{AccessTier, BlobType, ContentHeaders, ETag, Metadata};
use super::tags::Tags;

/// One blob (or snapshot, version, deleted blob) in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BlobItem {
    /// The blob's name, decoded if the service percent-encoded it.
    pub name: String,
    /// The snapshot's timestamp, for snapshots (`include=snapshots`).
    pub snapshot: Option<String>,
    /// The version id, on accounts with versioning (`include=versions`).
    pub version_id: Option<String>,
    /// Whether this is the current version (`<IsCurrentVersion>`); `None` when not reported.
    pub is_current_version: Option<bool>,
    /// Whether the blob is soft-deleted (`include=deleted`).
    pub deleted: bool,
    /// The size in bytes.
    pub content_length: u64,
    /// The ETag.
    pub etag: Option<ETag>,
    /// When the blob last changed.
    pub last_modified: Option<SystemTime>,
    /// When it was created.
    pub created_on: Option<SystemTime>,
    /// Content headers, including the stored MD5.
    pub content: ContentHeaders,
    /// Block, append or page blob.
    pub blob_type: Option<BlobType>,
    /// The access tier.
    pub access_tier: Option<AccessTier>,
    /// Whether the tier is the account default rather than set on the blob.
    pub access_tier_inferred: bool,
    /// A rehydration in progress, e.g. `rehydrate-pending-to-hot`.
    pub archive_status: Option<String>,
    /// User metadata (`include=metadata`); empty otherwise.
    pub metadata: Metadata,
    /// Index tags (`include=tags`); empty otherwise.
    pub tags: Tags,
    /// The last copy into this blob (`include=copy`).
    pub copy: Option<CopyState>,
}

/// One entry of a listing: a blob or, with a delimiter, a virtual directory.
// Nearly every entry is a blob, so boxing the large variant would only add
// an allocation per item.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListItem {
    /// A blob.
    Blob(BlobItem),
    /// A virtual directory: the common prefix of names up to the delimiter, e.g. `logs/2026/`.
    Prefix(String),
}

impl ListItem {
    /// The blob's name or the directory's prefix.
    pub fn name(&self) -> &str {
        match self {
            ListItem::Blob(b) => &b.name,
            ListItem::Prefix(p) => p,
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListBlobsPage {
    /// The entries, in the service's order (by name, then snapshot or version).
    pub items: Vec<ListItem>,
    /// The marker of the next page; `None` on the last page.
    pub next_marker: Option<String>,
}
