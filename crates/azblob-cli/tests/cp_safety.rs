//! `azblob cp` does not tear, lose or silently clobber data (against Azurite):
//! an interrupted download leaves no `.partial` file, an interrupted upload
//! keeps its checkpoint and `--resume` completes it byte-exact, `--no-clobber` writes
//! nothing over an existing file or blob, `--md5` says whether it verified,
//! a copy onto itself is refused, `rm --recursive` stays in its directory,
//! and a reader that closes stdout early ends the command quietly.

mod binary;
#[path = "../../azblob/tests/support/mod.rs"]
mod support;

use azblob::UploadOptions;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use binary::emulator_command;
use support::{new_container, partials, scratch};

const KIB: u64 = 1024;

/// A running `azblob` whose debug log is read line by line.
#[cfg(unix)]
struct Logged {
    child: std::process::Child,
    lines: std::io::Lines<std::io::BufReader<std::process::ChildStderr>>,
}

#[cfg(unix)]
impl Logged {
    fn spawn(mut command: Command) -> Logged {
        use std::io::BufRead;
        let mut child =
            command.env("AZBLOB_LOG", "azblob=debug").stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
        let lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        Logged { child, lines }
    }

    /// Reads the log until `count` answers to `operation` have arrived.
    fn wait_for_answers(&mut self, operation: &str, count: usize) {
        let mut answered = 0;
        while answered < count {
            let line = self.lines.next().expect("the transfer logs its requests").unwrap();
            if line.contains(operation) && line.contains("response headers received") {
                answered += 1;
            }
        }
    }

    /// Sends SIG`signal` and waits for the exit, draining the log so the
    /// process never blocks on a full pipe.
    fn signal_and_wait(mut self, signal: &str) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args([&format!("-{signal}"), &pid]).status().unwrap().success());
        for line in self.lines {
            drop(line);
        }
        self.child.wait().unwrap()
    }
}

/// The `azblob` binary with the emulator's connection string and its state under `dir`.
fn command(args: &[&str], dir: &Path) -> Command {
    let mut command = emulator_command(args);
    command.env("XDG_STATE_HOME", dir.join("state"));
    command
}

fn run(args: &[&str], dir: &Path) -> Output {
    command(args, dir).output().expect("run azblob")
}

