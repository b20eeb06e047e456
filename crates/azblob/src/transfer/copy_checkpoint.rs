//! The checkpoint of a resumable block copy.
//!
//! Like an upload's, it is written before the first block is staged, so a
//! killed copy can continue: the same session id gives the same block ids,
//! and Get Block List tells which of them the service already holds. It
//! records the source's ETag and size, so a resumed copy never mixes blocks
//! of two versions of its source. Read back from disk it is untrusted input,
//! checked field by field.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::ops::block_blob::{MAX_BLOCKS, MAX_BLOCK_BYTES};

/// The copy checkpoint format's version.
const FORMAT: &str = "azblob-copy-checkpoint/1";

/// The longest session id, as for uploads: with `-` and six digits of block
/// index it stays within the service's 64 bytes for a block id.
const MAX_SESSION_ID_LEN: usize = 48;

/// A saved block copy session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CopyCheckpoint {
    pub(crate) format: String,
    /// The destination blob's URL without credentials.
    pub(crate) blob: String,
    /// The source's URL without credentials (a snapshot or version kept).
    pub(crate) source: String,
    /// The source's ETag when the copy started.
    pub(crate) source_etag: String,
    /// The source's size when the copy started.
    pub(crate) source_size: u64,
    pub(crate) block_size: u64,
    pub(crate) block_count: u64,
    pub(crate) session_id: String,
}

impl CopyCheckpoint {
    pub(crate) fn new(
        blob: String,
        source: String,
        (source_etag, source_size): (String, u64),
        block_size: u64,
        session_id: String,
    ) -> Self {
        let block_count = source_size.div_ceil(block_size.max(1));
        CopyCheckpoint {
            format: FORMAT.to_owned(),
            blob,
            source,
            source_etag,
            source_size,
            block_size,
            block_count,
            session_id,
        }
    }

