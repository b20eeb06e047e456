//! `azblob cp` between blobs in server-side blocks (Put Block From URL)
//! against Azurite: the size chooses the operation, and a 600 MiB copy
//! killed with SIGKILL mid-copy resumes with `--resume`, staging only the
//! blocks the service does not hold, byte-exact (the SHA-256 of a download).

mod binary;
#[path = "../../azblob/tests/support/mod.rs"]
mod support;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use azblob::{Concurrency, UploadOptions};
use binary::emulator_command;
use sha2::{Digest as _, Sha256};
use support::{new_container, scratch};

const MIB: u64 = 1024 * 1024;

/// The `azblob` binary with the emulator's connection string and its state under `dir`.
fn command(args: &[&str], dir: &Path) -> Command {
    let mut command = emulator_command(args);
    command.env("XDG_STATE_HOME", dir.join("state"));
    command
}

fn json(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// `mib` MiB whose every MiB differs (its index in its first bytes), so a
/// block copied to the wrong place changes the MD5; made in milliseconds.
fn distinct_mebibytes(mib: u64) -> Vec<u8> {
    let base = azblob_testkit::pseudo_random_bytes(MIB, 600);
    let mut data = Vec::with_capacity((mib * MIB) as usize);
    for i in 0..mib {
        data.extend_from_slice(&i.to_le_bytes());
        data.extend_from_slice(&base[8..]);
    }
    data
}

fn digest_of_file(path: &Path) -> Vec<u8> {
    let mut file = std::fs::File::open(path).unwrap();
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 8 * MIB as usize];
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            return hasher.finalize().to_vec();
        }
        hasher.update(&buf[..n]);
    }
}

#[tokio::test]
async fn cp_between_blobs_chooses_by_size_and_blocks_can_be_forced() {
    let container = new_container(&support::client(), "cpblocks").await;
    let data = azblob_testkit::pseudo_random_bytes(3 * MIB + 5, 7);
    container.blob("src.bin").put(data.clone()).await.unwrap();
    let dir = scratch("cpblocks");
    let src = format!("az://{}/src.bin", container.name());
    let small =
        json(&command(&["cp", &src, &format!("az://{}/sync.bin", container.name()), "--json"], &dir).output().unwrap());
    assert_eq!(small["mode"], "sync", "up to 256 MiB: one Copy Blob From URL");
    let args =
        ["cp", &src, &format!("az://{}/blocks.bin", container.name()), "--blocks", "--block-size", "1MiB", "--json"];
    let forced = json(&command(&args, &dir).output().unwrap());
    assert_eq!((forced["mode"].as_str(), forced["blocks"].as_u64()), (Some("blocks"), Some(4)), "{forced}");
    for name in ["sync.bin", "blocks.bin"] {
        assert!(container.blob(name).download().await.unwrap() == data, "{name}");
    }
    // --resume continues block copies only: a synchronous copy has nothing to resume.
    let mut sync_resume =
        command(&["cp", &src, &format!("az://{}/r.bin", container.name()), "--sync", "--resume"], &dir);
    let refused = sync_resume.output().unwrap();
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("--resume applies to"));
    // --no-clobber: an existing destination is refused before a block is staged.
    let refused = command(&[&args[..], &["--no-clobber"]].concat(), &dir).output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not overwritten"));
}

#[cfg(unix)]
#[tokio::test]
async fn a_killed_600_mib_block_copy_resumes_byte_exact() {
    let client = support::client();
    let container = new_container(&client, "cpblocks600").await;
    let data = distinct_mebibytes(600);
    let expected = Sha256::digest(&data).to_vec();
    let upload = UploadOptions { block_size: 32 * MIB, concurrency: Concurrency::Fixed(4), ..Default::default() };
    container.blob("src.bin").upload_opts(data, &upload).await.unwrap();
    let dir = scratch("cpblocks600");
    let src = format!("az://{}/src.bin", container.name());
    let dst = format!("az://{}/dst.bin", container.name());
    // No --blocks: 600 MiB is over Copy Blob From URL's 256 MiB, so cp picks blocks.
    let args = ["cp", &src, &dst, "--block-size", "16MiB", "--concurrency", "2"];

    let mut child = command(&args, &dir)
        .env("AZBLOB_LOG", "azblob=debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap()));
    // The debug log shows each answer: after the third staged block, kill.
    let mut answered = 0;
    while answered < 3 {
        let line = lines.next().expect("the copy logs its requests").unwrap();
        if line.contains("PutBlockFromUrl") && line.contains("response headers received") {
            answered += 1;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    drop(lines);
    let target = container.blob("dst.bin");
    assert!(!target.exists().await.unwrap(), "killed before the commit");
    let checkpoints = dir.join("state/azblob/checkpoints");
    assert_eq!(std::fs::read_dir(&checkpoints).unwrap().count(), 1, "the checkpoint stays for --resume");

    let resumed = json(&command(&[&args[..], &["--resume", "--json"]].concat(), &dir).output().unwrap());
    assert_eq!(resumed["mode"], "blocks", "{resumed}");
    assert_eq!(resumed["blocks"], 38, "600 MiB in 16 MiB blocks: {resumed}");
    let again = resumed["resumed_blocks"].as_u64().unwrap();
    assert!((3..38).contains(&again), "the second run staged only the {} missing blocks: {resumed}", 38 - again);
    assert_eq!(std::fs::read_dir(&checkpoints).unwrap().count(), 0, "the commit removes the checkpoint");

    let out = dir.join("dst.bin");
    target.download_to_file(&out).await.unwrap();
    assert_eq!(digest_of_file(&out), expected, "the resumed copy is byte-exact");
    std::fs::remove_dir_all(&dir).unwrap();
    // 1.2 GB the shared emulator need not keep for the other tests.
    for name in ["src.bin", "dst.bin"] {
        container.blob(name).delete().await.unwrap();
    }
}
