//! No secret ever prints from the library: every operation runs against
//! Azurite with Shared Key and with a SAS, succeeding and failing, while
//! `tracing` records everything at TRACE; the logs, every result's and
//! error's `Debug` and `Display`, the clients' `Debug`, checkpoints and a
//! recorded cassette are scanned for the planted secrets and for anything
//! shaped like a secret.
//!
//! One test in its own process: `tracing` caches per call site whether
//! anyone listens, so the subscriber is installed before anything logs.

#[path = "support/logs.rs"]
mod logs;
mod support;

use std::fmt::Debug;
use std::time::{Duration, SystemTime};

use azblob::auth::{Sas, SharedKeyCredential};
use azblob::sim::SimulationMode;
use azblob::{
    AccessTier, BlobClient, BlobRange, BlobSelector, BlobServiceClient, ClientBuilder, ContentHeaders, CopySource,
    DeleteBlobOptions, DownloadOptions, ListBlobsOptions, ListInclude, PropertiesOptions, PutBlobOptions,
    SetBlobTiersOptions, SetTierOptions, DEV_ACCOUNT, DEV_ACCOUNT_KEY,
};
use azblob::{UploadOptions, UploadSource};
use futures_util::StreamExt;
use logs::LogBuffer;
use support::scan::Scan;
use support::{endpoints, new_container};

/// A well-formed account key that is not the emulator's.
const WRONG_KEY: &str = "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXlXcm9uZ0tleQ==";

/// Everything shown: `Debug` of each result, and `Display` too for errors.
#[derive(Default)]
struct Shown(Vec<String>);

impl Shown {
    fn add<T: Debug>(&mut self, what: &str, result: &azblob::Result<T>) {
        match result {
            Ok(value) => self.0.push(format!("{what}: {value:?} {value:#?}")),
            Err(err) => self.0.push(format!("{what}: {err} | {err:#} | {err:?}")),
        }
    }
}

