//! REST operations: pure request builders and response parsers, one file per group.
//!
//! Nothing here does I/O: a builder turns typed options into a
//! [`Request`](crate::transport::Request), a parser turns a
//! [`Response`](crate::transport::Response) into a typed result, and both are
//! unit-tested against documented samples.

pub(crate) mod append_blob;
pub(crate) mod blob_batch;
pub(crate) mod blob_properties;
pub(crate) mod block_blob;
pub(crate) mod blocks;
pub(crate) mod conditions;
pub(crate) mod copy_blob;
pub(crate) mod copy_state;
pub(crate) mod crc64;
pub(crate) mod delete_blob;
pub(crate) mod find_blobs;
pub(crate) use crate::wire::error_map;
pub(crate) mod get_blob;
pub(crate) mod lease;
pub(crate) use crate::headers;
#[cfg(test)]
mod idempotency_tests;
pub(crate) mod list_blobs;
pub(crate) mod list_models;
mod list_xml;
pub(crate) mod models;
pub(crate) mod names;
pub(crate) mod put_blob;
pub(crate) mod put_block_from_url;
pub(crate) mod request_util;
pub(crate) mod set_tier;
pub(crate) mod snapshot;
pub(crate) mod tags;
mod tags_xml;
pub(crate) mod user_delegation_key;
mod xml_text;
