//! Typed values shared by the blob operations: properties, content headers, tiers, ranges.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use crate::error::{Error, Result};

/// User metadata: `x-ms-meta-{name}: {value}` pairs.
///
/// Names must be valid C# identifiers (the service's rule); they are
/// case-insensitive on the service and returned as stored.
pub type Metadata = BTreeMap<String, String>;

/// A blob's ETag, kept with its quotes exactly as the service sent it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ETag(pub String);

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The standard content headers stored with a blob.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentHeaders {
    /// `Content-Type`, e.g. `application/octet-stream`.
    pub content_type: Option<String>,
    /// `Content-Encoding`, e.g. `gzip`.
    pub content_encoding: Option<String>,
    /// `Content-Language`, e.g. `en-US`.
    pub content_language: Option<String>,
    /// `Content-Disposition`, e.g. `attachment; filename="a.bin"`.
    pub content_disposition: Option<String>,
    /// `Cache-Control`, e.g. `max-age=3600`.
    pub cache_control: Option<String>,
    /// The whole-blob MD5 (16 bytes), if stored.
    pub content_md5: Option<Vec<u8>>,
}

/// The kind of blob.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlobType {
    /// A block blob (the common case).
    BlockBlob,
    /// An append blob.
    AppendBlob,
    /// A page blob.
    PageBlob,
    /// A type this library does not know.
    Other(String),
}

impl BlobType {
    pub(crate) fn parse(s: &str) -> BlobType {
        match s {
            "BlockBlob" => BlobType::BlockBlob,
            "AppendBlob" => BlobType::AppendBlob,
            "PageBlob" => BlobType::PageBlob,
            other => BlobType::Other(other.to_owned()),
        }
    }

    /// The service's name for the type, e.g. `BlockBlob`.
    pub fn as_str(&self) -> &str {
        match self {
            BlobType::BlockBlob => "BlockBlob",
            BlobType::AppendBlob => "AppendBlob",
            BlobType::PageBlob => "PageBlob",
            BlobType::Other(s) => s,
        }
    }
}

/// A block blob's access tier.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AccessTier {
    /// Frequently accessed data.
    Hot,
    /// Infrequently accessed data, stored at least 30 days.
    Cool,
    /// Rarely accessed data, stored at least 90 days.
    Cold,
    /// Offline; must be rehydrated before reading.
    Archive,
    /// A tier this library does not name (e.g. premium page blob tiers).
    Other(String),
}

impl AccessTier {
    /// The service's name for the tier, e.g. `Cool`.
    pub fn as_str(&self) -> &str {
        match self {
            AccessTier::Hot => "Hot",
            AccessTier::Cool => "Cool",
            AccessTier::Cold => "Cold",
            AccessTier::Archive => "Archive",
            AccessTier::Other(s) => s,
        }
    }
}

impl FromStr for AccessTier {
    type Err = Error;

    /// Parses a tier name case-insensitively (`hot`, `Cool`, ...).
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "hot" => AccessTier::Hot,
            "cool" => AccessTier::Cool,
            "cold" => AccessTier::Cold,
            "archive" => AccessTier::Archive,
            "" => return Err(Error::invalid_input("an access tier name is empty")),
            _ if s.chars().all(|c| c.is_ascii_alphanumeric()) => AccessTier::Other(s.to_owned()),
            _ => return Err(Error::invalid_input(format!("'{s}' is not an access tier"))),
        })
    }
}

