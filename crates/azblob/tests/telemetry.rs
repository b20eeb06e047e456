//! The spans a platform ingests, against Azurite: every attempt's span
//! carries OpenTelemetry's semantic-convention attributes (method, the URL
//! with its SAS signature redacted, server, status, resend count, the
//! service's request id, error type) and the operation, container and body
//! sizes, so `tracing-opentelemetry` exports them without mapping; JSON log
//! lines carry the same fields. A many-file job's files, tasks of their
//! own, keep the caller's span as their parent.
//!
//! One test in its own binary: it installs the process's global subscriber
//! before anything logs.

#[path = "support/logs.rs"]
mod logs;
mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use azblob::auth::{Sas, SharedKeyCredential};
use azblob::transport::Clock;
use azblob::{ClientBuilder, ErrorKind, DEV_ACCOUNT, DEV_ACCOUNT_KEY};
use azblob_testkit::{FaultProxy, HttpFault, ProxyOptions, RequestInfo, RetryHint};
use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use serde_json::Value;
use tracing::Instrument;

/// A clock that does not sleep, so the retry costs no time.
#[derive(Debug)]
struct NoSleep;

impl Clock for NoSleep {
    fn sleep(&self, _duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

/// The `azblob.attempt` span of a JSON line, if it has one.
fn attempt(line: &Value) -> Option<&Value> {
    line["spans"].as_array()?.iter().find(|span| span["name"] == "azblob.attempt")
}

/// The `azblob.operation` span of a JSON line, if it has one.
fn operation(line: &Value) -> Option<&Value> {
    line["spans"].as_array()?.iter().find(|span| span["name"] == "azblob.operation")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempt_spans_carry_the_semantic_convention_attributes() {
    let logs = logs::LogBuffer::default();
    tracing::subscriber::set_global_default(logs.subscriber()).unwrap();
    let direct = support::client();
    let container = support::new_container(&direct, "otel").await;

    // The first Put Blob is answered 503 by the proxy, so its repeat is a resend.
    let throttled = AtomicBool::new(false);
    let plan = move |r: &RequestInfo| {
        if r.method == "PUT" && !throttled.swap(true, Ordering::SeqCst) {
            HttpFault::Status { status: 503, hint: RetryHint::None }
        } else {
            HttpFault::Pass
        }
    };
    let proxy = FaultProxy::to_url(&support::endpoints().http, plan, ProxyOptions::default()).unwrap();
    let key = SharedKeyCredential::new(DEV_ACCOUNT, DEV_ACCOUNT_KEY).unwrap();
    let expiry = SystemTime::now() + Duration::from_secs(3600);
    let sas = Sas::container(container.name(), "racwdl", expiry).sign(&key).unwrap();
    let client = ClientBuilder::new()
        .endpoint(proxy.url_for(&support::endpoints().http))
        .account(DEV_ACCOUNT)
        .sas_token(&sas.to_query())
        .unwrap()
        .clock(Arc::new(NoSleep))
        .build()
        .unwrap();
    let blob = client.container(container.name()).blob("spans/a.txt");
    blob.put("eleven byte").await.unwrap();
    let missing = client.container(container.name()).blob("spans/missing.txt").download().await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    // A many-file job runs each file as a task of its own, in the caller's span.
    let dir = support::scratch("otel-files");
    std::fs::write(dir.join("f"), "file").unwrap();
    let job = azblob::FileJob { path: dir.join("f"), name: "spans/f".into(), ..azblob::FileJob::default() };
    let results: Vec<_> = client
        .container(container.name())
        .upload_files(futures_util::stream::iter([job]))
        .collect()
        .instrument(tracing::info_span!("caller_job"))
        .await;
    assert!(results[0].1.is_ok(), "{results:?}");

    let lines = logs.json_lines();
    let answers: Vec<(&Value, &Value)> = lines
        .iter()
        .filter(|line| line["message"] == "response headers received")
        .filter_map(|line| Some((attempt(line)?, operation(line)?)))
        .collect();
    let puts: Vec<&Value> = answers
        .iter()
        .filter(|(a, _)| a["azblob.operation"] == "PutBlob")
        .filter(|(a, _)| a["url.full"].as_str().is_some_and(|u| u.contains("/spans/a.txt?")))
        .map(|(a, _)| *a)
        .collect();
    assert_eq!(puts.len(), 2, "the 503 and its resend: {puts:#?}");
    let (first, resent) = (puts[0], puts[1]);
    assert_eq!(first["http.response.status_code"], 503);
    assert_eq!(first["error.type"], "503");
    assert!(first.get("http.request.resend_count").is_none(), "a first attempt has no resend count: {first}");
    assert_eq!(resent["http.request.resend_count"], 1);
    assert_eq!(resent["http.response.status_code"], 201);
    assert!(resent.get("error.type").is_none(), "a success has no error type: {resent}");
    for put in [first, resent] {
        assert_eq!(put["otel.kind"], "client");
        assert_eq!(put["http.request.method"], "PUT");
        assert_eq!(put["server.address"], "127.0.0.1");
        assert_eq!(put["server.port"].as_u64(), Some(u64::from(proxy.port())));
        assert_eq!(put["http.request.body.size"], 11);
        assert_eq!(put["azblob.container"], container.name());
        let url = put["url.full"].as_str().unwrap();
        assert!(url.contains("/spans/a.txt?") && url.contains("sig=REDACTED"), "{url}");
    }
    assert!(resent["az.service_request_id"].as_str().is_some_and(|id| !id.is_empty()), "{resent}");

    let get = answers
        .iter()
        .find(|(a, _)| a["http.request.method"] == "GET" && a["http.response.status_code"] == 404)
        .expect("the missing blob's GET");
    assert_eq!(get.0["error.type"], "404");
    assert_eq!(get.1["az.namespace"], "Microsoft.Storage");
    // The operation span records its outcome when its attempts are done.
    let closed = lines
        .iter()
        .filter(|line| line["message"] == "close")
        .map(|line| &line["span"])
        .find(|span| span["name"] == "azblob.operation" && span["http.response.status_code"] == 404)
        .expect("the missing blob's operation span, closed");
    assert_eq!(closed["error.type"], "404");
    assert_eq!(closed["otel.status_code"], "ERROR");

    let file_put = lines
        .iter()
        .filter(|line| line["message"] == "response headers received")
        .find(|line| attempt(line).is_some_and(|a| a["url.full"].as_str().is_some_and(|u| u.contains("/spans/f?"))))
        .expect("the job's Put Blob");
    let spans = file_put["spans"].as_array().unwrap();
    assert!(spans.iter().any(|span| span["name"] == "caller_job"), "the caller's span is lost: {spans:?}");

    let text = logs.text();
    assert!(!text.contains(sas.get("sig").unwrap()), "the SAS signature reached the logs");
}
