//! The checkpoint of a resumable block upload, and its deterministic block ids.
//!
//! The checkpoint is written before the first block is sent, so even a
//! process killed with `kill -9` leaves an upload that can be continued: the
//! same session id gives the same block ids, and Get Block List tells which
//! of them the service already holds.
//!
//! A checkpoint is read back from disk, where anything may have changed it,
//! so it is untrusted input: [`Checkpoint::parse`] refuses every field that
//! could make the upload divide by zero, allocate a huge buffer, send
//! malformed block ids or resume the wrong session, with a typed error
//! naming the field.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::identity::SourceIdentity;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::block_blob::{MAX_BLOCKS, MAX_BLOCK_BYTES};

/// The checkpoint format's version. Version 2 added the block count and the
/// source's device, inode and change time; a version 1 checkpoint cannot
/// prove its file unchanged, so it is refused rather than trusted.
const FORMAT: &str = "azblob-upload-checkpoint/2";

/// The longest session id: with `-` and six digits of block index it stays
/// within the service's 64 bytes for a block id before base64.
const MAX_SESSION_ID_LEN: usize = 48;

/// A saved upload session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Checkpoint {
    pub(crate) format: String,
    /// The blob's URL without credentials.
    pub(crate) blob: String,
    pub(crate) source: SourceIdentity,
    pub(crate) block_size: u64,
    /// How many blocks the source makes at `block_size`; stored so that a
    /// checkpoint whose size and block size disagree is caught.
    pub(crate) block_count: u64,
    pub(crate) session_id: String,
}

/// Why a checkpoint was refused: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub(crate) field: &'static str,
    pub(crate) reason: String,
}

impl Invalid {
    fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Invalid { field, reason: reason.into() }
    }
}

impl Checkpoint {
    pub(crate) fn new(blob: String, source: SourceIdentity, block_size: u64, session_id: String) -> Self {
        let block_count = source.size.div_ceil(block_size.max(1));
        Checkpoint { format: FORMAT.to_owned(), blob, source, block_size, block_count, session_id }
    }

    /// Parses and validates a checkpoint's text; pure, for the property tests.
    pub(crate) fn parse(text: &str) -> std::result::Result<Checkpoint, Invalid> {
        // The format is read first, so an old or foreign file says so rather
        // than failing on a field it never had.
        #[derive(Deserialize)]
        struct Format {
            format: Option<String>,
        }
        let format = serde_json::from_str::<Format>(text)
            .map_err(|e| Invalid::new("json", format!("not a checkpoint: {e}")))?
            .format
            .ok_or_else(|| Invalid::new("format", "missing"))?;
        if format != FORMAT {
            return Err(Invalid::new("format", format!("{format:?}, expected {FORMAT:?}")));
        }
        let checkpoint: Checkpoint =
            serde_json::from_str(text).map_err(|e| Invalid::new("json", format!("not a checkpoint: {e}")))?;
        checkpoint.validate()?;
        Ok(checkpoint)
    }

    /// Checks every field against what an upload can use.
    pub(crate) fn validate(&self) -> std::result::Result<(), Invalid> {
        if self.format != FORMAT {
            return Err(Invalid::new("format", format!("{:?}, expected {FORMAT:?}", self.format)));
        }
        match url::Url::parse(&self.blob) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.query().is_none() => {}
            Ok(_) => return Err(Invalid::new("blob", "not an http(s) blob URL without a query")),
            Err(e) => return Err(Invalid::new("blob", format!("not a URL: {e}"))),
        }
        if !self.source.path.is_absolute() {
            return Err(Invalid::new("source.path", "not an absolute path"));
        }
        if self.block_size == 0 || self.block_size > MAX_BLOCK_BYTES {
            return Err(Invalid::new(
                "block_size",
                format!("{} is not between 1 and {MAX_BLOCK_BYTES} bytes (4000 MiB)", self.block_size),
            ));
        }
        let needed = self.source.size.div_ceil(self.block_size);
        if self.block_count != needed {
            return Err(Invalid::new(
                "block_count",
                format!(
                    "{} blocks, but {} bytes make {needed} of {}",
                    self.block_count, self.source.size, self.block_size
                ),
            ));
        }
        if self.block_count > MAX_BLOCKS {
            return Err(Invalid::new("block_count", format!("{} exceeds the limit of {MAX_BLOCKS}", self.block_count)));
        }
        let id = &self.session_id;
        if id.is_empty()
            || id.len() > MAX_SESSION_ID_LEN
            || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Invalid::new(
                "session_id",
                format!("must be 1 to {MAX_SESSION_ID_LEN} ASCII letters, digits, '-' or '_'"),
            ));
        }
        Ok(())
    }

    /// Reads a checkpoint; `Ok(None)` if the file does not exist.
    pub(crate) fn load(path: &Path) -> Result<Option<Checkpoint>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::from(e).with_operation("ReadCheckpoint")),
        };
        Checkpoint::parse(&text).map(Some).map_err(|invalid| {
            Error::invalid_input(format!(
                "the checkpoint {} is not a valid upload checkpoint: {}: {}; delete it to start over",
                path.display(),
                invalid.field,
                invalid.reason
            ))
        })
    }

    /// Writes the checkpoint atomically (a temporary file, then a rename).
    pub(crate) fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = temp_path(path);
        // A path that is not UTF-8 cannot be written as JSON text.
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::invalid_input(format!("cannot write the upload checkpoint: {e}")))?;
        std::fs::write(&tmp, json)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }

    /// Fails if this checkpoint belongs to another blob or a changed source.
    pub(crate) fn check_matches(&self, blob: &str, source: &SourceIdentity, path: &Path) -> Result<()> {
        let refuse = |kind: ErrorKind, what: &str| {
            Err(Error::new(kind, format!("cannot resume from {}: {what}; delete it to start over", path.display())))
        };
        if self.blob != blob {
            return refuse(ErrorKind::InvalidInput, &format!("it belongs to another blob ({})", self.blob));
        }
        if self.source.path != source.path {
            return refuse(
                ErrorKind::InvalidInput,
                &format!("it belongs to another file ({})", self.source.path.display()),
            );
        }
        if let Some(what) = self.source.difference(source) {
            return refuse(
                ErrorKind::SourceChanged,
                &format!("the source file changed since the upload started ({what})"),
            );
        }
        Ok(())
    }
}