impl fmt::Display for AccessTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A byte range of a blob: `offset` and an optional length (`None`: to the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobRange {
    /// The first byte.
    pub offset: u64,
    /// How many bytes; `None` reads to the end of the blob.
    pub length: Option<u64>,
}

impl BlobRange {
    /// `length` bytes from `offset`; a zero length is rejected when the request is built.
    pub fn new(offset: u64, length: u64) -> Self {
        BlobRange { offset, length: Some(length) }
    }

    /// From `offset` to the end of the blob.
    pub fn from_offset(offset: u64) -> Self {
        BlobRange { offset, length: None }
    }

    /// The inclusive HTTP form, `START-END` as in `--range` (END inclusive).
    pub fn inclusive(start: u64, end: u64) -> Result<Self> {
        if end < start {
            return Err(Error::invalid_input(format!("range end {end} is before its start {start}")));
        }
        // An end of u64::MAX lies past the end of any blob, and `0-18446744073709551615`
        // would span 2^64 bytes, one more than a u64 holds: read to the end instead.
        if end == u64::MAX {
            return Ok(BlobRange::from_offset(start));
        }
        Ok(BlobRange::new(start, end - start + 1))
    }

    /// The header value `bytes=START-[END]`.
    pub(crate) fn to_header(self) -> Result<String> {
        match self.length {
            None => Ok(format!("bytes={}-", self.offset)),
            Some(0) => Err(Error::invalid_input("a range of zero bytes cannot be requested")),
            Some(len) => {
                let end = self
                    .offset
                    .checked_add(len - 1)
                    .ok_or_else(|| Error::invalid_input("the range's end overflows"))?;
                Ok(format!("bytes={}-{}", self.offset, end))
            }
        }
    }
}

/// What Get Blob Properties (and the headers of Get Blob) tell about a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BlobProperties {
    /// The blob's size in bytes (for a ranged read, the whole blob's size).
    pub content_length: u64,
    /// The blob's current ETag.
    pub etag: ETag,
    /// When the blob last changed.
    pub last_modified: SystemTime,
    /// When the blob was created, if the service said.
    pub created_on: Option<SystemTime>,
    /// Content headers stored with the blob.
    pub content: ContentHeaders,
    /// User metadata.
    pub metadata: Metadata,
    /// Block, append or page blob.
    pub blob_type: BlobType,
    /// The access tier, if known.
    pub access_tier: Option<AccessTier>,
    /// Whether the tier was inferred from the account default.
    pub access_tier_inferred: bool,
    /// The version id, when versioning is enabled on the account.
    pub version_id: Option<String>,
    /// Whether this is the current version (versioning accounts only).
    pub is_current_version: Option<bool>,
    /// The last copy into this blob, if it was ever a copy's destination.
    pub copy: Option<super::copy_state::CopyState>,
    /// A rehydration from Archive in progress, e.g. `rehydrate-pending-to-hot`.
    pub archive_status: Option<String>,
    /// The state of the blob's lease (`x-ms-lease-state`), if the service said.
    pub lease_state: Option<super::lease::LeaseState>,
    /// How many index tags the blob has (`x-ms-tag-count`; absent when none).
    pub tag_count: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_headers() {
        assert_eq!(BlobRange::new(0, 1).to_header().unwrap(), "bytes=0-0");
        assert_eq!(BlobRange::new(100, 50).to_header().unwrap(), "bytes=100-149");
        assert_eq!(BlobRange::from_offset(7).to_header().unwrap(), "bytes=7-");
        assert_eq!(BlobRange::inclusive(10, 19).unwrap(), BlobRange::new(10, 10));
        assert!(BlobRange::inclusive(10, 9).is_err());
        assert_eq!(BlobRange::inclusive(0, u64::MAX).unwrap(), BlobRange::from_offset(0));
        assert_eq!(BlobRange::inclusive(7, u64::MAX).unwrap(), BlobRange::from_offset(7));
        assert!(BlobRange::new(5, 0).to_header().is_err());
        assert!(BlobRange::new(u64::MAX, 2).to_header().is_err());
    }

    #[test]
    fn tiers_parse_case_insensitively() {
        assert_eq!("hot".parse::<AccessTier>().unwrap(), AccessTier::Hot);
        assert_eq!("Archive".parse::<AccessTier>().unwrap(), AccessTier::Archive);
        assert_eq!("P10".parse::<AccessTier>().unwrap(), AccessTier::Other("P10".into()));
        assert!("no tier!".parse::<AccessTier>().is_err());
    }
}
