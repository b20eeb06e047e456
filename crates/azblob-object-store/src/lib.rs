//! An [`object_store::ObjectStore`] over [azblob]: DataFusion,
//! Polars, Delta Lake, Lance and the engines built on them read and write
//! Azure Blob Storage through it.
//!
//! [`AzblobStore`] implements [`ObjectStore`](object_store::ObjectStore),
//! [`MultipartStore`](object_store::multipart::MultipartStore) and
//! [`PaginatedListStore`](object_store::list::PaginatedListStore) on one
//! container, with what azblob brings: a read whose body the service closes
//! mid-way resumes from the next byte (pinned to the first answer's ETag),
//! conditional writes map to `If-Match`/`If-None-Match`, multipart uploads
//! are staged blocks committed in part order, and every request is retried,
//! signed and traced by azblob's pipeline.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use azblob_object_store::AzblobStore;
//! use object_store::path::Path;
//! use object_store::{ObjectStore, ObjectStoreExt};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = azblob::ClientBuilder::from_connection_string("UseDevelopmentStorage=true")?.build()?;
//! let store: Arc<dyn ObjectStore> = Arc::new(AzblobStore::new(client.container("datasets")));
//! store.put(&Path::from("runs/42/metrics.json"), r#"{"loss":0.1}"#.into()).await?;
//! let bytes = store.get(&Path::from("runs/42/metrics.json")).await?.bytes().await?;
//! assert_eq!(&bytes[..], br#"{"loss":0.1}"#);
//! # Ok(()) }
//! ```

mod attributes;
mod errors;
mod get;
mod list;
mod multipart;
mod paths;
mod put;
mod store;

pub use crate::store::AzblobStore;