/// The files saving a checkpoint at `path` writes: the checkpoint and the
/// temporary file it is written through before the rename.
fn written_paths(path: &Path) -> [PathBuf; 2] {
    [path.to_path_buf(), temp_path(path)]
}

fn temp_path(path: &Path) -> PathBuf {
    path.with_extension("tmp")
}

/// Whether saving a checkpoint at `checkpoint` would write over the file
/// whose metadata is `source` (the same path, a link to it, or the same
/// `.tmp` name), which would destroy the data being uploaded.
pub(crate) fn would_overwrite(checkpoint: &Path, source_path: &Path, source: &std::fs::Metadata) -> bool {
    written_paths(checkpoint).iter().any(|written| match std::fs::metadata(written) {
        Ok(meta) => same_file(&meta, source) || written == source_path,
        Err(_) => false,
    })
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(not(unix))]
fn same_file(_a: &std::fs::Metadata, _b: &std::fs::Metadata) -> bool {
    false
}

/// The base64 of `{session}-{index:06}`: every id of a session has the same length.
pub(crate) fn block_id(session_id: &str, index: u64) -> String {
    BASE64.encode(format!("{session_id}-{index:06}"))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn identity() -> SourceIdentity {
        SourceIdentity {
            path: "/data/a.bin".into(),
            size: 10,
            modified_ns: 1,
            device: Some(1),
            inode: Some(2),
            changed: Some([3, 4]),
        }
    }

    fn valid() -> Checkpoint {
        Checkpoint::new("http://h/acct/c/b".into(), identity(), 4, "0123456789abcdef".into())
    }

    fn with(f: impl FnOnce(&mut Checkpoint)) -> String {
        let mut c = valid();
        f(&mut c);
        serde_json::to_string(&c).unwrap()
    }

    #[test]
    fn block_ids_have_equal_length_and_are_deterministic() {
        let a = block_id("0123456789abcdef", 0);
        let b = block_id("0123456789abcdef", 49_999);
        assert_eq!(a.len(), b.len());
        assert_eq!(a, block_id("0123456789abcdef", 0));
        assert_ne!(a, b);
    }

    #[test]
    fn every_invalid_field_is_named() {
        let field = |text: String| Checkpoint::parse(&text).unwrap_err().field;
        assert_eq!(field(with(|c| c.block_size = 0)), "block_size", "would divide by zero");
        assert_eq!(field(with(|c| c.block_size = MAX_BLOCK_BYTES + 1)), "block_size", "would allocate past 4000 MiB");
        assert_eq!(field(with(|c| c.block_count = 2)), "block_count");
        assert_eq!(
            field(with(|c| {
                c.source.size = (MAX_BLOCKS + 1) * 4;
                c.block_count = MAX_BLOCKS + 1;
            })),
            "block_count"
        );
        assert_eq!(field(with(|c| c.session_id = String::new())), "session_id");
        assert_eq!(field(with(|c| c.session_id = "a/b".into())), "session_id");
        assert_eq!(field(with(|c| c.session_id = "x".repeat(MAX_SESSION_ID_LEN + 1))), "session_id");
        assert_eq!(field(with(|c| c.format = "azblob-upload-checkpoint/1".into())), "format");
        assert_eq!(field(with(|c| c.blob = "not a url".into())), "blob");
        assert_eq!(field(with(|c| c.blob = "http://h/c/b?sig=secret".into())), "blob");
        assert_eq!(field(with(|c| c.source.path = "relative/a.bin".into())), "source.path");
        assert_eq!(field("[]".into()), "json");
        assert_eq!(field("{}".into()), "format");
        let extra = with(|_| {}).replacen('{', "{\"surprise\":1,", 1);
        assert_eq!(field(extra), "json", "unknown fields are refused");
        let negative = with(|_| {}).replace("\"block_size\":4", "\"block_size\":-4");
        assert_eq!(field(negative), "json");
    }

    #[test]
    fn save_load_and_refusals() {
        let dir = std::env::temp_dir().join(format!("azblob-ckpt-{:016x}", fastrand::u64(..)));
        let path = dir.join("upload.json");
        assert_eq!(Checkpoint::load(&path).unwrap(), None);
        let ckpt = valid();
        ckpt.save(&path).unwrap();
        let loaded = Checkpoint::load(&path).unwrap().unwrap();
        assert_eq!(loaded, ckpt);
        assert!(loaded.check_matches("http://h/acct/c/b", &identity(), &path).is_ok());

        let changed = SourceIdentity { changed: Some([3, 5]), ..identity() };
        let err = loaded.check_matches("http://h/acct/c/b", &changed, &path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::SourceChanged);
        assert!(err.to_string().contains("changed"), "{err}");
        assert!(loaded.check_matches("http://h/acct/c/other", &identity(), &path).is_err());

        std::fs::write(&path, "{ not json").unwrap();
        assert_eq!(Checkpoint::load(&path).unwrap_err().kind(), ErrorKind::InvalidInput);
        std::fs::write(&path, with(|c| c.block_size = 0)).unwrap();
        let err = Checkpoint::load(&path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("block_size"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn arb_checkpoint() -> impl Strategy<Value = Checkpoint> {
        (
            0..=MAX_BLOCKS * 64,
            1..=64u64,
            "[0-9a-zA-Z_-]{1,48}",
            "/[a-z0-9/._-]{0,40}",
            (any::<u128>(), any::<Option<u64>>(), any::<Option<u64>>(), any::<Option<[i64; 2]>>()),
        )
            .prop_map(|(size, block_size, session_id, path, (modified_ns, device, inode, changed))| {
                let source = SourceIdentity { path: path.into(), size, modified_ns, device, inode, changed };
                Checkpoint::new("https://a.blob.core.windows.net/c/b".into(), source, block_size, session_id)
            })
    }

    /// Any JSON number or a near miss: negative, fractional, huge, null, text.
    fn json_number() -> impl Strategy<Value = serde_json::Value> {
        prop_oneof![
            (0..5u64).prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            Just(serde_json::Value::Null),
            "[0-9]{1,30}".prop_map(serde_json::Value::from),
        ]
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,300}") {
            let _ = Checkpoint::parse(&text);
        }

        #[test]
        fn arbitrary_json_values_in_every_field_never_panic(
            block_size in json_number(),
            block_count in json_number(),
            size in json_number(),
            session in ".{0,80}",
        ) {
            let text = serde_json::json!({
                "format": FORMAT,
                "blob": "https://a.blob.core.windows.net/c/b",
                "source": { "path": "/a", "size": size, "modified_ns": 0 },
                "block_size": block_size,
                "block_count": block_count,
                "session_id": session,
            })
            .to_string();
            if let Ok(c) = Checkpoint::parse(&text) {
                // Whatever passed can be used without dividing by zero,
                // allocating past a block, or sending a bad block id.
                prop_assert!(c.block_size >= 1 && c.block_size <= MAX_BLOCK_BYTES);
                prop_assert_eq!(c.block_count, c.source.size.div_ceil(c.block_size));
                prop_assert!(c.block_count <= MAX_BLOCKS);
                prop_assert!(BASE64.decode(block_id(&c.session_id, MAX_BLOCKS - 1)).unwrap().len() <= 64);
            }
        }

        #[test]
        fn valid_checkpoints_round_trip(c in arb_checkpoint()) {
            let text = serde_json::to_string(&c).unwrap();
            match Checkpoint::parse(&text) {
                Ok(parsed) => prop_assert_eq!(parsed, c),
                // Only a count over the service's limit is refused.
                Err(invalid) => {
                    prop_assert_eq!(invalid.field, "block_count");
                    prop_assert!(c.block_count > MAX_BLOCKS);
                }
            }
        }

        #[test]
        fn a_wrong_block_count_is_always_refused(c in arb_checkpoint(), delta in 1..1000u64) {
            let mut wrong = c.clone();
            wrong.block_count = c.block_count.wrapping_add(delta);
            prop_assert_eq!(Checkpoint::parse(&serde_json::to_string(&wrong).unwrap()).unwrap_err().field, "block_count");
        }
    }
}
