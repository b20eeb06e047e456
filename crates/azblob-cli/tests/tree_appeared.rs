//! `cp -r DIR az://... --overwrite if-newer` when a blob appears after the
//! listing: the listing showed none, so the file would have been sent
//! without the newer-than check and replaced a newer blob. A
//! hierarchical-namespace account does this for names listed late (a
//! directory's contents right after it), and any writer can do it at any
//! time. Here a proxy in front of Azurite writes the blob itself, directly
//! to Azurite, when the CLI's first Put Blob for it arrives, and only then
//! lets that Put through: the blob exists, deterministically, after the
//! listing and before the write.

mod binary;
#[path = "../../azblob/tests/support/mod.rs"]
mod support;
mod tree_kit;

use std::collections::HashSet;
use std::process::Output;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use azblob::{Metadata, PutBlobOptions, MTIME_METADATA_KEY};
use azblob_testkit::{FaultProxy, HttpFault, ProxyOptions, RequestInfo, RetryHint};
use serde_json::Value;
use tree_kit::{lines, stderr};

/// What the other writer puts in place: its body and its stored mtime (seconds).
const WRITES: [(&str, &str, u64); 2] = [
    // Newer than the local file: it must survive.
    ("newer-elsewhere", "written elsewhere, newer", 1_800_000_000),
    // Older than the local file: the local file replaces it.
    ("older-elsewhere", "written elsewhere, older", 1_600_000_000),
];
/// The local files' mtime (seconds).
const LOCAL_MTIME: u64 = 1_700_000_000;

/// Writes `name` below `prefix` directly to Azurite, with a stored mtime, on a thread of its own.
fn write_directly(container: String, name: String, body: &'static str, mtime: u64) {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let options = PutBlobOptions {
                metadata: Metadata::from([(MTIME_METADATA_KEY.to_owned(), format!("{mtime}.0"))]),
                ..PutBlobOptions::default()
            };
            support::client().container(&container).blob(name).put_opts(body, &options).await.unwrap();
        });
    })
    .join()
    .unwrap();
}

/// A proxy plan: the first Put to each of `writes`' names below `prefix` in
/// `container` waits while the other writer puts its blob there; everything
/// else passes untouched.
fn appearing(
    container: &str,
    prefix: &'static str,
    writes: &'static [(&'static str, &'static str, u64)],
) -> impl Fn(&RequestInfo) -> HttpFault + Send + Sync + 'static {
    let container = container.to_owned();
    let written = Mutex::new(HashSet::new());
    move |r: &RequestInfo| {
        let path = r.target.split('?').next().unwrap_or_default();
        for &(file, body, mtime) in writes {
            let mine = r.method == "PUT" && path.ends_with(&format!("/{container}/{prefix}{file}"));
            if mine && written.lock().unwrap().insert(file) {
                write_directly(container.clone(), format!("{prefix}{file}"), body, mtime);
            }
        }
        HttpFault::Pass
    }
}

/// Runs `azblob args` against Azurite through a proxy with `plan`, with its
/// own state directory; the proxy is returned for its counts.
fn through_proxy(
    plan: impl Fn(&RequestInfo) -> HttpFault + Send + Sync + 'static,
    args: &[&str],
    state: &std::path::Path,
) -> (Output, FaultProxy) {
    let proxy = FaultProxy::to_url(&support::endpoints().http, plan, ProxyOptions::default()).unwrap();
    let connection = format!(
        "DefaultEndpointsProtocol=http;AccountName={};AccountKey={};BlobEndpoint={}",
        azblob::DEV_ACCOUNT,
        azblob::DEV_ACCOUNT_KEY,
        proxy.url_for(&support::endpoints().http)
    );
    let mut command = binary::emulator_command(args);
    command.env("AZURE_STORAGE_CONNECTION_STRING", connection).env("XDG_STATE_HOME", state);
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    (output, proxy)
}

