//! Core blob operations against the Azurite emulator: round trips, errors, auth, TLS.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use azblob::auth::SharedKeyCredential;
use azblob::auth::{Sas, SasProtocol};
use azblob::transport::{HttpTransport, Request, Response, TransportError};
use azblob::{
    AccessTier, BlobRange, BlobSelector, BlobType, ClientBuilder, Conditions, ContentHeaders, ETag, ErrorKind,
    GetOptions, PropertiesOptions, PutBlobOptions, DEV_ACCOUNT, DEV_ACCOUNT_KEY,
};
use futures_util::future::BoxFuture;
use support::{client, endpoints, new_container};

#[tokio::test]
async fn put_get_properties_round_trip() {
    let client = client();
    let container = new_container(&client, "core").await;
    let blob = container.blob("dir/hello world ü.txt");
    let options = PutBlobOptions {
        content: ContentHeaders {
            content_type: Some("text/plain; charset=utf-8".into()),
            content_encoding: Some("identity".into()),
            content_language: Some("en-GB".into()),
            content_disposition: Some("attachment; filename=\"hello.txt\"".into()),
            cache_control: Some("max-age=60".into()),
            content_md5: None,
        },
        metadata: [("project".to_owned(), "alpha".to_owned()), ("run_id".to_owned(), "42".to_owned())].into(),
        tier: Some(AccessTier::Cool),
        conditions: Conditions::default(),
        transactional_md5: true,
        ..PutBlobOptions::default()
    };
    let written = blob.put_opts("hello, azure", &options).await.unwrap();
    assert!(written.etag.0.starts_with('"'), "{:?}", written.etag);

    assert_eq!(&blob.download().await.unwrap()[..], b"hello, azure");

    let props = blob.properties().await.unwrap();
    assert_eq!(props.content_length, 12);
    assert_eq!(props.etag, written.etag);
    assert_eq!(props.blob_type, BlobType::BlockBlob);
    assert_eq!(props.content.content_type.as_deref(), Some("text/plain; charset=utf-8"));
    assert_eq!(props.content.content_language.as_deref(), Some("en-GB"));
    assert_eq!(props.content.content_disposition.as_deref(), Some("attachment; filename=\"hello.txt\""));
    assert_eq!(props.content.cache_control.as_deref(), Some("max-age=60"));
    assert_eq!(props.metadata.get("project").map(String::as_str), Some("alpha"));
    assert_eq!(props.metadata.get("run_id").map(String::as_str), Some("42"));
    assert_eq!(props.access_tier, Some(AccessTier::Cool));
    // The emulator computes and stores an MD5 for single-shot uploads.
    assert_eq!(props.content.content_md5.as_ref().map(Vec::len), Some(16));
    assert!(blob.exists().await.unwrap());
}

#[tokio::test]
async fn empty_and_binary_blobs_round_trip() {
    let client = client();
    let container = new_container(&client, "bin").await;
    let empty = container.blob("empty");
    empty.put(Vec::new()).await.unwrap();
    assert!(empty.download().await.unwrap().is_empty());
    assert_eq!(empty.properties().await.unwrap().content_length, 0);

    let data: Vec<u8> = (0..=255u8).cycle().take(3 * 1024 * 1024 + 7).collect();
    let blob = container.blob("binary.bin");
    blob.put(data.clone()).await.unwrap();
    assert_eq!(blob.download().await.unwrap(), data);
}

