//! The `azblob` binary against Azurite: `cp` up and down, JSON output, errors.

mod binary;
#[path = "../../azblob/tests/support/mod.rs"]
mod support;

use std::process::{Command, Output};

use binary::emulator_command;
use support::{endpoints, new_container};

/// The `azblob` binary with the emulator's connection string and its own state directory.
fn command(args: &[&str], state: &std::path::Path) -> Command {
    let mut command = emulator_command(args);
    command.env("XDG_STATE_HOME", state);
    command
}

fn azblob_with_state(args: &[&str], state: &std::path::Path) -> Output {
    command(args, state).output().expect("run azblob")
}

fn azblob(args: &[&str]) -> Output {
    azblob_with_state(args, &azblob_testkit::scratch_dir().join("cli-state"))
}

fn json(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "one JSON line: {text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn cp_up_and_down_with_json() {
    let container = new_container(&support::client(), "cli").await;
    let dir = azblob_testkit::scratch_dir().join(support::unique_name("cli"));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("in.bin");
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&source, &data).unwrap();
    let target = format!("az://{}/nested/in.bin", container.name());

    let up = json(&azblob(&[
        "cp",
        source.to_str().unwrap(),
        &target,
        "--json",
        "--content-type",
        "application/x-test",
        "--metadata",
        "run=7",
    ]));
    assert_eq!(up["bytes"], 100_000);
    for field in ["seconds", "mb_per_s", "blocks", "resumed_blocks"] {
        assert!(up[field].is_number(), "{field} in {up}");
    }
    let props = container.blob("nested/in.bin").properties().await.unwrap();
    assert_eq!(props.content.content_type.as_deref(), Some("application/x-test"));
    assert_eq!(props.metadata.get("run").map(String::as_str), Some("7"));

    let out = dir.join("out.bin");
    let down = json(&azblob(&["cp", &target, out.to_str().unwrap(), "--json"]));
    assert_eq!(down["bytes"], 100_000);
    assert_eq!(std::fs::read(&out).unwrap(), data);

    // Into a directory: the blob's base name is kept.
    let into = dir.join("into");
    std::fs::create_dir_all(&into).unwrap();
    json(&azblob(&["cp", &target, into.to_str().unwrap(), "--json"]));
    assert_eq!(std::fs::read(into.join("in.bin")).unwrap(), data);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn cp_to_stdout_and_errors_are_one_line() {
    let container = new_container(&support::client(), "cli").await;
    container.blob("hello.txt").put("hello stdout").await.unwrap();
    let output = azblob(&["cp", &format!("az://{}/hello.txt", container.name()), "-"]);
    assert!(output.status.success());
    assert_eq!(output.stdout, b"hello stdout");

    let missing = azblob(&["cp", &format!("az://{}/missing.txt", container.name()), "-"]);
    assert!(!missing.status.success());
    let stderr = String::from_utf8(missing.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not found"), "{stderr}");
    assert!(missing.stdout.is_empty());

    let bad = azblob(&["cp", "/definitely/not/here.bin", &format!("az://{}/x", container.name())]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cannot read"), "{}", String::from_utf8_lossy(&bad.stderr));
}

#[tokio::test]
async fn cp_uses_blocks_with_block_size_and_concurrency() {
    let container = new_container(&support::client(), "cliblocks").await;
    let dir = azblob_testkit::scratch_dir().join(support::unique_name("cliblocks"));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("in.bin");
    let data: Vec<u8> = (0..300 * 1024u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&source, &data).unwrap();
    let target = format!("az://{}/blocks.bin", container.name());
    let state = dir.join("state");
    let up = azblob_with_state(
        &["cp", source.to_str().unwrap(), &target, "--block-size", "64KiB", "--concurrency", "2", "--md5", "--json"],
        &state,
    );
    let up = json(&up);
    assert_eq!(up["blocks"], 5);
    assert_eq!(up["resumed_blocks"], 0);
    // Five Put Blocks and the commit, none repeated or throttled.
    assert_eq!((&up["requests"], &up["retries"], &up["throttled"]), (&6.into(), &0.into(), &0.into()), "{up}");
    assert!(up["service_seconds"].as_f64().is_some_and(|s| s > 0.0), "{up}");
    let checkpoints = state.join("azblob/checkpoints");
    assert!(!checkpoints.exists() || std::fs::read_dir(&checkpoints).unwrap().count() == 0, "checkpoint removed");

    let out = dir.join("out.bin");
    let down = json(&azblob(&["cp", &target, out.to_str().unwrap(), "--block-size", "100KiB", "--md5", "--json"]));
    assert_eq!(down["blocks"], 3, "three ranged GETs");
    assert_eq!(down["requests"], 3, "{down}");
    assert_eq!(std::fs::read(&out).unwrap(), data);

    let bad = azblob(&["cp", source.to_str().unwrap(), &target, "--block-size", "4 parsecs"]);
    assert!(!bad.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_killed_upload_resumes_with_resume() {
    let client = support::client();
    let container = new_container(&client, "cliresume").await;
    let dir = azblob_testkit::scratch_dir().join(support::unique_name("cliresume"));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("big.bin");
    let data: Vec<u8> = (0..24 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(&source, &data).unwrap();
    let target = format!("az://{}/big.bin", container.name());
    let state = dir.join("state");
    let args = ["cp", source.to_str().unwrap(), &target, "--block-size", "1MiB", "--concurrency", "1", "--no-progress"];

    let mut child = command(&args, &state).spawn().unwrap();
    // Wait until a few blocks are staged, then kill the process outright.
    let blob = container.blob("big.bin");
    let staged = || async {
        let mut url = blob.url().unwrap();
        url.query_pairs_mut().append_pair("comp", "blocklist").append_pair("blocklisttype", "uncommitted");
        match client
            .send_raw(azblob::transport::Request::new("GetBlockList", azblob::transport::Method::GET, url))
            .await
        {
            Ok(r) => String::from_utf8_lossy(&r.body.bytes().await.unwrap()).matches("<Block>").count(),
            Err(_) => 0,
        }
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while staged().await < 3 {
        assert!(std::time::Instant::now() < deadline, "the upload never staged blocks");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!blob.exists().await.unwrap(), "killed before the commit");

    let resumed = json(&command(&[&args[..], &["--resume", "--json"]].concat(), &state).output().unwrap());
    assert_eq!(resumed["blocks"], 24);
    let resumed_blocks = resumed["resumed_blocks"].as_u64().unwrap();
    assert!(resumed_blocks >= 3, "{resumed}");
    assert!(blob.download().await.unwrap() == data);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `azblob` with only an endpoint nobody listens on: no connection string, no key.
fn offline(args: &[&str], state: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_azblob"))
        .args(args)
        .env_remove("AZURE_STORAGE_CONNECTION_STRING")
        .env_remove("AZURE_STORAGE_ACCOUNT")
        .env("AZURE_STORAGE_BLOB_ENDPOINT", "http://127.0.0.1:9/devstoreaccount1")
        .env("XDG_STATE_HOME", state)
        .output()
        .expect("run azblob")
}

#[tokio::test]
async fn commands_recorded_into_one_directory_each_replay_offline() {
    let container = new_container(&support::client(), "clisim").await;
    let dir = azblob_testkit::scratch_dir().join(support::unique_name("clisim"));
    let cassettes = dir.join("cassettes");
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap();
    let source = dir.join("in.bin");
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&source, &data).unwrap();
    let target = format!("az://{}/in.bin", container.name());
    let (src, out) = (source.to_str().unwrap(), dir.join("out.bin"));
    let record = cassettes.to_str().unwrap();
    let upload = ["cp", src, &target, "--block-size", "16KiB", "--concurrency", "4", "--json", "--no-progress"];
    let download = ["cp", &target, out.to_str().unwrap(), "--json", "--no-progress"];
    let to_stdout = ["cp", &target, "-", "--no-progress"];

    let missing_blob = format!("az://{}/missing.bin", container.name());
    let missing = ["cp", &missing_blob, "-", "--no-progress"];
    for args in [&upload[..], &download[..], &to_stdout[..]] {
        let output = azblob_with_state(&[&["--record", record][..], args].concat(), &state);
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    }
    let failed = azblob_with_state(&[&["--record", record][..], &missing[..]].concat(), &state);
    assert!(!failed.status.success(), "the blob does not exist");
    let names = std::fs::read_dir(&cassettes)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "json"));
    assert_eq!(names.count(), 4, "one cassette per command line, failed ones too");
    std::fs::remove_file(&out).unwrap();

    // Replays: the same command lines, no emulator, no credentials.
    let replay = |args: &[&str]| offline(&[args, &["--replay", record][..]].concat(), &state);
    let up = json(&replay(&upload));
    assert_eq!((up["bytes"].as_u64(), up["blocks"].as_u64()), (Some(100_000), Some(7)));
    let down = json(&replay(&download));
    assert_eq!(down["bytes"], 100_000);
    assert_eq!(std::fs::read(&out).unwrap(), data);
    let piped = replay(&to_stdout);
    assert!(piped.status.success(), "{}", String::from_utf8_lossy(&piped.stderr));
    assert_eq!(piped.stdout, data);

    // A recorded failure replays as the same failure.
    let replayed_failure = replay(&missing);
    assert!(!replayed_failure.status.success());
    assert_eq!(String::from_utf8_lossy(&replayed_failure.stderr), String::from_utf8_lossy(&failed.stderr));

    // A command line never recorded has no cassette.
    let other = replay(&["cp", &format!("az://{}/other.bin", container.name()), "-", "--no-progress"]);
    assert!(!other.status.success());
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(stderr.contains("cannot read the cassette") && stderr.lines().count() == 1, "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn ls_a_container_url_with_its_own_sas() {
    let container = new_container(&support::client(), "clisas").await;
    for name in ["a.txt", "dir/b.txt"] {
        container.blob(name).put("x").await.unwrap();
    }
    let key = azblob::auth::SharedKeyCredential::new(azblob::DEV_ACCOUNT, azblob::DEV_ACCOUNT_KEY).unwrap();
    let expiry = std::time::SystemTime::now() + std::time::Duration::from_secs(600);
    let sas = azblob::auth::Sas::container(container.name(), "rl", expiry).sign(&key).unwrap();
    let url = format!("{}/{}/?{}", endpoints().http, container.name(), sas.to_query());
    // No configured credential at all: the URL's SAS is the only one.
    let output = Command::new(env!("CARGO_BIN_EXE_azblob"))
        .args(["ls", "--recursive", &url])
        .env_clear()
        .env("XDG_STATE_HOME", azblob_testkit::scratch_dir().join("cli-state"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("a.txt") && stdout.contains("dir/b.txt"), "{stdout}");

    // A URL that names no container fails without showing the signature.
    let signature = sas.get("sig").unwrap().to_owned();
    let bad = format!("{}/?{}", endpoints().http, sas.to_query());
    let output = Command::new(env!("CARGO_BIN_EXE_azblob")).args(["ls", &bad]).env_clear().output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("names no container") && !stderr.contains(&signature), "{stderr}");
    assert!(stderr.contains("sig=REDACTED"), "{stderr}");
}

#[test]
fn an_unreachable_endpoint_is_one_line_that_names_it_once() {
    // A port that was free a moment ago: nothing listens there now.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let signature = "c2VjcmV0LXNpZ25hdHVyZQ";
    let url = format!("http://127.0.0.1:{port}/devstoreaccount1/cont/?sv=2022-11-02&sr=c&sp=rl&sig={signature}");
    let output = Command::new(env!("CARGO_BIN_EXE_azblob"))
        .args(["ls", &url])
        .env_clear()
        .env("XDG_STATE_HOME", azblob_testkit::scratch_dir().join("cli-state"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&format!("http://127.0.0.1:{port}:")), "names the endpoint: {stderr}");
    assert_eq!(stderr.matches("could not connect").count(), 1, "the cause once: {stderr}");
    assert_eq!(stderr.matches("Connection refused").count(), 1, "the cause once: {stderr}");
    assert!(!stderr.contains(signature) && !stderr.contains("devstoreaccount1/cont"), "no path or SAS: {stderr}");
}

/// `AZBLOB_LOG_FORMAT=json`: every line on stderr is one JSON object, the
/// attempt's span fields named by OpenTelemetry's conventions; a format the
/// CLI does not know fails the command rather than logging nothing.
#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let container = new_container(&support::client(), "clilogs").await;
    container.blob("logged.txt").put("logged").await.unwrap();
    let state = azblob_testkit::scratch_dir().join("cli-state");
    let target = format!("az://{}/logged.txt", container.name());
    let output = command(&["stat", &target], &state)
        .env("AZBLOB_LOG", "azblob=debug")
        .env("AZBLOB_LOG_FORMAT", "json")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<serde_json::Value> =
        stderr.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    let answered = lines
        .iter()
        .find(|l| l["message"] == "response headers received")
        .unwrap_or_else(|| panic!("no attempt logged: {stderr}"));
    let attempt = answered["spans"].as_array().unwrap().iter().find(|s| s["name"] == "azblob.attempt").unwrap();
    assert_eq!(attempt["http.request.method"], "HEAD");
    assert_eq!(attempt["http.response.status_code"], 200);
    assert_eq!(attempt["azblob.container"], container.name());

    let bad = command(&["stat", &target], &state)
        .env("AZBLOB_LOG", "azblob=debug")
        .env("AZBLOB_LOG_FORMAT", "yaml")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("AZBLOB_LOG_FORMAT must be `text` or `json`"));
}