#[tokio::test]
async fn if_newer_compares_with_a_blob_that_appeared_after_the_listing() {
    let container = support::new_container(&support::client(), "appeared").await;
    let dir = support::scratch("tree-appeared");
    let (src, state) = (dir.join("src"), dir.join("state"));
    std::fs::create_dir_all(&src).unwrap();
    let local_mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(LOCAL_MTIME);
    for name in ["fresh", "newer-elsewhere", "older-elsewhere"] {
        let path = src.join(name);
        std::fs::write(&path, format!("local {name}")).unwrap();
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(local_mtime).unwrap();
    }

    let dst = format!("az://{}/p/", container.name());
    let args = ["cp", "-r", src.to_str().unwrap(), &dst, "--overwrite", "if-newer", "--json", "--no-progress"];
    let (output, _proxy) = through_proxy(appearing(container.name(), "p/", &WRITES), &args, &state);
    let (files, summary) = lines(&output);

    let body = |name: &'static str| {
        let blob = container.blob(format!("p/{name}"));
        async move { String::from_utf8(blob.get().await.unwrap().bytes().await.unwrap().to_vec()).unwrap() }
    };
    assert_eq!(body("newer-elsewhere").await, "written elsewhere, newer", "a newer blob is never replaced");
    assert_eq!(body("older-elsewhere").await, "local older-elsewhere", "an older one is");
    assert_eq!(body("fresh").await, "local fresh");

    let status = |name: &str| -> Value {
        let line = files.iter().find(|l| l["from"] == name).unwrap_or_else(|| panic!("no line for {name}: {files:?}"));
        line["status"].clone()
    };
    assert_eq!(status("newer-elsewhere"), "skipped");
    assert_eq!(status("fresh"), "done");
    assert_eq!(status("older-elsewhere"), "done");
    assert_eq!((summary["files"].as_u64(), summary["failed"].as_u64()), (Some(2), Some(0)), "{summary}");
}

/// `sync` compares a blob that appeared after the listing as it would have
/// compared the listing's: the same size and mtime is skipped, not sent
/// again; a different one is replaced.
#[tokio::test]
async fn sync_compares_with_a_blob_that_appeared_after_the_listing() {
    let container = support::new_container(&support::client(), "appeared").await;
    let dir = support::scratch("tree-appeared-sync");
    let (src, state) = (dir.join("src"), dir.join("state"));
    std::fs::create_dir_all(&src).unwrap();
    let local_mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(LOCAL_MTIME);
    // `same` has the length of the blob that will appear for it, and other bytes.
    for (name, body) in [("same", "local file, of the same"), ("different", "local, different length")] {
        let path = src.join(name);
        std::fs::write(&path, body).unwrap();
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(local_mtime).unwrap();
    }
    const APPEARING: [(&str, &str, u64); 2] =
        [("same", "written elsewhere, same", LOCAL_MTIME), ("different", "written elsewhere, other", LOCAL_MTIME + 5)];
    let dst = format!("az://{}/p/", container.name());
    let args = ["sync", src.to_str().unwrap(), &dst, "--json", "--no-progress"];
    let (output, _proxy) = through_proxy(appearing(container.name(), "p/", &APPEARING), &args, &state);
    let (files, summary) = lines(&output);

    let body = |name: &'static str| {
        let blob = container.blob(format!("p/{name}"));
        async move { String::from_utf8(blob.get().await.unwrap().bytes().await.unwrap().to_vec()).unwrap() }
    };
    assert_eq!(body("same").await, "written elsewhere, same", "the same size and mtime is not sent again");
    assert_eq!(body("different").await, "local, different length");
    let line = |name: &str| files.iter().find(|l| l["from"] == name).cloned().unwrap_or(Value::Null);
    assert_eq!(line("same")["status"], "skipped", "{files:?}");
    assert_eq!(line("same")["reason"], "same size and modification time");
    assert_eq!(line("different")["status"], "done");
    assert_eq!((summary["files"].as_u64(), summary["failed"].as_u64()), (Some(1), Some(0)), "{summary}");
}

/// A file sent with `If-None-Match: *` is not idempotent, but a 503 or 429
/// is the service refusing it before acting: the write is repeated, and a
/// throttled first sync ends complete instead of failing each refused file.
#[tokio::test]
async fn a_refused_create_only_write_is_repeated() {
    let container = support::new_container(&support::client(), "appeared").await;
    let dir = support::scratch("tree-appeared-503");
    let (src, state) = (dir.join("src"), dir.join("state"));
    std::fs::create_dir_all(&src).unwrap();
    for name in ["a", "b", "c"] {
        std::fs::write(src.join(name), format!("local {name}")).unwrap();
    }
    // The first Put of each file is answered 503 without reaching Azurite.
    let refused = Mutex::new(HashSet::new());
    let plan = move |r: &RequestInfo| {
        if r.method == "PUT" && !r.target.contains("restype=") && refused.lock().unwrap().insert(r.target.clone()) {
            return HttpFault::Status { status: 503, hint: RetryHint::None };
        }
        HttpFault::Pass
    };
    let dst = format!("az://{}/p/", container.name());
    let args = ["sync", src.to_str().unwrap(), &dst, "--json", "--no-progress"];
    let (output, proxy) = through_proxy(plan, &args, &state);
    let (_, summary) = lines(&output);
    assert_eq!((summary["files"].as_u64(), summary["failed"].as_u64()), (Some(3), Some(0)), "{summary}");
    assert_eq!(proxy.injected().len(), 3, "each file was refused once");
    for name in ["a", "b", "c"] {
        let body = container.blob(format!("p/{name}")).get().await.unwrap().bytes().await.unwrap();
        assert_eq!(body, format!("local {name}").as_bytes());
    }
}