#[tokio::test]
async fn range_reads() {
    let client = client();
    let container = new_container(&client, "range").await;
    let blob = container.blob("digits");
    blob.put("0123456789").await.unwrap();

    assert_eq!(&blob.download_range(BlobRange::new(2, 3)).await.unwrap()[..], b"234");
    assert_eq!(&blob.download_range(BlobRange::from_offset(7)).await.unwrap()[..], b"789");
    assert_eq!(&blob.download_range(BlobRange::inclusive(0, 0).unwrap()).await.unwrap()[..], b"0");
    // A range running past the end returns what exists.
    assert_eq!(&blob.download_range(BlobRange::new(8, 100)).await.unwrap()[..], b"89");

    let response =
        blob.get_opts(&GetOptions { range: Some(BlobRange::new(4, 2)), ..Default::default() }).await.unwrap();
    assert_eq!(response.head.range, Some((4, 5)));
    assert_eq!(response.head.properties.content_length, 10, "the whole blob's size");
    assert_eq!(&response.bytes().await.unwrap()[..], b"45");

    let err = blob.download_range(BlobRange::new(10, 1)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRange, "{err}");
    let err = blob.download_range(BlobRange::new(3, 0)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

#[tokio::test]
async fn metadata_and_http_headers_are_replaced() {
    let client = client();
    let container = new_container(&client, "meta").await;
    let blob = container.blob("m");
    blob.put_opts("x", &PutBlobOptions { metadata: [("old".into(), "1".into())].into(), ..Default::default() })
        .await
        .unwrap();

    let written = blob.set_metadata(&[("fresh".to_owned(), "yes".to_owned())].into()).await.unwrap();
    let props = blob.properties().await.unwrap();
    assert_eq!(props.etag, written.etag);
    assert_eq!(props.metadata.len(), 1, "{:?}", props.metadata);
    assert_eq!(props.metadata.get("fresh").map(String::as_str), Some("yes"));

    let headers = ContentHeaders {
        content_type: Some("application/json".into()),
        cache_control: Some("no-store".into()),
        ..ContentHeaders::default()
    };
    blob.set_http_headers(&headers).await.unwrap();
    let props = blob.properties().await.unwrap();
    assert_eq!(props.content.content_type.as_deref(), Some("application/json"));
    assert_eq!(props.content.cache_control.as_deref(), Some("no-store"));
    assert_eq!(&blob.download().await.unwrap()[..], b"x", "content untouched");
}

#[tokio::test]
async fn delete_then_not_found() {
    let client = client();
    let container = new_container(&client, "del").await;
    let blob = container.blob("gone");
    blob.put("bye").await.unwrap();
    blob.delete().await.unwrap();

    let err = blob.download().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.error_code(), Some("BlobNotFound"));
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert!(err.request_id().is_some(), "{err:?}");
    // HEAD has no body: the code comes from x-ms-error-code.
    let err = blob.properties().await.unwrap_err();
    assert_eq!((err.kind(), err.error_code()), (ErrorKind::NotFound, Some("BlobNotFound")));
    assert!(!blob.exists().await.unwrap());
    assert_eq!(blob.delete().await.unwrap_err().kind(), ErrorKind::NotFound);

    let err = client.blob("no-such-container", "b").download().await.unwrap_err();
    assert_eq!((err.kind(), err.error_code()), (ErrorKind::NotFound, Some("ContainerNotFound")));
}

#[tokio::test]
async fn conditional_writes_and_reads() {
    let client = client();
    let container = new_container(&client, "cond").await;
    let blob = container.blob("c");
    let only_new = PutBlobOptions { conditions: Conditions::if_not_exists(), ..Default::default() };
    let first = blob.put_opts("v1", &only_new).await.unwrap();

    let err = blob.put_opts("v2", &only_new).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert_eq!(&blob.download().await.unwrap()[..], b"v1", "nothing overwritten");

    let stale = Conditions::if_match(ETag("\"0x8D000000000DEAD\"".into()));
    let err =
        blob.put_opts("v3", &PutBlobOptions { conditions: stale.clone(), ..Default::default() }).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
    let err = blob.get_opts(&GetOptions { conditions: stale, ..Default::default() }).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");

    let current = Conditions::if_match(first.etag);
    blob.put_opts("v4", &PutBlobOptions { conditions: current, ..Default::default() }).await.unwrap();
    assert_eq!(&blob.download().await.unwrap()[..], b"v4");
}

#[tokio::test]
async fn an_empty_etag_condition_is_refused_not_dropped() {
    let client = client();
    let container = new_container(&client, "condempty").await;
    let blob = container.blob("c");
    blob.put("v1").await.unwrap();
    // An empty `If-Match` is no condition to the service: the write it was
    // meant to guard would overwrite whatever is there.
    for blank in ["", " "] {
        for conditions in [
            Conditions::if_match(ETag(blank.into())),
            Conditions { if_none_match: Some(ETag(blank.into())), ..Conditions::default() },
        ] {
            let options = PutBlobOptions { conditions, ..Default::default() };
            let err = blob.put_opts("v2", &options).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{blank:?}: {err}");
        }
    }
    assert_eq!(&blob.download().await.unwrap()[..], b"v1", "nothing overwritten");
}

#[tokio::test]
async fn wrong_key_is_unauthenticated() {
    let container = new_container(&client(), "auth").await;
    let wrong = ClientBuilder::new()
        .endpoint(&endpoints().http)
        .shared_key(DEV_ACCOUNT, "d3JvbmcgYnV0IHZhbGlkIGJhc2U2NCBrZXkgbWF0ZXJpYWw=")
        .unwrap()
        .build()
        .unwrap();
    let err = wrong.blob(container.name(), "b").put("x").await.unwrap_err();
    // Azure answers a bad signature with 403 AuthenticationFailed (Unauthenticated);
    // Azurite answers 403 AuthorizationFailure (PermissionDenied). Both are refusals.
    assert!(matches!(err.kind(), ErrorKind::Unauthenticated | ErrorKind::PermissionDenied), "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert!(!format!("{err} {err:?}").contains("d3Jvbm"), "the key never shows");
}

fn sas_client(token: &str) -> azblob::BlobServiceClient {
    ClientBuilder::new().endpoint(&endpoints().http).sas_token(token).unwrap().build().unwrap()
}

fn dev_key() -> SharedKeyCredential {
    SharedKeyCredential::new(DEV_ACCOUNT, DEV_ACCOUNT_KEY).unwrap()
}

#[tokio::test]
async fn service_sas_grants_exactly_its_permissions() {
    let container = new_container(&client(), "sas").await;
    container.blob("readable").put("data").await.unwrap();
    let hour = SystemTime::now() + Duration::from_secs(3600);

    let read_only = Sas::container(container.name(), "r", hour).sign(&dev_key()).unwrap();
    let reader = sas_client(&read_only.to_query());
    assert_eq!(&reader.blob(container.name(), "readable").download().await.unwrap()[..], b"data");
    let err = reader.blob(container.name(), "new").put("nope").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(!container.blob("new").exists().await.unwrap());

    let writer =
        Sas::blob(container.name(), "new", "cw", hour).protocol(SasProtocol::HttpsAndHttp).sign(&dev_key()).unwrap();
    sas_client(&writer.to_query()).blob(container.name(), "new").put("yes").await.unwrap();
    assert_eq!(&container.blob("new").download().await.unwrap()[..], b"yes");
}

#[tokio::test]
async fn expired_or_tampered_sas_is_rejected() {
    let container = new_container(&client(), "sasbad").await;
    container.blob("b").put("data").await.unwrap();

    let past = SystemTime::now() - Duration::from_secs(60);
    let expired =
        Sas::container(container.name(), "r", past).start(past - Duration::from_secs(3600)).sign(&dev_key()).unwrap();
    let err = sas_client(&expired.to_query()).blob(container.name(), "b").download().await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Unauthenticated | ErrorKind::PermissionDenied), "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));

    let hour = SystemTime::now() + Duration::from_secs(3600);
    let good = Sas::container(container.name(), "r", hour).sign(&dev_key()).unwrap();
    // Widen the permissions after signing: the signature no longer matches.
    let tampered = good.to_query().replace("sp=r", "sp=rw");
    let err = sas_client(&tampered).blob(container.name(), "tampered").put("x").await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Unauthenticated | ErrorKind::PermissionDenied), "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert!(!container.blob("tampered").exists().await.unwrap());
    assert!(!err.to_string().contains(good.get("sig").unwrap()), "the signature never shows");
}

