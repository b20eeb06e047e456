//! `azblob cp --checksum md5|crc64|none` against Azurite: an upload's
//! blocks carry CRC64s that Azurite checks, and a CRC64 download from
//! Azurite, which computes none on reads, fails and writes nothing rather
//! than passing unchecked (what Azure answers is replayed in the library's
//! `replay_crc64.rs`).

mod binary;
#[path = "../../azblob/tests/support/mod.rs"]
mod support;

use std::process::Output;

use binary::emulator_command;
use support::{new_container, scratch};

fn run(args: &[&str]) -> Output {
    emulator_command(args).env("XDG_STATE_HOME", scratch("cli-checksum-state")).output().unwrap()
}

fn json(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn crc64_uploads_are_checked_and_crc64_downloads_refuse_to_pass_unchecked() {
    let container = new_container(&support::client(), "clicrc").await;
    let dir = scratch("cli-checksum");
    let file = dir.join("in.bin");
    let data = azblob_testkit::pseudo_random_bytes(3 * 1024 * 1024 + 17, 9);
    std::fs::write(&file, &data).unwrap();
    let blob = format!("az://{}/crc.bin", container.name());
    let args = [
        "cp",
        file.to_str().unwrap(),
        &blob,
        "--block-size",
        "1MiB",
        "--concurrency",
        "2",
        "--checksum",
        "crc64",
        "--json",
    ];
    let up = json(&run(&args));
    assert_eq!((up["verified"].as_str(), up["blocks"].as_u64()), (Some("crc64"), Some(4)), "{up}");
    assert!(container.blob("crc.bin").download().await.unwrap() == data);

    let out = dir.join("out.bin");
    let down = run(&["cp", &blob, out.to_str().unwrap(), "--checksum", "crc64"]);
    assert!(!down.status.success());
    let stderr = String::from_utf8_lossy(&down.stderr);
    assert!(stderr.contains("--checksum crc64: cannot verify") && stderr.contains("nothing was written"), "{stderr}");
    assert!(!out.exists());

    let none = json(&run(&["cp", &blob, out.to_str().unwrap(), "--checksum", "none", "--json"]));
    assert_eq!(none["verified"], serde_json::Value::Null);
    let both = run(&["cp", &blob, out.to_str().unwrap(), "--checksum", "crc64", "--md5"]);
    assert!(!both.status.success(), "--md5 is --checksum md5: not both");
    let md5 = json(&run(&["cp", file.to_str().unwrap(), &blob, "--checksum", "md5", "--json"]));
    assert_eq!(md5["verified"], "md5");
}
