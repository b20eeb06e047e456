//! The sink's `--store` mode: uploaded blocks and blobs kept in memory and
//! served back, so `cargo xtask soak` can check a transfer byte for byte.
//!
//! Blocks are shared (`Arc`) between the staged set and the blobs committed
//! from them, so a blob costs its size once. As on Azure, `Latest` finds a
//! block that is staged or already committed, so a repeated Put Block List
//! (its first answer lost) commits the same blob again.

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;

type Block = Arc<Vec<u8>>;

/// Stored blocks and blobs by path.
#[derive(Default)]
pub(crate) struct Data {
    blocks: HashMap<(String, String), Block>,
    blobs: HashMap<String, Vec<Block>>,
}

impl Data {
    /// Stages a block.
    pub(crate) fn put_block(&mut self, path: &str, id: &str, body: Vec<u8>) {
        self.blocks.insert((path.to_owned(), id.to_owned()), Arc::new(body));
    }

    /// Replaces the blob with one made of `body`.
    pub(crate) fn put_blob(&mut self, path: &str, body: Vec<u8>) {
        self.blobs.insert(path.to_owned(), vec![Arc::new(body)]);
    }

    /// Commits the blocks named in a block list body (ids in order, see
    /// [`block_ids`]); returns the blob's size, or `None` if a block is unknown.
    pub(crate) fn commit(&mut self, path: &str, block_list: &str) -> Option<u64> {
        let pieces = block_ids(block_list)
            .into_iter()
            .map(|id| self.blocks.get(&(path.to_owned(), id.to_owned())).cloned())
            .collect::<Option<Vec<Block>>>()?;
        let size = pieces.iter().map(|p| p.len() as u64).sum();
        self.blobs.insert(path.to_owned(), pieces);
        Some(size)
    }

    /// Removes the blob and its blocks.
    pub(crate) fn delete(&mut self, path: &str) {
        self.blobs.remove(path);
        self.blocks.retain(|(p, _), _| p != path);
    }

    /// The blob's pieces, if it exists (cheap: the blocks are shared).
    pub(crate) fn pieces(&self, path: &str) -> Option<Vec<Block>> {
        self.blobs.get(path).cloned()
    }
}

/// Writes bytes `start..start + len` of the blob made of `pieces`.
pub(crate) fn write_range(out: &mut impl Write, pieces: &[Block], start: u64, len: u64) -> io::Result<()> {
    let (mut offset, end) = (0u64, start + len);
    for piece in pieces {
        let piece_end = offset + piece.len() as u64;
        if piece_end > start && offset < end {
            let from = start.saturating_sub(offset) as usize;
            let to = (end.min(piece_end) - offset) as usize;
            out.write_all(&piece[from..to])?;
        }
        offset = piece_end;
    }
    Ok(())
}

/// The block ids of a Put Block List body, in order. azblob and opendal
/// send `<Latest>`, object_store `<Uncommitted>`; the sink looks each id up
/// among staged and committed blocks alike, so it reads `<Committed>` and
/// `<Uncommitted>` as it reads `<Latest>` (looser than Azure, which is
/// enough for a benchmark and the soak).
pub(crate) fn block_ids(block_list: &str) -> Vec<&str> {
    let mut ids = Vec::new();
    let mut rest = block_list;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('>') else { break };
        let tag = &rest[..close];
        rest = &rest[close + 1..];
        if matches!(tag, "Latest" | "Uncommitted" | "Committed") {
            ids.push(rest[..rest.find('<').unwrap_or(rest.len())].trim());
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob() -> Data {
        let mut data = Data::default();
        data.put_block("/c/b", "AA", b"hello ".to_vec());
        data.put_block("/c/b", "BB", b"world".to_vec());
        data
    }

    #[test]
    fn a_commit_joins_blocks_in_list_order_and_a_repeat_gives_the_same_blob() {
        let mut data = blob();
        let list = "<BlockList><Latest>BB</Latest><Latest>AA</Latest></BlockList>";
        assert_eq!(data.commit("/c/b", list), Some(11));
        // The same list again (a lost answer's repeat) finds the committed blocks.
        assert_eq!(data.commit("/c/b", list), Some(11));
        let mut out = Vec::new();
        write_range(&mut out, &data.pieces("/c/b").unwrap(), 0, 11).unwrap();
        assert_eq!(out, b"worldhello ");
        assert_eq!(data.commit("/c/b", "<Latest>CC</Latest>"), None, "an unknown block fails the commit");
    }

    #[test]
    fn block_ids_read_latest_uncommitted_and_committed_in_order() {
        let list = "<?xml version=\"1.0\"?>\n<BlockList>\n\t<Uncommitted>AA</Uncommitted>\n\
                    <Latest>BB</Latest><Committed> CC </Committed><Other>DD</Other></BlockList>";
        assert_eq!(block_ids(list), ["AA", "BB", "CC"]);
    }

    #[test]
    fn ranges_cross_block_boundaries() {
        let mut data = blob();
        data.commit("/c/b", "<Latest>AA</Latest><Latest>BB</Latest>").unwrap();
        let pieces = data.pieces("/c/b").unwrap();
        for (start, len, want) in [(4, 4, &b"o wo"[..]), (0, 6, b"hello "), (6, 5, b"world"), (10, 1, b"d")] {
            let mut out = Vec::new();
            write_range(&mut out, &pieces, start, len).unwrap();
            assert_eq!(out, want, "{start}+{len}");
        }
        data.delete("/c/b");
        assert!(data.pieces("/c/b").is_none());
    }
}