/// The files sent again after their comparison run as a second pass with
/// a limiter of its own; its backoffs count in the summary too.
#[tokio::test]
async fn the_second_passs_backoffs_count_in_the_summary() {
    let container = support::new_container(&support::client(), "appeared").await;
    let dir = support::scratch("tree-appeared-backoff");
    let (src, state) = (dir.join("src"), dir.join("state"));
    std::fs::create_dir_all(&src).unwrap();
    let path = src.join("older-elsewhere");
    std::fs::write(&path, "local older-elsewhere").unwrap();
    let local_mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(LOCAL_MTIME);
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(local_mtime).unwrap();
    const OLDER: [(&str, &str, u64); 1] = [("older-elsewhere", "written elsewhere, older", 1_600_000_000)];
    // The first Put meets the blob written meanwhile; the second, sent
    // with If-Match after the comparison, is answered 503 once.
    let appear = appearing(container.name(), "p/", &OLDER);
    let puts = Mutex::new(0);
    let plan = move |r: &RequestInfo| {
        if r.method == "PUT" && r.target.contains("/p/older-elsewhere") {
            let mut puts = puts.lock().unwrap();
            *puts += 1;
            if *puts == 2 {
                return HttpFault::Status { status: 503, hint: RetryHint::None };
            }
        }
        appear(r)
    };
    let dst = format!("az://{}/p/", container.name());
    let args = ["cp", "-r", src.to_str().unwrap(), &dst, "--overwrite", "if-newer", "--json", "--no-progress"];
    let (output, proxy) = through_proxy(plan, &args, &state);
    let (_, summary) = lines(&output);
    assert_eq!(proxy.injected().len(), 1, "the second pass's Put was refused once");
    assert_eq!((summary["files"].as_u64(), summary["failed"].as_u64()), (Some(1), Some(0)), "{summary}");
    assert_eq!(summary["concurrency_backoffs"].as_u64(), Some(1), "{summary}");
    let body = container.blob("p/older-elsewhere").get().await.unwrap().bytes().await.unwrap();
    assert_eq!(body, "local older-elsewhere".as_bytes());
}

/// The same between two prefixes (`cp -r az://c/s/ az://c/q/ --overwrite
/// if-newer`): a destination blob that appears after the listing refuses
/// the copy sent with `If-None-Match: *`, and is compared then.
#[tokio::test]
async fn a_prefix_copy_compares_with_a_blob_that_appeared_after_the_listing() {
    let container = support::new_container(&support::client(), "appeared").await;
    let dir = support::scratch("tree-appeared-copy");
    let state = dir.join("state");
    for name in ["fresh", "newer-elsewhere", "older-elsewhere"] {
        let options = PutBlobOptions {
            metadata: Metadata::from([(MTIME_METADATA_KEY.to_owned(), format!("{LOCAL_MTIME}.0"))]),
            ..PutBlobOptions::default()
        };
        container.blob(format!("s/{name}")).put_opts(format!("source {name}"), &options).await.unwrap();
    }
    let (src, dst) = (format!("az://{}/s/", container.name()), format!("az://{}/q/", container.name()));
    let args = ["cp", "-r", &src, &dst, "--overwrite", "if-newer", "--json", "--no-progress"];
    let (output, _proxy) = through_proxy(appearing(container.name(), "q/", &WRITES), &args, &state);
    let (files, summary) = lines(&output);

    let body = |name: &'static str| {
        let blob = container.blob(format!("q/{name}"));
        async move { String::from_utf8(blob.get().await.unwrap().bytes().await.unwrap().to_vec()).unwrap() }
    };
    assert_eq!(body("newer-elsewhere").await, "written elsewhere, newer", "a newer blob is never replaced");
    assert_eq!(body("older-elsewhere").await, "source older-elsewhere", "an older one is");
    assert_eq!(body("fresh").await, "source fresh");
    let status = |name: &str| -> Value {
        let from = format!("az://{}/s/{name}", container.name());
        let line = files.iter().find(|l| l["from"] == from.as_str()).unwrap_or_else(|| panic!("{name}: {files:?}"));
        line["status"].clone()
    };
    assert_eq!(status("newer-elsewhere"), "skipped");
    assert_eq!(status("older-elsewhere"), "done");
    assert_eq!((summary["files"].as_u64(), summary["failed"].as_u64()), (Some(2), Some(0)), "{summary}");
}