fn json(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Puts `len` bytes from blocks, so the blob has no stored MD5.
async fn blob_without_md5(blob: &azblob::BlobClient, len: u64) -> Vec<u8> {
    let bytes = azblob_testkit::pseudo_random_bytes(len, len);
    blob.upload_opts(
        bytes.clone(),
        &UploadOptions { block_size: 64 * KIB, single_put_max: 0, ..UploadOptions::default() },
    )
    .await
    .unwrap();
    bytes
}

#[cfg(unix)]
#[tokio::test]
async fn an_interrupted_download_leaves_no_partial_file() {
    let container = new_container(&support::client(), "cliint").await;
    // 256 ranged GETs one at a time: far longer than a signal takes.
    blob_without_md5(&container.blob("big"), 16 * 1024 * KIB).await;
    let source = format!("az://{}/big", container.name());
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let dir = scratch("cliint");
        let target = dir.join("out.bin");
        let args = ["cp", &source, target.to_str().unwrap(), "--block-size", "64KiB", "--concurrency", "1"];
        let mut child = Logged::spawn(command(&args, &dir));
        // The debug log shows each answer: after the third ranged GET the
        // temporary file exists and holds data.
        child.wait_for_answers("GetBlob", 3);
        assert_eq!(partials(&dir).len(), 1, "mid-download the data sits in a .partial file");
        let status = child.signal_and_wait(signal);
        assert_eq!(status.code(), Some(code), "SIG{signal}");
        assert!(partials(&dir).is_empty(), "SIG{signal} left {:?}", partials(&dir));
        assert!(!target.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[cfg(unix)]
#[tokio::test]
async fn an_interrupted_upload_keeps_its_checkpoint_and_resumes_byte_exact() {
    let container = new_container(&support::client(), "cliintup").await;
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let dir = scratch("cliintup");
        let source = dir.join("in.bin");
        // 64 blocks sent one at a time: far longer than a signal takes.
        let data = azblob_testkit::pseudo_random_bytes(4096 * KIB, 11);
        std::fs::write(&source, &data).unwrap();
        let name = format!("up-{signal}.bin");
        let target = format!("az://{}/{name}", container.name());
        let args = ["cp", source.to_str().unwrap(), &target, "--block-size", "64KiB", "--concurrency", "1", "--md5"];
        let mut child = Logged::spawn(command(&args, &dir));
        // The debug log shows each answer: after the third Put Block the
        // checkpoint is written and blocks are staged.
        child.wait_for_answers("PutBlock", 3);
        let status = child.signal_and_wait(signal);
        assert_eq!(status.code(), Some(code), "SIG{signal}");
        let blob = container.blob(&name);
        assert!(!blob.exists().await.unwrap(), "SIG{signal}: interrupted before the commit");
        let checkpoints = dir.join("state/azblob/checkpoints");
        assert_eq!(std::fs::read_dir(&checkpoints).unwrap().count(), 1, "SIG{signal} keeps the checkpoint");

        let resumed = json(&run(&[&args[..], &["--resume", "--json"]].concat(), &dir));
        assert_eq!(resumed["blocks"], 64, "{resumed}");
        assert!(resumed["resumed_blocks"].as_u64().unwrap() >= 3, "{resumed}");
        assert!(blob.download().await.unwrap() == data, "SIG{signal}: the resumed blob is byte-exact");
        assert_eq!(std::fs::read_dir(&checkpoints).unwrap().count(), 0, "the commit removes the checkpoint");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[tokio::test]
async fn no_clobber_writes_nothing_over_a_file_or_a_blob() {
    let container = new_container(&support::client(), "clinoclobber").await;
    let bytes = blob_without_md5(&container.blob("b"), 64 * KIB).await;
    let dir = scratch("clinoclobber");
    let blob = format!("az://{}/b", container.name());

    // Download over an existing file.
    let local = dir.join("local.bin");
    std::fs::write(&local, b"keep me").unwrap();
    let out = run(&["cp", &blob, local.to_str().unwrap(), "--no-clobber"], &dir);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not overwritten (--no-clobber)"), "{out:?}");
    assert_eq!(std::fs::read(&local).unwrap(), b"keep me");
    assert!(partials(&dir).is_empty());
    // Without the flag it is overwritten, as cp does.
    json(&run(&["cp", &blob, local.to_str().unwrap(), "--json"], &dir));
    assert_eq!(std::fs::read(&local).unwrap(), bytes);

    // Upload over an existing blob.
    std::fs::write(&local, b"other bytes").unwrap();
    let out = run(&["cp", local.to_str().unwrap(), &blob, "-n"], &dir);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not overwritten (--no-clobber)"), "{out:?}");
    assert_eq!(container.blob("b").download().await.unwrap(), bytes);
    // To a new blob it goes through.
    let fresh = format!("az://{}/fresh", container.name());
    json(&run(&["cp", local.to_str().unwrap(), &fresh, "-n", "--json"], &dir));

    // Blob to blob over an existing blob.
    let out = run(&["cp", &fresh, &blob, "--no-clobber"], &dir);
    assert!(!out.status.success(), "{out:?}");
    assert_eq!(container.blob("b").download().await.unwrap(), bytes);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn md5_reports_verification_and_fails_when_it_cannot_verify() {
    let container = new_container(&support::client(), "climd5").await;
    blob_without_md5(&container.blob("plain"), 2 * 64 * KIB).await;
    let dir = scratch("climd5");
    let plain = format!("az://{}/plain", container.name());
    let target = dir.join("out.bin");

    let out = run(&["cp", &plain, target.to_str().unwrap(), "--md5", "--json"], &dir);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot verify: the blob has no stored MD5"), "{stderr}");
    assert!(out.stdout.is_empty(), "no JSON line for a failure");
    assert!(!target.exists() && partials(&dir).is_empty(), "nothing written");

    let unchecked = json(&run(&["cp", &plain, target.to_str().unwrap(), "--json"], &dir));
    assert_eq!(unchecked["verified"], serde_json::Value::Null);

    let source = dir.join("in.bin");
    std::fs::write(&source, azblob_testkit::pseudo_random_bytes(3 * 64 * KIB, 3)).unwrap();
    let hashed = format!("az://{}/hashed", container.name());
    let up = json(&run(&["cp", source.to_str().unwrap(), &hashed, "--md5", "--block-size", "64KiB", "--json"], &dir));
    assert_eq!(up["verified"], "md5");
    let down = json(&run(&["cp", &hashed, target.to_str().unwrap(), "--md5", "--json"], &dir));
    assert_eq!(down["verified"], "md5");

    // The human line says it too.
    let out = run(&["cp", &hashed, target.to_str().unwrap(), "--md5"], &dir);
    assert!(String::from_utf8_lossy(&out.stderr).contains("MD5 verified"), "{out:?}");
    let out = run(&["cp", &plain, target.to_str().unwrap()], &dir);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not verified"), "{out:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn cp_of_a_blob_onto_itself_is_refused_and_changes_nothing() {
    let container = new_container(&support::client(), "cliself").await;
    let blob = container.blob("same.txt");
    blob.put(b"keep me".to_vec()).await.unwrap();
    let metadata: azblob::Metadata = [("owner".to_owned(), "ana".to_owned())].into();
    blob.set_metadata(&metadata).await.unwrap();
    let before = blob.properties().await.unwrap();
    let dir = scratch("cliself");
    let same = format!("az://{}/same.txt", container.name());
    // Spelt the same way, and once as the emulator's URL of the same blob.
    let url = blob.url().unwrap().to_string();
    for (from, to) in [(&same, &same), (&same, &url)] {
        for mode in [&[][..], &["--sync"][..], &["--async"][..]] {
            let mut args = vec!["cp", from.as_str(), to.as_str(), "--no-progress"];
            args.extend_from_slice(mode);
            let out = run(&args, &dir);
            assert!(!out.status.success(), "{args:?} succeeded");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("same blob"), "{args:?}: {stderr}");
        }
    }
    let after = blob.properties().await.unwrap();
    assert_eq!(after.metadata, metadata, "a copy onto itself would replace the metadata");
    assert_eq!(after.etag, before.etag, "nothing was written");
    assert_eq!(blob.download().await.unwrap(), &b"keep me"[..]);
}

#[tokio::test]
async fn rm_recursive_of_a_prefix_deletes_that_directory_only() {
    let container = new_container(&support::client(), "clirmdir").await;
    for name in ["logs", "logs/a", "logs/deep/b", "logs-old/c", "logsfoo"] {
        container.blob(name).put(name.as_bytes().to_vec()).await.unwrap();
    }
    let dir = scratch("clirmdir");
    let out = run(&["rm", "--recursive", &format!("az://{}/logs", container.name()), "--json"], &dir);
    assert_eq!(json(&out)["deleted"], 3, "logs, logs/a and logs/deep/b");
    for name in ["logs-old/c", "logsfoo"] {
        assert!(container.blob(name).exists().await.unwrap(), "{name} is not under logs/ and must stay");
    }
    for name in ["logs", "logs/a", "logs/deep/b"] {
        assert!(!container.blob(name).exists().await.unwrap(), "{name} is deleted");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn a_reader_that_stops_early_ends_cat_and_cp_quietly() {
    use std::io::Read;
    let container = new_container(&support::client(), "clipipe").await;
    // Far more than a pipe holds, so the writes meet the closed pipe.
    blob_without_md5(&container.blob("big"), 4 * 1024 * KIB).await;
    let source = format!("az://{}/big", container.name());
    let dir = scratch("clipipe");
    for args in [vec!["cat", source.as_str()], vec!["cp", source.as_str(), "-", "--no-progress"]] {
        let mut child = command(&args, &dir).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 1];
        stdout.read_exact(&mut first).unwrap();
        // `| head -c1`: the reader goes away after one byte.
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(out.status.success(), "{args:?} exited {:?}: {stderr}", out.status);
        assert!(stderr.is_empty(), "{args:?}: a closed pipe is not an error to report: {stderr}");
    }
}

#[tokio::test]
async fn ls_shows_control_characters_in_names_escaped_one_name_per_line() {
    let client = support::client();
    let container = new_container(&client, "clictl").await;
    // The library refuses such names, so the blob is put with a raw request,
    // as another tool could.
    let mut url = container.blob("x").url().unwrap();
    url.set_path(&format!("{}/evil%0Arm%20me%0Dok", container.url().unwrap().path()));
    let mut put = azblob::transport::Request::new("PutBlob", azblob::transport::Method::PUT, url);
    put.headers.insert("x-ms-blob-type", "BlockBlob".parse().unwrap());
    client.send_raw(put).await.unwrap();
    let dir = scratch("clictl");
    let out = run(&["ls", &format!("az://{}", container.name())], &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains('\r'), "a raw carriage return reaches the terminal: {stdout:?}");
    assert_eq!(stdout.lines().count(), 1, "one blob, one line: {stdout:?}");
    assert!(stdout.contains(r"evil\nrm me\rok"), "{stdout:?}");
}

#[tokio::test]
async fn cp_of_a_file_to_a_directory_url_names_the_blob_after_the_file() {
    let container = new_container(&support::client(), "clidir").await;
    let dir = scratch("clidir");
    let file = dir.join("report.txt");
    std::fs::write(&file, b"quarterly").unwrap();
    let target = format!("az://{}/reports/", container.name());
    let out = run(&["cp", file.to_str().unwrap(), &target, "--no-progress"], &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(container.blob("reports/report.txt").download().await.unwrap(), &b"quarterly"[..]);
    assert!(!container.blob("reports/").exists().await.unwrap(), "no blob named like a directory");
    // A blob-to-blob copy into a "directory" keeps the source's last segment.
    let archive = format!("az://{}/archive/", container.name());
    let source = format!("az://{}/reports/report.txt", container.name());
    let out = run(&["cp", &source, &archive, "--no-progress"], &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(container.blob("archive/report.txt").download().await.unwrap(), &b"quarterly"[..]);
    assert!(!container.blob("archive/").exists().await.unwrap());
    // Standard input has no name to give the blob.
    let out = command(&["cp", "-", &target, "--no-progress"], &dir).stdin(Stdio::null()).output().unwrap();
    assert!(!out.status.success());
    assert!(!container.blob("reports/").exists().await.unwrap());
}