/// Runs every operation on `blob`'s container through `client`'s credential.
async fn drive(
    service: &BlobServiceClient,
    blob: &BlobClient,
    source_url: &url::Url,
    dir: &std::path::Path,
    shown: &mut Shown,
) {
    let container = blob.container();
    let content = ContentHeaders { content_type: Some("text/plain".into()), ..Default::default() };
    let options = PutBlobOptions { content, metadata: [("k".into(), "v".into())].into(), ..Default::default() };
    shown.add("put", &blob.put_opts("hello secrets", &options).await);
    shown.add("get", &blob.get().await.map(|r| format!("{r:?}")));
    shown.add("download", &blob.download().await);
    shown.add("range", &blob.download_range(BlobRange::new(0, 4)).await);
    shown.add("properties", &blob.properties().await);
    shown.add("exists", &blob.exists().await);
    shown.add("metadata", &blob.set_metadata(&[("a".to_owned(), "b".to_owned())].into()).await);
    shown.add("headers", &blob.set_http_headers(&ContentHeaders::default()).await);
    let snapshot = blob.create_snapshot().await;
    shown.add("snapshot", &snapshot);
    shown.add("tier", &blob.set_tier(&AccessTier::Cool).await);
    shown.add("tier with", &blob.set_tier_opts(&AccessTier::Hot, &SetTierOptions::default()).await);

    let file = dir.join("up.bin");
    std::fs::write(&file, azblob_testkit::pseudo_random_bytes(100 * 1024, 9)).unwrap();
    let big = container.blob("big.bin");
    let options = UploadOptions {
        block_size: 16 * 1024,
        single_put_max: 0,
        checkpoint: Some(dir.join("ckpt.json")),
        ..UploadOptions::default()
    };
    let source = UploadSource::file(&file);
    shown.add("upload debug", &Ok::<_, azblob::Error>(format!("{options:?} {source:?}")));
    shown.add("upload", &big.upload_opts(source, &options).await);
    shown.add("download to file", &big.download_to_file(dir.join("down.bin")).await);
    shown.add("download opts", &big.download_to_writer_opts(&mut Vec::new(), &DownloadOptions::default()).await);

    let append = container.blob("append.log");
    shown.add("create append", &append.create_append_blob().await);
    shown.add("append", &append.append("line\n").await);
    shown.add("seal", &append.seal().await);

    // Copies: a source generated from the client's own credential, and a URL carrying a SAS.
    let sync_copy = container.blob("copy-sync.bin");
    shown.add("copy sync", &sync_copy.copy_from_url(&CopySource::blob(blob)).await);
    let by_url = CopySource::Url(source_url.clone());
    shown.add("copy source debug", &Ok::<_, azblob::Error>(format!("{by_url:?}")));
    shown.add("copy by url", &container.blob("copy-url.bin").copy_from_url(&by_url).await);
    shown.add("copy blocks", &container.blob("copy-blocks.bin").copy_blocks_from_url(&CopySource::blob(blob)).await);
    // Without the source's properties a URL source is refused, naming the URL.
    shown.add("copy blocks by url", &container.blob("copy-blocks.bin").copy_blocks_from_url(&by_url).await);
    shown.add("put block from url", &container.blob("staged.bin").put_block_from_url("YQ==", &by_url).await);
    match container.blob("copy-async.bin").start_copy(&CopySource::blob(blob)).await {
        Ok(mut copy) => {
            shown.add("copy operation", &Ok::<_, azblob::Error>(format!("{copy:?}")));
            shown.add("copy wait", &copy.wait(Duration::from_secs(30)).await);
            shown.add("copy poll", &copy.poll().await.cloned());
            shown.add("abort", &copy.abort().await);
        }
        Err(err) => shown.add("start copy", &Err::<(), _>(err)),
    }
    shown.add("copy props", &container.blob("copy-async.bin").properties().await);
    let include = ListInclude { copy: true, metadata: true, snapshots: true, ..Default::default() };
    let listing = container.list_blobs_page_opts(None, &ListBlobsOptions { include, ..Default::default() }).await;
    shown.add("list page", &listing);
    let items: Vec<_> = container.list_blobs().collect().await;
    shown.add("list stream", &Ok::<_, azblob::Error>(items));
    shown.add("versions", &blob.list_versions().await);

    let names = ["copy-sync.bin", "copy-url.bin", "missing.bin"];
    shown.add(
        "batch tier",
        &container
            .set_blob_tiers_opts(
                names,
                &AccessTier::Cool,
                &SetBlobTiersOptions { concurrency: 2, ..Default::default() },
            )
            .await,
    );
    shown.add("batch delete", &container.delete_blobs(names).await);
    if let Ok(snapshot) = &snapshot {
        shown.add(
            "delete snapshot",
            &blob
                .delete_opts(&DeleteBlobOptions {
                    selector: BlobSelector::snapshot(&snapshot.snapshot),
                    ..Default::default()
                })
                .await,
        );
    }

    // Failures: missing blob and container, bad input, no pending copy.
    shown.add("missing blob", &container.blob("missing").properties().await);
    shown.add("missing container", &service.blob("no-such-container", "b").download().await);
    let non_ascii = ContentHeaders { content_type: Some("text/x\u{e9}".into()), ..Default::default() };
    shown.add("non-ASCII header", &blob.set_http_headers(&non_ascii).await);
    shown.add("abort nothing", &blob.abort_copy("00000000-0000-0000-0000-000000000000").await);
    shown.add(
        "bad selector",
        &blob
            .properties_opts(&PropertiesOptions {
                selector: BlobSelector::snapshot("not a time"),
                ..Default::default()
            })
            .await,
    );
    shown.add("delete", &blob.delete().await);
    shown.add("client debug", &Ok::<_, azblob::Error>(format!("{service:?} {container:?}")));
}

