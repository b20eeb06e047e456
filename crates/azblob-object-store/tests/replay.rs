//! What Azurite 3.37 cannot answer, replayed from a hand-written cassette
//! (`testdata/cassettes/hand/object_store_versions.json`, whose note says
//! where each exchange comes from): blob versions through the store. No
//! server, no network, no credential leaves the process.

use std::sync::Arc;

use azblob::sim::SimulationMode;
use azblob::transport::{HttpTransport, Request, Response, RetryOptions, TransportError};
use azblob::{ClientBuilder, DEV_ACCOUNT_KEY};
use azblob_object_store::AzblobStore;
use futures_util::future::BoxFuture;
use object_store::path::Path;
use object_store::{Error, GetOptions, ObjectStore, ObjectStoreExt};

/// The wire of the replaying client: reaching it is a bug, so it panics.
#[derive(Debug)]
struct NoNetwork;

impl HttpTransport for NoNetwork {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        panic!("a replay reached the network: {request:?}")
    }
}

const CURRENT: &str = "2020-06-15T02:17:03.6740094Z";
const OLDEST: &str = "2020-06-15T02:17:02.7893828Z";
const DELETED: &str = "2020-06-15T02:17:03.0755841Z";

/// `head` reports the current version's id, and `GetOptions::version` reads
/// an older version (`versionid=`, which `Exact` matching checks) or fails
/// with `NotFound` for a deleted one.
#[tokio::test]
async fn versions_are_read_through_the_store() {
    let path = azblob_testkit::workspace_root().join("testdata/cassettes/hand/object_store_versions.json");
    let client = ClientBuilder::new()
        .endpoint("https://fakestorageaccount.blob.core.windows.net")
        .shared_key("fakestorageaccount", DEV_ACCOUNT_KEY)
        .unwrap()
        .retry(RetryOptions::none())
        .transport(Arc::new(NoNetwork))
        .simulation(SimulationMode::Replay, &path)
        .build()
        .unwrap();
    let store = AzblobStore::new(client.container("container159218742224703366"));
    let blob = Path::from("blob159218742269309927");

    let head = store.head(&blob).await.unwrap();
    assert_eq!(head.version.as_deref(), Some(CURRENT));
    assert_eq!((head.size, head.e_tag.as_deref()), (11, Some("\"0x8D810D231BF43D7\"")));

    let oldest = store.get_opts(&blob, GetOptions::new().with_version(Some(OLDEST))).await.unwrap();
    assert_eq!(oldest.meta.version.as_deref(), Some(OLDEST));
    assert_eq!(&oldest.bytes().await.unwrap()[..], b"Hello World");

    let err = store.get_opts(&blob, GetOptions::new().with_version(Some(DELETED))).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");

    let stats = client.simulation_stats().unwrap();
    assert_eq!(stats.unused, 0, "every exchange of {} is replayed: {stats:?}", path.display());
}
