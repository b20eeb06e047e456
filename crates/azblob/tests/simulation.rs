//! The simulation layer end to end: record and replay over a scripted wire
//! (no emulator), hand-written cassettes per `docs/cassette-format.md`,
//! refusals, and a 64 MiB parallel upload recorded against Azurite.

mod support;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use azblob::sim::{find_secret, Cassette, Matching, SecretFound, SecretKind};
use azblob::sim::{SimulationMode, SimulationOptions};
use azblob::transport::{
    HeaderMap, HttpTransport, Method, Request, Response, RetryOptions, StatusCode, TransportError, TransportErrorKind,
};
use azblob::UploadOptions;
use azblob::{BlobServiceClient, ClientBuilder, ErrorKind};
use bytes::Bytes;
use futures_util::future::BoxFuture;

const ENDPOINT: &str = "http://127.0.0.1:9/devstoreaccount1";

/// One scripted answer: status, headers, body.
type Answer = (u16, Vec<(&'static str, String)>, Bytes);

/// A wire that answers from a script, in order, and counts what it was sent.
#[derive(Debug, Default)]
struct Script {
    answers: Mutex<VecDeque<Answer>>,
    sent: Mutex<Vec<String>>,
}

impl Script {
    fn new(answers: Vec<Answer>) -> Arc<Script> {
        Arc::new(Script { answers: Mutex::new(answers.into()), sent: Mutex::default() })
    }
    fn sent(&self) -> usize {
        self.sent.lock().unwrap().len()
    }
}

impl HttpTransport for Script {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        self.sent.lock().unwrap().push(format!("{} {}", request.method, request.url.path()));
        let next = self.answers.lock().unwrap().pop_front();
        Box::pin(async move {
            let (status, headers, body) =
                next.ok_or_else(|| TransportError::new(TransportErrorKind::Io, "script done"))?;
            let mut map = HeaderMap::new();
            for (name, value) in headers {
                map.insert(name, value.parse().unwrap());
            }
            Ok(Response::new(StatusCode::from_u16(status).unwrap(), map, body))
        })
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = azblob_testkit::scratch_dir().join(support::unique_name(name));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn hand_cassette(name: &str) -> PathBuf {
    azblob_testkit::workspace_root().join("testdata/cassettes/hand").join(name)
}

fn fast_retries() -> RetryOptions {
    RetryOptions { initial_backoff: Duration::from_millis(1), ..RetryOptions::default() }
}

/// A client recording over `wire` into `path`.
fn recorder(wire: &Arc<Script>, path: &Path, options: SimulationOptions) -> BlobServiceClient {
    ClientBuilder::new()
        .endpoint(ENDPOINT)
        .shared_key(azblob::DEV_ACCOUNT, azblob::DEV_ACCOUNT_KEY)
        .unwrap()
        .transport(Arc::clone(wire) as Arc<dyn HttpTransport>)
        .retry(fast_retries())
        .simulation(SimulationMode::Record, path)
        .simulation_options(options)
        .build()
        .unwrap()
}

/// A client replaying `path` with no credential and no wire.
fn replayer(path: &Path, options: SimulationOptions) -> BlobServiceClient {
    ClientBuilder::new()
        .endpoint(ENDPOINT)
        .simulation(SimulationMode::Replay, path)
        .simulation_options(options)
        .build()
        .unwrap()
}

fn get(client: &BlobServiceClient, blob: &str) -> Request {
    // A read: safe to retry, as the library's own Get Blob says.
    Request::new("GetBlob", Method::GET, client.blob("cont", blob).url().unwrap()).idempotent()
}

async fn body(client: &BlobServiceClient, request: Request) -> azblob::Result<Bytes> {
    let response = client.send_raw(request).await?;
    Ok(response.body.bytes().await.unwrap())
}

#[tokio::test]
async fn a_recorded_503_then_200_replays_as_a_retry_without_sleeping() {
    let dir = temp_dir("sim-retry");
    let path = dir.join("retry.json");
    let wire = Script::new(vec![
        (503, vec![("x-ms-error-code", "ServerBusy".into())], Bytes::new()),
        (200, vec![("content-type", "text/plain".into())], Bytes::from_static(b"ok")),
    ]);
    let client = recorder(&wire, &path, SimulationOptions::new());
    assert_eq!(&body(&client, get(&client, "b")).await.unwrap()[..], b"ok");
    assert_eq!(wire.sent(), 2, "one attempt and one retry");
    drop(client); // saves on drop

    let cassette = Cassette::load(&path).unwrap();
    assert_eq!(cassette.interactions.len(), 2);
    assert_eq!(cassette.interactions[0].response.status, 503);
    assert!(!cassette.interactions[0].request.headers.contains_key("authorization"));

    // Replay with the default 400 ms backoff: no real sleep happens.
    let replay = replayer(&path, SimulationOptions::new());
    let started = Instant::now();
    assert_eq!(&body(&replay, get(&replay, "b")).await.unwrap()[..], b"ok");
    assert!(started.elapsed() < Duration::from_millis(300), "{:?}", started.elapsed());
    let stats = replay.simulation_stats().unwrap();
    assert_eq!((stats.replayed, stats.unused), (2, 0));
}

#[tokio::test]
async fn sequential_replays_a_retry_and_a_copy_poll() {
    let path = hand_cassette("sequential_copy_poll.json");
    let client = replayer(&path, SimulationOptions::new().matching(Matching::Sequential));
    let blob = client.blob("cont", "copy");
    let mut copy = Request::new("CopyBlob", Method::PUT, blob.url().unwrap());
    copy.headers.insert("x-ms-copy-source", "https://src.example/c/source?sv=2023-11-03&sig=xyz".parse().unwrap());
    let started = client.send_raw(copy).await.unwrap();
    assert_eq!(started.status.as_u16(), 202);
    assert_eq!(started.header("x-ms-copy-status"), Some("pending"));

    // Polls are identical requests; each gets the next recorded answer, and
    // the recorded 503 among them is retried (without sleeping).
    let mut statuses = Vec::new();
    loop {
        let mut poll = Request::new("GetBlobProperties", Method::HEAD, blob.url().unwrap()).idempotent();
        // Sequential looks at method and path only: this header is not in the cassette.
        poll.headers.insert("x-ms-client-poll", statuses.len().to_string().parse().unwrap());
        let response = client.send_raw(poll).await.unwrap();
        let status = response.header("x-ms-copy-status").unwrap().to_owned();
        statuses.push(status.clone());
        if status != "pending" {
            break;
        }
    }
    assert_eq!(statuses, ["pending", "success"]);
    let stats = client.simulation_stats().unwrap();
    assert_eq!((stats.replayed, stats.unused), (4, 0), "copy, poll, 503 retried, poll");
}

#[tokio::test]
async fn a_handwritten_cassette_loads_and_replays() {
    let path = hand_cassette("put_get.json");
    let cassette = Cassette::load(&path).unwrap();
    assert_eq!(cassette.seed, "00000000000000ff");
    let client = replayer(&path, SimulationOptions::new());
    let blob = client.blob("hand", "hello.txt");
    let options = azblob::PutBlobOptions { metadata: [("run".into(), "7".into())].into(), ..Default::default() };
    let written = blob.put_opts("hello", &options).await.unwrap();
    assert_eq!(written.etag.0, "\"0x8DC0000000000001\"");
    assert_eq!(&blob.download().await.unwrap()[..], b"hello");
    let bytes = client.blob("hand", "bytes.bin").download().await.unwrap();
    assert_eq!(bytes, (0..=255u8).collect::<Vec<u8>>(), "from the sidecar store");
    assert_eq!(client.simulation_stats().unwrap().unused, 0);
}

#[tokio::test]
async fn a_changed_request_fails_with_a_diff_naming_the_field() {
    let client = replayer(&hand_cassette("put_get.json"), SimulationOptions::new());
    let blob = client.blob("hand", "hello.txt");
    let options = azblob::PutBlobOptions { metadata: [("run".into(), "8".into())].into(), ..Default::default() };
    let err = blob.put_opts("hello", &options).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    let source = err.get_ref().and_then(|s| s.downcast_ref::<TransportError>()).expect("a transport error");
    assert_eq!(source.kind(), TransportErrorKind::NoRecording);
    let message = err.to_string();
    assert!(message.contains("PUT /devstoreaccount1/hand/hello.txt"), "{message}");
    assert!(message.contains(r#"header x-ms-meta-run: recorded "7", sent "8""#), "{message}");

    let same_metadata = azblob::PutBlobOptions { metadata: [("run".into(), "7".into())].into(), ..Default::default() };
    let message = blob.put_opts("HELLO", &same_metadata).await.unwrap_err().to_string();
    assert!(message.contains("body sha256: recorded"), "{message}");

    let message = client.blob("hand", "other.txt").download().await.unwrap_err().to_string();
    assert!(message.contains("path: recorded /devstoreaccount1/hand/"), "{message}");
}

#[tokio::test]
async fn secrets_planted_in_a_recording_are_refused_at_save() {
    let dir = temp_dir("sim-planted");
    let original = std::fs::read_to_string(hand_cassette("put_get.json")).unwrap();
    let key = "Zm9vYmFy".repeat(11); // 88 base64 characters...
    let key = format!("{}==", &key[..86]); // ...ending like an account key
    let jwt = "eyJhbGciOiJub25lIn0.eyJhdWQiOiJodHRwczovL3N0b3JhZ2UuYXp1cmUuY29tIn0.";
    let plants: [(&str, String, usize, &str, SecretKind); 3] = [
        (
            "\"x-ms-meta-run\": \"7\"",
            format!("\"x-ms-meta-run\": \"{key}\""),
            0,
            "request.headers.x-ms-meta-run",
            SecretKind::AccountKey,
        ),
        ("\"text\": \"hello\"", format!("\"text\": \"Bearer {jwt}\""), 0, "request.body", SecretKind::Jwt),
        (
            "\"x-ms-request-id\": \"req-3\"",
            "\"x-ms-request-id\": \"https://x/c?sig=s3cret\"".into(),
            2,
            "response.headers.x-ms-request-id",
            SecretKind::SasSignature,
        ),
    ];
    for (from, to, interaction, field, kind) in plants {
        let path = dir.join(format!("planted-{}.json", field.replace('.', "-")));
        let planted = original.replacen(from, &to, 1);
        assert_ne!(planted, original, "{from} planted");
        std::fs::write(&path, &planted).unwrap();
        let client = replayer(&path, SimulationOptions::new());
        let err = client.save_recordings().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let found = err.get_ref().and_then(|s| s.downcast_ref::<SecretFound>()).expect("a SecretFound source");
        assert_eq!((found.interaction, found.field.as_str(), found.kind), (interaction, field, kind), "{err}");
        assert!(err.to_string().contains(&format!("interaction #{interaction} field {field}")), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), planted, "nothing written");
    }
}

#[tokio::test]
async fn recordings_are_sanitized_before_they_are_saved() {
    let dir = temp_dir("sim-sanitize");
    let path = dir.join("sas.json");
    let jwt = "eyJhbGciOiJub25lIn0.eyJvaWQiOiIxMjMifQ.c2ln";
    let udk = "<?xml version=\"1.0\"?><UserDelegationKey><SignedOid>o</SignedOid><Value>a2V5IGJ5dGVz</Value></UserDelegationKey>";
    let wire = Script::new(vec![
        (200, vec![("x-echo", format!("Bearer {jwt}"))], Bytes::from(udk)),
        (202, vec![], Bytes::new()),
    ]);
    let client = ClientBuilder::new()
        .endpoint(ENDPOINT)
        .sas_token("sv=2023-11-03&ss=b&srt=sco&sp=rwdlac&se=2030-01-01T00:00:00Z&sig=c2lnbmF0dXJlIGJ5dGVz")
        .unwrap()
        .transport(Arc::clone(&wire) as Arc<dyn HttpTransport>)
        .simulation(SimulationMode::Record, &path)
        .simulation_options(SimulationOptions::new().account_placeholder("ACCOUNT"))
        .build()
        .unwrap();
    let mut url = client.endpoint().clone();
    url.query_pairs_mut().append_pair("restype", "service").append_pair("comp", "userdelegationkey");
    let key = body(&client, Request::new("GetUserDelegationKey", Method::POST, url)).await.unwrap();
    assert!(String::from_utf8_lossy(&key).contains("a2V5IGJ5dGVz"), "the caller gets the real answer");
    let mut copy = Request::new("CopyBlob", Method::PUT, client.blob("cont", "b").url().unwrap());
    copy.headers.insert(
        "x-ms-copy-source",
        "https://devstoreaccount1.blob.core.windows.net/cont/s?sv=1&sig=abc".parse().unwrap(),
    );
    copy.headers.insert("x-ms-copy-source-authorization", format!("Bearer {jwt}").parse().unwrap());
    client.send_raw(copy).await.unwrap();
    client.save_recordings().unwrap();

    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(find_secret(&text), None, "{text}");
    for gone in ["c2lnbmF0dXJl", "a2V5IGJ5dGVz", jwt, "x-ms-copy-source-authorization", "devstoreaccount1"] {
        assert!(!text.contains(gone), "{gone} in {text}");
    }
    let cassette = Cassette::load(&path).unwrap();
    let first = &cassette.interactions[0];
    assert_eq!(first.request.path, "/ACCOUNT");
    assert!(
        first.request.query.contains("se=2030-01-01T00%3A00%3A00Z"),
        "other SAS fields stay: {}",
        first.request.query
    );
    assert!(!first.request.query.contains("sig="));
    assert_eq!(first.response.headers["x-echo"], "Bearer REDACTED");
    assert_eq!(
        cassette.interactions[1].request.headers["x-ms-copy-source"],
        "https://ACCOUNT.blob.core.windows.net/cont/s?sv=1&sig=REDACTED"
    );

    // The sanitized cassette replays with the same SAS (its signature is never compared).
    let replay = ClientBuilder::new()
        .endpoint(ENDPOINT)
        .sas_token("sv=2023-11-03&ss=b&srt=sco&sp=rwdlac&se=2030-01-01T00:00:00Z&sig=b3RoZXI=")
        .unwrap()
        .simulation(SimulationMode::Replay, &path)
        .simulation_options(SimulationOptions::new().account_placeholder("ACCOUNT"))
        .build()
        .unwrap();
    let mut url = replay.endpoint().clone();
    url.query_pairs_mut().append_pair("restype", "service").append_pair("comp", "userdelegationkey");
    let key = body(&replay, Request::new("GetUserDelegationKey", Method::POST, url)).await.unwrap();
    assert!(String::from_utf8_lossy(&key).contains("<Value>REDACTED</Value>"));
}

#[tokio::test]
async fn the_sidecar_store_deduplicates_identical_bodies() {
    let dir = temp_dir("sim-dedup");
    let path = dir.join("dedup.json");
    let payload = Bytes::from((0..100_000u32).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
    let wire = Script::new(vec![
        (200, vec![], payload.clone()),
        (200, vec![], payload.clone()),
        (200, vec![], Bytes::from(vec![b'x'; 70 * 1024])),
    ]);
    let client = recorder(&wire, &path, SimulationOptions::new());
    for name in ["a", "b", "big.txt"] {
        body(&client, get(&client, name)).await.unwrap();
    }
    client.save_recordings().unwrap();
    let sidecars: Vec<_> = std::fs::read_dir(dir.join("dedup.bodies")).unwrap().collect();
    assert_eq!(sidecars.len(), 2, "two distinct large bodies, one file each");
    let json = std::fs::read_to_string(&path).unwrap();
    assert!(json.len() < 4096, "large bodies stay out of the JSON: {} bytes", json.len());

    let replay = replayer(&path, SimulationOptions::new());
    assert_eq!(body(&replay, get(&replay, "b")).await.unwrap(), payload);
    assert_eq!(body(&replay, get(&replay, "big.txt")).await.unwrap().len(), 70 * 1024);
}

#[tokio::test]
async fn replay_or_record_sends_only_what_the_cassette_lacks() {
    let dir = temp_dir("sim-ror");
    let path = dir.join("ror.json");
    let wire = Script::new(vec![(200, vec![], Bytes::from_static(b"one")), (200, vec![], Bytes::from_static(b"two"))]);
    let build = || {
        ClientBuilder::new()
            .endpoint(ENDPOINT)
            .transport(Arc::clone(&wire) as Arc<dyn HttpTransport>)
            .simulation(SimulationMode::ReplayOrRecord, &path)
            .build()
            .unwrap()
    };
    let first = build();
    assert_eq!(&body(&first, get(&first, "one")).await.unwrap()[..], b"one");
    drop(first);
    let second = build();
    assert_eq!(&body(&second, get(&second, "one")).await.unwrap()[..], b"one");
    assert_eq!(wire.sent(), 1, "answered from the cassette");
    assert_eq!(&body(&second, get(&second, "two")).await.unwrap()[..], b"two");
    assert_eq!(wire.sent(), 2, "only the new request went out");
    drop(second);
    assert_eq!(Cassette::load(&path).unwrap().interactions.len(), 2);
}

#[tokio::test]
async fn a_replay_survives_a_changed_seed_when_block_ids_are_ignored() {
    let dir = temp_dir("sim-blockids");
    let path = dir.join("blocks.json");
    let ok = |status: u16| {
        (
            status,
            vec![("etag", "\"0x1\"".to_owned()), ("last-modified", "Mon, 23 Nov 2026 23:00:00 GMT".to_owned())],
            Bytes::new(),
        )
    };
    let wire = Script::new(vec![ok(201), ok(201), ok(201)]);
    let client = recorder(&wire, &path, SimulationOptions::new());
    let data = vec![5u8; 2000];
    client
        .blob("cont", "b")
        .upload_opts(
            data.clone(),
            &UploadOptions { block_size: 1000, single_put_max: 0, concurrency: 2.into(), ..UploadOptions::default() },
        )
        .await
        .unwrap();
    drop(client);

    // Another seed means other upload session ids, so other block ids.
    let text = std::fs::read_to_string(&path).unwrap();
    let seed = Cassette::load(&path).unwrap().seed;
    std::fs::write(&path, text.replace(&seed, "0123456789abcdef")).unwrap();
    let strict = replayer(&path, SimulationOptions::new());
    let err = strict
        .blob("cont", "b")
        .upload_opts(data.clone(), &UploadOptions { block_size: 1000, single_put_max: 0, ..UploadOptions::default() })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("query blockid"), "{err}");
    let lenient = replayer(&path, SimulationOptions::new().ignore_block_ids(true));
    lenient
        .blob("cont", "b")
        .upload_opts(
            data,
            &UploadOptions { block_size: 1000, single_put_max: 0, concurrency: 2.into(), ..UploadOptions::default() },
        )
        .await
        .unwrap();
}

#[test]
fn testdata_holds_no_secrets() {
    let root = azblob_testkit::workspace_root().join("testdata");
    let mut stack = vec![root.clone()];
    let mut scanned = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            if let Ok(text) = std::str::from_utf8(&bytes) {
                assert_eq!(find_secret(text), None, "{} holds a secret", path.display());
            }
            // Every file is scanned for secrets; those under cassettes/ must also load.
            if path.extension().is_some_and(|e| e == "json") && path.starts_with(root.join("cassettes")) {
                Cassette::load(&path).unwrap();
            }
            scanned += 1;
        }
    }
    assert!(scanned >= 10, "only {scanned} files under {}", root.display());
}

#[tokio::test]
async fn a_64_mib_parallel_upload_records_and_replays_byte_exact() {
    use md5::Digest as _;
    const MIB: u64 = 1024 * 1024;
    let data = azblob_testkit::pseudo_random_bytes(64 * MIB, 64);
    let md5: [u8; 16] = md5::Md5::digest(&data).into();
    let dir = temp_dir("sim-64mib");
    let path = dir.join("upload.json");
    let container = support::new_container(&support::client(), "sim64").await;

    // The same upload, recorded and then replayed.
    let options = UploadOptions {
        block_size: 4 * MIB,
        concurrency: 8.into(),
        single_put_max: 0,
        blob_md5: true,
        ..UploadOptions::default()
    };
    let recording = support::builder().simulation(SimulationMode::Record, &path).build().unwrap();
    let blob = recording.blob(container.name(), "big.bin");
    let recorded = blob.upload_opts(data.clone(), &options).await.unwrap();
    assert_eq!(recorded.blocks, 16);
    assert_eq!(blob.properties().await.unwrap().content.content_md5.as_deref(), Some(&md5[..]), "stored MD5");
    recording.save_recordings().unwrap();
    drop(recording);
    assert!(std::fs::metadata(&path).unwrap().len() < 64 * 1024, "blocks are kept as hashes");
    assert!(!dir.join("upload.bodies").exists(), "no sidecar for request bodies");

    // Replay: every Put Block must carry a body with the recorded SHA-256,
    // in whatever order the 8 uploaders send them.
    let replay = replayer(&path, SimulationOptions::new());
    let blob = replay.blob(container.name(), "big.bin");
    let replayed = blob.upload_opts(data, &options).await.unwrap();
    assert_eq!((replayed.etag, replayed.blocks, replayed.content_md5), (recorded.etag, 16, Some(md5)));
    assert_eq!(blob.properties().await.unwrap().content.content_md5.as_deref(), Some(&md5[..]));
    let stats = replay.simulation_stats().unwrap();
    assert_eq!((stats.replayed, stats.unused), (18, 0), "16 blocks, the block list, the properties");
}

#[tokio::test]
async fn load_recordings_switches_cassettes_and_live_clients_have_none() {
    let client = replayer(&hand_cassette("put_get.json"), SimulationOptions::new());
    client.load_recordings(hand_cassette("sequential_copy_poll.json")).unwrap();
    let head = Request::new("GetBlobProperties", Method::HEAD, client.blob("cont", "copy").url().unwrap());
    // The first unused matching interaction in recorded order answers: the
    // first poll (the copy itself, a PUT, does not match).
    let response = client.send_raw(head).await.unwrap();
    assert_eq!(response.header("x-ms-copy-status"), Some("pending"));
    assert_eq!(client.simulation_stats().unwrap().unused, 3);
    assert!(client.load_recordings("/no/such/cassette.json").is_err());

    let live = ClientBuilder::new().endpoint(ENDPOINT).build().unwrap();
    assert!(live.simulation_stats().is_none());
    assert_eq!(live.save_recordings().unwrap_err().kind(), ErrorKind::InvalidInput);
    let err = ClientBuilder::new().endpoint(ENDPOINT).simulation(SimulationMode::Replay, "/no/such.json").build();
    assert!(err.unwrap_err().to_string().contains("cannot read the cassette"));
}

/// A token credential that must never be asked: getting a token needs the network.
#[derive(Debug)]
struct NeverAskedToken;

impl azblob::auth::TokenCredential for NeverAskedToken {
    fn get_token<'a>(&'a self, _scopes: &'a [&'a str]) -> BoxFuture<'a, azblob::Result<azblob::auth::AccessToken>> {
        panic!("a replaying client asked its token credential for a token")
    }
}

#[tokio::test]
async fn a_replaying_client_with_a_token_credential_works_offline() {
    // Entra ID tokens come from the network, so a replay signs anonymously
    // (the cassette holds no `Authorization` anyway) and never asks for one.
    let client = ClientBuilder::new()
        .endpoint(ENDPOINT)
        .token_credential(Arc::new(NeverAskedToken))
        .simulation(SimulationMode::Replay, hand_cassette("put_get.json"))
        .build()
        .unwrap();
    let blob = client.blob("hand", "hello.txt");
    let options = azblob::PutBlobOptions { metadata: [("run".into(), "7".into())].into(), ..Default::default() };
    assert_eq!(blob.put_opts("hello", &options).await.unwrap().etag.0, "\"0x8DC0000000000001\"");
    assert_eq!(&blob.download().await.unwrap()[..], b"hello");
    let bytes = client.blob("hand", "bytes.bin").download().await.unwrap();
    assert_eq!(bytes, (0..=255u8).collect::<Vec<u8>>());
    assert_eq!(client.simulation_stats().unwrap().unused, 0, "every interaction was replayed");
}