#[test]
fn no_secret_prints_from_any_library_operation() {
    let logs = LogBuffer::default();
    tracing::subscriber::set_global_default(logs.subscriber()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = azblob_testkit::scratch_dir().join(support::unique_name("libscan"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut shown = Shown::default();
    let mut scan = Scan::default();
    scan.plant("account key", DEV_ACCOUNT_KEY);
    scan.plant("wrong account key", WRONG_KEY);

    runtime.block_on(async {
        let key_client = support::client();
        let container = new_container(&key_client, "libscan").await;
        let key = SharedKeyCredential::new(DEV_ACCOUNT, DEV_ACCOUNT_KEY).unwrap();
        let expiry = SystemTime::now() + Duration::from_secs(3600);
        let sas = Sas::container(container.name(), "racwdl", expiry).sign(&key).unwrap();
        scan.plant("SAS signature", sas.get("sig").unwrap());
        let source_sas = Sas::container(container.name(), "r", expiry).sign(&key).unwrap();
        scan.plant("copy source SAS signature", source_sas.get("sig").unwrap());
        container.blob("source.txt").put("copied by URL").await.unwrap();
        let mut source_url = container.blob("source.txt").url().unwrap();
        source_url.set_query(Some(&source_sas.to_query()));

        let key_dir = dir.join("key");
        std::fs::create_dir_all(&key_dir).unwrap();
        drive(&key_client, &container.blob("by-key.txt"), &source_url, &key_dir, &mut shown).await;

        let builder = ClientBuilder::new().endpoint(&endpoints().http).sas_token(&sas.to_query()).unwrap();
        shown.add("builder debug", &Ok::<_, azblob::Error>(format!("{builder:?}")));
        let sas_client = builder.build().unwrap();
        let sas_dir = dir.join("sas");
        std::fs::create_dir_all(&sas_dir).unwrap();
        let blob = sas_client.container(container.name()).blob("by-sas.txt");
        drive(&sas_client, &blob, &source_url, &sas_dir, &mut shown).await;

        // Recorded: the cassette is scanned too.
        let cassette = dir.join("cassette.json");
        let recording = support::builder().simulation(SimulationMode::Record, &cassette).build().unwrap();
        let rec_dir = dir.join("rec");
        std::fs::create_dir_all(&rec_dir).unwrap();
        let blob = recording.container(container.name()).blob("recorded.txt");
        drive(&recording, &blob, &source_url, &rec_dir, &mut shown).await;
        shown.add("save", &recording.save_recordings());

        let wrong = ClientBuilder::new().endpoint(&endpoints().http).shared_key(DEV_ACCOUNT, WRONG_KEY).unwrap();
        let wrong = wrong.build().unwrap();
        shown.add("wrong key", &wrong.container(container.name()).blob("by-key.txt").download().await);
        let read_only = ClientBuilder::new().endpoint(&endpoints().http).sas_token(&source_sas.to_query()).unwrap();
        let read_only = read_only.build().unwrap();
        let denied_blob = read_only.container(container.name()).blob("denied.bin");
        let refused = UploadOptions {
            single_put_max: 0,
            block_size: 16 * 1024,
            checkpoint: Some(dir.join("refused-ckpt.json")),
            ..UploadOptions::default()
        };
        let source = UploadSource::file(key_dir.join("up.bin"));
        shown.add("refused upload", &denied_blob.upload_opts(source, &refused).await);
    });

    let logs = logs.text();
    std::fs::write(dir.join("logs.txt"), &logs).unwrap();
    assert!(logs.contains("azblob.attempt") && logs.contains("GetBlobProperties"), "the test saw the logs");
    assert!(shown.0.iter().any(|s| s.contains("sig=REDACTED")), "a copy source shows, without its signature");
    assert!(shown.0.iter().any(|s| s.starts_with("non-ASCII header") && s.contains("printable ASCII")));
    scan.check("the logs", &logs);
    for text in &shown.0 {
        scan.check(text.split(':').next().unwrap_or(""), text);
    }
    // The JSON files: the refused upload's checkpoint and the cassette (the
    // rest are test data, random bytes that may happen to look like anything).
    let mut files = 0;
    for entry in walk(&dir) {
        if entry.extension().is_some_and(|e| e == "json") {
            scan.check(&entry.display().to_string(), &std::fs::read_to_string(&entry).unwrap());
            files += 1;
        }
    }
    assert!(files >= 2, "the checkpoint and the cassette were scanned");
    scan.assert_clean();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}
