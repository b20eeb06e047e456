//! Shared setup of the integration tests: clients of the emulator and fresh containers.

#![allow(dead_code, unreachable_pub)]

pub mod hook;
pub mod listener;
pub mod scan;

use std::sync::atomic::{AtomicU32, Ordering};

use azblob::transport::{Method, Request};
use azblob::{BlobServiceClient, ClientBuilder, ContainerClient, DEV_ACCOUNT, DEV_ACCOUNT_KEY};
pub use azblob_testkit::endpoints;

/// A builder for the plain-HTTP emulator with the development account's key.
pub fn builder() -> ClientBuilder {
    ClientBuilder::new().endpoint(&endpoints().http).shared_key(DEV_ACCOUNT, DEV_ACCOUNT_KEY).unwrap()
}

/// A client of the plain-HTTP emulator.
pub fn client() -> BlobServiceClient {
    builder().build().unwrap()
}

/// A client of the plain-HTTP emulator whose requests pass through `hook`.
pub fn client_with(hook: &std::sync::Arc<hook::Hook>) -> BlobServiceClient {
    let wire = std::sync::Arc::clone(hook) as std::sync::Arc<dyn azblob::transport::HttpTransport>;
    builder().transport(wire).build().unwrap()
}

/// The plain-HTTP emulator's connection string, for the development account with `key`.
pub fn connection_string(key: &str) -> String {
    format!(
        "DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={key};BlobEndpoint={}",
        endpoints().http
    )
}

/// A fresh directory under the test kit's scratch directory, named for one test.
pub fn scratch(prefix: &str) -> std::path::PathBuf {
    let dir = azblob_testkit::scratch_dir().join(unique_name(prefix));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The names of the `.partial` files in `dir`: what a download to a file
/// leaves behind while it runs, and must not leave after it ends.
pub fn partials(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect()
}

/// A unique container name for one test.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}-{}-{n}-{nanos}", std::process::id())
}

/// Creates a fresh container. Test setup may create containers; the library
/// API deliberately does not, so this sends Create Container through `send_raw`.
pub async fn new_container(client: &BlobServiceClient, prefix: &str) -> ContainerClient {
    let container = client.container(unique_name(prefix));
    let mut url = container.url().unwrap();
    url.query_pairs_mut().append_pair("restype", "container");
    client.send_raw(Request::new("CreateContainer", Method::PUT, url)).await.expect("create test container");
    container
}
