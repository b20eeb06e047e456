//! Property tests of the upload checkpoint parser: a hand-edited or
//! truncated checkpoint file is refused with a typed error, never a panic.
//!
//! Kept apart from `checkpoint.rs`, whose validation rules evolve on their own.

use proptest::prelude::*;

use super::checkpoint::Checkpoint;
use crate::proptests::{cases, mutated};

const CHECKPOINT: &[u8] = br#"{
  "format": "azblob-upload-checkpoint/1",
  "blob": "https://acct.blob.core.windows.net/c/big.bin",
  "source": { "path": "/data/big.bin", "size": 1073741824, "modified_ns": 1795428000000000000 },
  "block_size": 8388608,
  "session_id": "0123456789abcdef"
}"#;

proptest! {
    #![proptest_config(cases(128))]

    #[test]
    fn checkpoint_files_never_panic(
        text in prop_oneof![mutated(CHECKPOINT), proptest::collection::vec(any::<u8>(), 0..100)],
    ) {
        let path = std::env::temp_dir().join(format!("azblob-prop-checkpoint-{:016x}.json", fastrand::u64(..)));
        std::fs::write(&path, &text).unwrap();
        let loaded = Checkpoint::load(&path);
        std::fs::remove_file(&path).unwrap();
        if let Ok(Some(checkpoint)) = loaded {
            let _ = format!("{checkpoint:?}");
        }
    }
}
