//! Which blocks an upload sends: all of them, or for a resumed file upload
//! those the service does not hold yet, with the session saved first.

use std::collections::HashMap;
use std::future::Future;

use super::block_source::{BlockSource, FileSource};
use super::checkpoint::{block_id, Checkpoint};
use super::options::{plan_block_size, UploadOptions};
use super::target::BlobTarget;
use super::upload_blocks::Session;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::block_blob::MAX_BLOCKS;
use crate::ops::blocks::{build_get_block_list, parse_block_list, BlockListOptions, BlockListType};

/// The most of a Get Block List answer read: 100,000 uncommitted blocks
/// (the service's limit) with 64-character ids take about 11 MB of XML.
const MAX_BLOCK_LIST_BYTES: usize = 32 * 1024 * 1024;

/// The checkpoint to continue from, when resuming a file upload and one
/// exists; one of another blob or of a changed file is refused.
pub(crate) fn existing_checkpoint(
    target: &BlobTarget,
    source: &BlockSource,
    options: &UploadOptions,
) -> Result<Option<Checkpoint>> {
    let (Some(path), true, Some(file)) = (&options.checkpoint, options.resume, source.file()) else {
        return Ok(None);
    };
    let Some(existing) = Checkpoint::load(path)? else { return Ok(None) };
    existing.check_matches(target.url().as_str(), &file.identity, path)?;
    Ok(Some(existing))
}

/// The session of a block upload and the `(index, send)` pairs to load;
/// a stream, of unknown length, loads all its blocks whatever the list says.
pub(crate) fn plan_blocks<'a>(
    target: &'a BlobTarget,
    source: &'a BlockSource,
    options: &'a UploadOptions,
    existing: Option<Checkpoint>,
) -> impl Future<Output = Result<(Session, Vec<(u64, bool)>)>> + Send + 'a {
    // A stream's blocks have the asked size, read before its length is known.
    let known = source.size().filter(|_| !matches!(source, BlockSource::Reader(_)));
    plan_known(target, source.size(), known, source.file(), options, existing)
}

/// [`plan_blocks`] with what it needs of the source (a stream is not `Sync`,
/// so no reference to it is held across an await).
async fn plan_known(
    target: &BlobTarget,
    size: Option<u64>,
    known: Option<u64>,
    file: Option<&FileSource>,
    options: &UploadOptions,
    existing: Option<Checkpoint>,
) -> Result<(Session, Vec<(u64, bool)>)> {
    let mut session = Session {
        id: String::new(),
        block_size: options.block_size,
        count: None,
        size,
        resumed: 0,
        resumed_bytes: 0,
        checkpoint: None,
        source: file.map(|f| (f.path.clone(), f.identity.clone())),
    };
    let Some(size) = known else {
        session.id = target.new_session_id();
        return Ok((session, Vec::new()));
    };
    session.block_size = plan_block_size(size, options.block_size)?;
    let mut present = HashMap::new();
    match (existing, &options.checkpoint, file) {
        (Some(existing), Some(path), _) => {
            // The staged blocks have the checkpoint's size, whatever is asked now.
            session.block_size = existing.block_size;
            session.id = existing.session_id.clone();
            present = staged_blocks(target).await?;
            session.checkpoint = Some((existing, path.clone()));
        }
        (_, Some(path), Some(file)) => {
            session.id = target.new_session_id();
            let url = target.url().to_string();
            let fresh = Checkpoint::new(url, file.identity.clone(), session.block_size, session.id.clone());
            session.checkpoint = Some((fresh, path.clone()));
        }
        _ => session.id = target.new_session_id(),
    }
    let block_size = session.block_size;
    let count = size.div_ceil(block_size);
    if count > MAX_BLOCKS {
        return Err(Error::invalid_input(format!(
            "{count} blocks of {block_size} bytes exceed the limit of {MAX_BLOCKS}"
        )));
    }
    if let Some((checkpoint, path)) = &session.checkpoint {
        // Saved before the first block leaves, so even a killed process can resume.
        checkpoint.save(path)?;
    }
    session.count = Some(count);
    let wanted = wanted_blocks(&mut session, size, &present, options.blob_md5);
    Ok((session, wanted))
}

/// The `(index, send)` pairs of a session of `size` bytes whose blocks in
/// `present` are already staged; counts those as resumed.
fn wanted_blocks(session: &mut Session, size: u64, present: &HashMap<String, u64>, blob_md5: bool) -> Vec<(u64, bool)> {
    let block_size = session.block_size;
    let block_len = |index: u64| (size - index * block_size).min(block_size);
    let is_staged = |index: u64| present.get(&block_id(&session.id, index)) == Some(&block_len(index));
    let wanted: Vec<(u64, bool)> = (0..size.div_ceil(block_size)).map(|i| (i, !is_staged(i))).collect();
    session.resumed = wanted.iter().filter(|(_, send)| !send).count() as u64;
    session.resumed_bytes = wanted.iter().filter(|(_, send)| !send).map(|&(i, _)| block_len(i)).sum();
    // With a whole-blob MD5 every block is read in order (the staged ones
    // only to be hashed), so the digest covers the source as this run reads it.
    if blob_md5 {
        wanted
    } else {
        wanted.into_iter().filter(|(_, send)| *send).collect()
    }
}

/// The uncommitted blocks the service holds for this blob, by id.
pub(crate) async fn staged_blocks(target: &BlobTarget) -> Result<HashMap<String, u64>> {
    let options = BlockListOptions { list_type: BlockListType::Uncommitted, ..BlockListOptions::default() };
    let request = build_get_block_list(target.url().clone(), &options)?;
    let (response, body) = match target.execute_read(request, "GetBlockList", MAX_BLOCK_LIST_BYTES).await {
        Ok(answer) => answer,
        // No blob yet means no blocks yet.
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(e),
    };
    let list = parse_block_list(&response.headers, &body)?;
    Ok(list.uncommitted.into_iter().map(|b| (b.id, b.size)).collect())
}
