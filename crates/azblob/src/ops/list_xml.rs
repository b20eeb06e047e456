//! The XML shape of a List Blobs answer, as the service sends it (serde models, private).
//!
//! <https://learn.microsoft.com/rest/api/storageservices/list-blobs#response-body>
//!
//! Every field is optional: the service leaves out what was not asked for
//! (`include=`), and emulators leave out more. Empty elements (`<Content-Encoding />`)
//! arrive as empty strings and are turned into `None` by the caller.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `<EnumerationResults>`.
#[derive(Debug, Deserialize)]
pub(crate) struct EnumerationResults {
    #[serde(rename = "Blobs", default)]
    pub(crate) blobs: Option<Blobs>,
    #[serde(rename = "NextMarker", default)]
    pub(crate) next_marker: Option<String>,
}

/// `<Blobs>`: blobs and virtual directories, interleaved in name order.
#[derive(Debug, Deserialize, Default)]
pub(crate) struct Blobs {
    #[serde(rename = "$value", default)]
    pub(crate) entries: Vec<Entry>,
}

/// One child of `<Blobs>`.
#[derive(Debug, Deserialize)]
pub(crate) enum Entry {
    #[serde(rename = "Blob")]
    Blob(Box<RawBlob>),
    #[serde(rename = "BlobPrefix")]
    Prefix(RawPrefix),
}

/// A name that may be percent-encoded (`<Name Encoded="true">`), as the service
/// does for names with characters XML 1.0 cannot carry.
#[derive(Debug, Deserialize, Default)]
pub(crate) struct RawName {
    #[serde(rename = "@Encoded", default)]
    pub(crate) encoded: Option<bool>,
    #[serde(rename = "$text", default)]
    pub(crate) value: String,
}

/// `<BlobPrefix>`.
#[derive(Debug, Deserialize)]
pub(crate) struct RawPrefix {
    #[serde(rename = "Name", default)]
    pub(crate) name: RawName,
}

/// `<Blob>`.
#[derive(Debug, Deserialize)]
pub(crate) struct RawBlob {
    #[serde(rename = "Name", default)]
    pub(crate) name: RawName,
    #[serde(rename = "Snapshot", default)]
    pub(crate) snapshot: Option<String>,
    #[serde(rename = "VersionId", default)]
    pub(crate) version_id: Option<String>,
    #[serde(rename = "IsCurrentVersion", default)]
    pub(crate) is_current_version: Option<bool>,
    #[serde(rename = "Deleted", default)]
    pub(crate) deleted: Option<bool>,
    #[serde(rename = "Properties", default)]
    pub(crate) properties: RawProperties,
    #[serde(rename = "Metadata", default)]
    pub(crate) metadata: Option<BTreeMap<String, String>>,
    #[serde(rename = "Tags", default)]
    pub(crate) tags: Option<RawTags>,
}

/// `<Tags><TagSet><Tag><Key/><Value/></Tag>...`.
#[derive(Debug, Deserialize, Default)]
pub(crate) struct RawTags {
    #[serde(rename = "TagSet", default)]
    pub(crate) tag_set: RawTagSet,
}

/// `<TagSet>`.
#[derive(Debug, Deserialize, Default)]
pub(crate) struct RawTagSet {
    #[serde(rename = "Tag", default)]
    pub(crate) tags: Vec<RawTag>,
}

/// `<Tag>`.
#[derive(Debug, Deserialize)]
pub(crate) struct RawTag {
    #[serde(rename = "Key")]
    pub(crate) key: String,
    #[serde(rename = "Value", default)]
    pub(crate) value: String,
}

/// `<Properties>` of a listed blob (the subset this library models).
#[derive(Debug, Deserialize, Default)]
pub(crate) struct RawProperties {
    #[serde(rename = "Creation-Time", default)]
    pub(crate) creation_time: Option<String>,
    #[serde(rename = "Last-Modified", default)]
    pub(crate) last_modified: Option<String>,
    #[serde(rename = "Etag", default)]
    pub(crate) etag: Option<String>,
    #[serde(rename = "Content-Length", default)]
    pub(crate) content_length: Option<String>,
    #[serde(rename = "Content-Type", default)]
    pub(crate) content_type: Option<String>,
    #[serde(rename = "Content-Encoding", default)]
    pub(crate) content_encoding: Option<String>,
    #[serde(rename = "Content-Language", default)]
    pub(crate) content_language: Option<String>,
    #[serde(rename = "Content-MD5", default)]
    pub(crate) content_md5: Option<String>,
    #[serde(rename = "Content-Disposition", default)]
    pub(crate) content_disposition: Option<String>,
    #[serde(rename = "Cache-Control", default)]
    pub(crate) cache_control: Option<String>,
    #[serde(rename = "BlobType", default)]
    pub(crate) blob_type: Option<String>,
    #[serde(rename = "AccessTier", default)]
    pub(crate) access_tier: Option<String>,
    #[serde(rename = "AccessTierInferred", default)]
    pub(crate) access_tier_inferred: Option<bool>,
    #[serde(rename = "ArchiveStatus", default)]
    pub(crate) archive_status: Option<String>,
    #[serde(rename = "CopyId", default)]
    pub(crate) copy_id: Option<String>,
    #[serde(rename = "CopyStatus", default)]
    pub(crate) copy_status: Option<String>,
    #[serde(rename = "CopySource", default)]
    pub(crate) copy_source: Option<String>,
    #[serde(rename = "CopyProgress", default)]
    pub(crate) copy_progress: Option<String>,
    #[serde(rename = "CopyCompletionTime", default)]
    pub(crate) copy_completion_time: Option<String>,
    #[serde(rename = "CopyStatusDescription", default)]
    pub(crate) copy_status_description: Option<String>,
}