    /// Parses and validates a checkpoint's text; the error names the field.
    pub(crate) fn parse(text: &str) -> std::result::Result<CopyCheckpoint, String> {
        let checkpoint: CopyCheckpoint =
            serde_json::from_str(text).map_err(|e| format!("json: not a copy checkpoint: {e}"))?;
        checkpoint.validate()?;
        Ok(checkpoint)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        if self.format != FORMAT {
            return Err(format!("format: {:?}, expected {FORMAT:?}", self.format));
        }
        for (field, text) in [("blob", &self.blob), ("source", &self.source)] {
            match url::Url::parse(text) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => {}
                _ => return Err(format!("{field}: not an http(s) URL")),
            }
        }
        if self.source_etag.is_empty() || !self.source_etag.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("source_etag: not an ETag".to_owned());
        }
        if self.block_size == 0 || self.block_size > MAX_BLOCK_BYTES {
            return Err(format!("block_size: {} is not between 1 and {MAX_BLOCK_BYTES} bytes", self.block_size));
        }
        let needed = self.source_size.div_ceil(self.block_size);
        if self.block_count != needed || self.block_count > MAX_BLOCKS {
            return Err(format!(
                "block_count: {} blocks, but {} bytes make {needed} of {} (at most {MAX_BLOCKS})",
                self.block_count, self.source_size, self.block_size
            ));
        }
        let id = &self.session_id;
        if id.is_empty()
            || id.len() > MAX_SESSION_ID_LEN
            || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(format!("session_id: must be 1 to {MAX_SESSION_ID_LEN} ASCII letters, digits, '-' or '_'"));
        }
        Ok(())
    }

    /// Reads a checkpoint; `Ok(None)` if the file does not exist.
    pub(crate) fn load(path: &Path) -> Result<Option<CopyCheckpoint>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::from(e).with_operation("ReadCheckpoint")),
        };
        CopyCheckpoint::parse(&text).map(Some).map_err(|why| {
            Error::invalid_input(format!(
                "the checkpoint {} is not a valid copy checkpoint: {why}; delete it to start over",
                path.display()
            ))
        })
    }

    /// Writes the checkpoint atomically (a temporary file, then a rename).
    pub(crate) fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("tmp");
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::invalid_input(format!("cannot write the copy checkpoint: {e}")))?;
        std::fs::write(&tmp, json)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }

    /// Fails if this checkpoint belongs to another copy, or if its source
    /// changed since (then with [`ErrorKind::SourceChanged`]).
    pub(crate) fn check_matches(&self, blob: &str, source: &str, etag: &str, size: u64, path: &Path) -> Result<()> {
        let refuse = |kind: ErrorKind, what: String| {
            Err(Error::new(kind, format!("cannot resume from {}: {what}; delete it to start over", path.display())))
        };
        if self.blob != blob {
            return refuse(ErrorKind::InvalidInput, format!("it belongs to another blob ({})", self.blob));
        }
        if self.source != source {
            return refuse(ErrorKind::InvalidInput, format!("it copies another source ({})", self.source));
        }
        if self.source_etag != etag || self.source_size != size {
            return refuse(
                ErrorKind::SourceChanged,
                format!(
                    "the source changed since the copy started (ETag {} and {} bytes, now {etag} and {size} bytes)",
                    self.source_etag, self.source_size
                ),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CopyCheckpoint {
        CopyCheckpoint::new(
            "http://127.0.0.1:10000/devstoreaccount1/c/dst".into(),
            "http://127.0.0.1:10000/devstoreaccount1/c/src".into(),
            ("\"0x8D1\"".into(), 600 << 20),
            128 << 20,
            "abc-123".into(),
        )
    }

    #[test]
    fn round_trips_and_refuses_each_bad_field() {
        let good = sample();
        assert_eq!(good.block_count, 5);
        let text = serde_json::to_string(&good).unwrap();
        assert_eq!(CopyCheckpoint::parse(&text).unwrap(), good);
        type Spoil = fn(&mut CopyCheckpoint);
        let cases: [(&str, Spoil); 7] = [
            ("format", |c| c.format = "azblob-upload-checkpoint/2".into()),
            ("blob", |c| c.blob = "file:///etc/passwd".into()),
            ("source", |c| c.source = "not a url".into()),
            ("source_etag", |c| c.source_etag.clear()),
            ("block_size", |c| c.block_size = 0),
            ("block_count", |c| c.block_count = 4),
            ("session_id", |c| c.session_id = "../x".into()),
        ];
        for (field, spoil) in cases {
            let mut bad = good.clone();
            spoil(&mut bad);
            let why = CopyCheckpoint::parse(&serde_json::to_string(&bad).unwrap()).unwrap_err();
            assert!(why.starts_with(field), "{field}: {why}");
        }
        assert!(CopyCheckpoint::parse("{}").is_err());
    }

    #[test]
    fn a_changed_source_is_refused_as_such() {
        let c = sample();
        let path = Path::new("/tmp/x.json");
        assert!(c.check_matches(&c.blob, &c.source, &c.source_etag, c.source_size, path).is_ok());
        let changed = c.check_matches(&c.blob, &c.source, "\"0x8D2\"", c.source_size, path).unwrap_err();
        assert_eq!(changed.kind(), ErrorKind::SourceChanged);
        let other = c.check_matches("http://h/a/c/other", &c.source, &c.source_etag, c.source_size, path);
        assert_eq!(other.unwrap_err().kind(), ErrorKind::InvalidInput);
    }

    const SAMPLE: &[u8] = br#"{
  "format": "azblob-copy-checkpoint/1",
  "blob": "https://acct.blob.core.windows.net/c/dst",
  "source": "https://acct.blob.core.windows.net/c/src",
  "source_etag": "\"0x8D1\"",
  "source_size": 1073741824,
  "block_size": 134217728,
  "block_count": 8,
  "session_id": "0123456789abcdef"
}"#;

    proptest::proptest! {
        #![proptest_config(crate::proptests::cases(128))]

        /// A hand-edited or truncated copy checkpoint is refused, never a panic.
        #[test]
        fn copy_checkpoints_never_panic(
            text in proptest::prop_oneof![
                crate::proptests::mutated(SAMPLE),
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100)
            ],
        ) {
            if let Ok(text) = std::str::from_utf8(&text) {
                if let Ok(checkpoint) = CopyCheckpoint::parse(text) {
                    proptest::prop_assert!(checkpoint.block_size > 0);
                }
            }
        }
    }

    #[test]
    fn the_sample_parses() {
        assert_eq!(CopyCheckpoint::parse(std::str::from_utf8(SAMPLE).unwrap()).unwrap().block_count, 8);
    }
}
