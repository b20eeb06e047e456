//! Shared setup: a store on a fresh container of the test kit's Azurite.

#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicU32, Ordering};

use azblob::transport::{Method, Request};
use azblob::{BlobServiceClient, ClientBuilder, ContainerClient, DEV_ACCOUNT, DEV_ACCOUNT_KEY};
use azblob_object_store::AzblobStore;

/// A builder for `endpoint` with the development account's key.
pub fn builder(endpoint: &str) -> ClientBuilder {
    ClientBuilder::new().endpoint(endpoint).shared_key(DEV_ACCOUNT, DEV_ACCOUNT_KEY).unwrap()
}

/// A client of the plain-HTTP emulator (started by the test kit, or by `cargo xtask test`).
pub fn client() -> BlobServiceClient {
    builder(&azblob_testkit::endpoints().http).build().unwrap()
}

/// A fresh container, created through `send_raw`: the library creates none.
pub async fn new_container(client: &BlobServiceClient, prefix: &str) -> ContainerClient {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let container = client.container(format!("{prefix}-{}-{n}-{nanos}", std::process::id()));
    let mut url = container.url().unwrap();
    url.query_pairs_mut().append_pair("restype", "container");
    client.send_raw(Request::new("CreateContainer", Method::PUT, url)).await.expect("create the test's container");
    container
}

/// A store on a fresh container of its own, so suites that empty the store run in parallel.
pub async fn store(prefix: &str) -> AzblobStore {
    AzblobStore::new(new_container(&client(), prefix).await)
}