#[tokio::test]
async fn account_sas_round_trip() {
    let container = new_container(&client(), "acctsas").await;
    let sas = Sas::account("co", "rwc", SystemTime::now() + Duration::from_secs(600)).sign(&dev_key()).unwrap();
    let blob = sas_client(&sas.to_query()).blob(container.name(), "via-account-sas");
    blob.put("ok").await.unwrap();
    assert_eq!(&blob.download().await.unwrap()[..], b"ok");
}

#[tokio::test]
async fn tls_round_trip_with_custom_root() {
    let endpoints = endpoints();
    let https = |with_root: bool| {
        let mut b = ClientBuilder::new()
            .endpoint(&endpoints.https)
            .shared_key(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
            .unwrap()
            .retry(azblob::transport::RetryOptions::none());
        if with_root {
            b = b.root_certificate_pem(endpoints.ca_pem.clone());
        }
        b.build().unwrap()
    };
    let client = https(true);
    let container = new_container(&client, "tls").await;
    let blob = container.blob("secure");
    blob.put("over tls").await.unwrap();
    assert_eq!(&blob.download().await.unwrap()[..], b"over tls");
    assert_eq!(blob.properties().await.unwrap().content_length, 8);

    // Without the root the certificate is not trusted: a transport error, no response.
    let err = https(false).blob(container.name(), "secure").download().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
}

/// Counts requests that reach the wire, to prove none were sent.
#[derive(Debug, Default)]
struct CountingTransport(AtomicUsize);

impl HttpTransport for CountingTransport {
    fn send(&self, _request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(Response::new(http::StatusCode::OK, http::HeaderMap::new(), "")) })
    }
}

