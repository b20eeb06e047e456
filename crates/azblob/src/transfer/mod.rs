//! Large transfers: parallel block uploads that resume, parallel ranged
//! downloads delivered in order, Get Blob's resuming body, and progress
//! reporting. Nothing here imports `client`: the clients hand the engines a
//! `BlobTarget` with what they need.
//!
//! Memory stays bounded by `block_size × n` (uploads) and `chunk_size × n`
//! (downloads to a writer or a file) for a fixed concurrency `n`, and by the
//! options' memory budget for an adaptive one (`concurrency.rs`), whatever
//! the blob's size.

mod block_copy;
mod block_read;
mod block_source;
mod buffer_pool;
mod checkpoint;
#[cfg(test)]
mod checkpoint_proptests;
mod concurrency;
mod copy_checkpoint;
mod copy_options;
mod cpu_load;
mod download;
mod download_sink;
mod gauge;
mod get_stream;
mod hash;
mod identity;
mod options;
mod ordered_md5;
mod pacer;
mod progress;
mod range_fetch;
mod source;
mod stats;
mod target;
mod temp_file;
mod upload;
mod upload_blocks;
mod upload_plan;

pub use self::copy_options::{BlockCopyOptions, DEFAULT_COPY_BLOCK_SIZE};
pub use self::download::DownloadReport;
pub use self::get_stream::{BlobBody, GetBlobResponse};
pub use self::options::{
    Concurrency, DownloadOptions, UploadOptions, DEFAULT_BLOCK_SIZE, DEFAULT_CHUNK_SIZE, DEFAULT_CONCURRENCY,
    DEFAULT_MEMORY_BUDGET, DEFAULT_SINGLE_PUT_MAX, MAX_IN_FLIGHT,
};
pub use self::progress::{ProgressSink, TransferProgress};
pub use self::source::UploadSource;
pub use self::stats::TransferStats;
pub use self::upload::UploadReport;

pub(crate) use self::block_copy::{run_block_copy, CopySourceInfo, SourceAuth};
pub(crate) use self::concurrency::{Limiter, SMALL_BLOB_CAP, SMALL_BLOB_START};
pub(crate) use self::download::{download_to_file, download_to_memory, download_to_writer};
pub(crate) use self::get_stream::get;
pub(crate) use self::pacer::Pacer;
pub(crate) use self::target::BlobTarget;
pub(crate) use self::upload::run_upload;
