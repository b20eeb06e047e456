//! The `azblob` binary against Azurite: `cp` up and down, JSON output, errors.

#[path = "../../azblob/tests/support/mod.rs"]
mod support;

use std::process::{Command, Output};

use support::{endpoints, new_container};

fn azblob(args: &[&str]) -> Output {
    let cs = format!(
        "DefaultEndpointsProtocol=http;AccountName={};AccountKey={};BlobEndpoint={}",
        azblob::DEV_ACCOUNT,
        azblob::DEV_ACCOUNT_KEY,
        endpoints().http
    );
    Command::new(env!("CARGO_BIN_EXE_azblob"))
        .args(args)
        .env("AZURE_STORAGE_CONNECTION_STRING", cs)
        .env_remove("AZURE_STORAGE_ACCOUNT")
        .output()
        .expect("run azblob")
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