#[tokio::test]
async fn invalid_names_fail_before_any_request() {
    let counter = Arc::new(CountingTransport::default());
    let client = support::builder().transport(Arc::clone(&counter) as Arc<dyn HttpTransport>).build().unwrap();
    for (container, blob) in [("Bad_Name", "b"), ("ab", "b"), ("good-name", ""), ("good-name", "a/../b")] {
        let b = client.blob(container, blob);
        assert_eq!(b.put("x").await.unwrap_err().kind(), ErrorKind::InvalidInput, "{container}/{blob}");
        assert_eq!(b.download().await.unwrap_err().kind(), ErrorKind::InvalidInput);
        assert_eq!(b.delete().await.unwrap_err().kind(), ErrorKind::InvalidInput);
    }
    let mut bad_meta = PutBlobOptions::default();
    bad_meta.metadata.insert("has-dash".into(), "v".into());
    assert_eq!(
        client.blob("good-name", "b").put_opts("x", &bad_meta).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(counter.0.load(Ordering::SeqCst), 0, "no request was sent");
}

#[tokio::test]
async fn idle_connections_closed_by_the_emulator_are_not_surfaced() {
    // Keep pooled connections longer than Azurite does (it closes them after 6 s), so the
    // next request may pick a connection the server has closed.
    let client = support::builder().pool_idle_timeout(Duration::from_secs(60)).build().unwrap();
    let container = new_container(&client, "idle").await;
    let blob = container.blob("b");
    blob.put("first").await.unwrap();
    tokio::time::sleep(Duration::from_secs(7)).await;
    blob.put("second").await.unwrap();
    assert_eq!(&blob.download().await.unwrap()[..], b"second");
}

#[tokio::test]
async fn a_sas_of_a_snapshot_with_response_headers_reads_that_snapshot_only() {
    let container = new_container(&client(), "sassnap").await;
    let blob = container.blob("report.bin");
    blob.put("first").await.unwrap();
    let snapshot = blob.create_snapshot().await.unwrap().snapshot;
    blob.put("second").await.unwrap();
    let hour = SystemTime::now() + Duration::from_secs(3600);
    let sas = Sas::blob(container.name(), "report.bin", "r", hour)
        .snapshot(snapshot.clone())
        .content_type("application/pdf")
        .content_disposition("attachment; filename=q4.pdf")
        .sign(&dev_key())
        .unwrap();
    let reader = sas_client(&sas.to_query()).blob(container.name(), "report.bin");
    let at_snapshot = BlobSelector::snapshot(&snapshot);
    let props = reader
        .properties_opts(&PropertiesOptions { selector: at_snapshot.clone(), ..Default::default() })
        .await
        .unwrap();
    // The service answers with the headers the SAS signed, not the blob's own.
    assert_eq!(props.content.content_type.as_deref(), Some("application/pdf"));
    assert_eq!(props.content.content_disposition.as_deref(), Some("attachment; filename=q4.pdf"));
    let options = GetOptions { selector: at_snapshot, ..GetOptions::default() };
    assert_eq!(&reader.get_opts(&options).await.unwrap().bytes().await.unwrap()[..], b"first");
    // The SAS grants the snapshot, not the blob, and its headers are signed.
    let err = reader.download().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403), "{err}");
    let tampered = sas.to_query().replace("application%2Fpdf", "text%2Fhtml");
    assert_ne!(tampered, sas.to_query());
    let err = sas_client(&tampered).blob(container.name(), "report.bin").get_opts(&options).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403), "{err}");
}

/// Names and tag values that start or end with spaces come back from a
/// listing as they were written (the XML reader would trim them). Metadata
/// cannot hold such values: they travel as HTTP headers, whose edges HTTP
/// itself trims.
#[tokio::test]
async fn listings_keep_spaces_at_the_edges_of_names_and_tags() {
    let container = new_container(&client(), "edges").await;
    let options = azblob::PutBlobOptions {
        tags: [("k".to_owned(), " v ".to_owned())].into(),
        ..azblob::PutBlobOptions::default()
    };
    container.blob(" spaced name ").put_opts("edge", &options).await.unwrap();
    let listing = azblob::ListBlobsOptions {
        include: azblob::ListInclude { tags: true, ..azblob::ListInclude::default() },
        ..azblob::ListBlobsOptions::default()
    };
    let items: Vec<azblob::ListItem> =
        futures_util::TryStreamExt::try_collect(container.list_blobs_opts(&listing)).await.unwrap();
    let [azblob::ListItem::Blob(blob)] = &items[..] else { panic!("{items:?}") };
    assert_eq!(blob.name, " spaced name ");
    assert_eq!(blob.tags.get("k").map(String::as_str), Some(" v "));
}
