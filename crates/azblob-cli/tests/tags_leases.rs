//! `azblob tag`, `find`, `lease`, `cp --tags`, `ls --tags` and `--lease-id`
//! on writes, against Azurite, with their `--json` output parsed.

mod binary;
#[path = "../../azblob/tests/support/mod.rs"]
mod support;

use std::process::Output;

use azblob::{ContainerClient, Tags};
use binary::emulator_command;
use serde_json::{json, Value};
use support::{new_container, scratch};

fn azblob(args: &[&str]) -> Output {
    emulator_command(args).output().expect("run azblob")
}

fn ok(output: &Output) -> String {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn failed(output: &Output) -> String {
    assert!(!output.status.success(), "stdout: {}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json_lines(output: &Output) -> Vec<Value> {
    ok(output).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

fn json(output: &Output) -> Value {
    let mut lines = json_lines(output);
    assert_eq!(lines.len(), 1, "one JSON object: {lines:?}");
    lines.remove(0)
}

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

async fn container() -> (ContainerClient, String) {
    let container = new_container(&support::client(), "clitags").await;
    let url = format!("az://{}", container.name());
    (container, url)
}

#[tokio::test]
async fn tag_prints_and_replaces_tags() {
    let (container, root) = container().await;
    let blob = container.blob("b.txt");
    blob.put("x").await.unwrap();
    let url = format!("{root}/b.txt");

    assert_eq!(ok(&azblob(&["tag", &url, "stage=prod", "path=a/b c"])), "", "a replacement prints nothing");
    assert_eq!(blob.get_tags().await.unwrap(), tags(&[("stage", "prod"), ("path", "a/b c")]));
    assert_eq!(ok(&azblob(&["tag", &url])), "path=a/b c\nstage=prod\n");
    assert_eq!(json(&azblob(&["tag", &url, "--json"])), json!({ "path": "a/b c", "stage": "prod" }));
    assert_eq!(json(&azblob(&["tag", &url, "run=42", "--json"])), json!({ "run": "42" }));
    assert_eq!(blob.get_tags().await.unwrap(), tags(&[("run", "42")]));

    // Refused before sending: the tags stay as they were.
    let err = failed(&azblob(&["tag", &url, "k=caf\u{e9}"]));
    assert!(err.contains("tags allow letters"), "{err}");
    let err = failed(&azblob(&["tag", &url, "novalue"]));
    assert!(err.contains("KEY=VALUE"), "{err}");
    assert_eq!(blob.get_tags().await.unwrap(), tags(&[("run", "42")]));

    ok(&azblob(&["tag", &url, "--clear"]));
    assert!(blob.get_tags().await.unwrap().is_empty());
}

#[tokio::test]
async fn cp_tags_ls_tags_and_find() {
    let (container, root) = container().await;
    let dir = scratch("clitags");
    let file = dir.join("data.txt");
    std::fs::write(&file, "payload").unwrap();
    let run = container.name().to_owned();
    let run_tag = format!("run={run}");
    let file = file.to_str().unwrap();

    ok(&azblob(&["cp", file, &format!("{root}/a.txt"), "--tags", "stage=prod", "--tags", &run_tag, "--no-progress"]));
    ok(&azblob(&["cp", file, &format!("{root}/b.txt"), "--tags", "stage=dev", "--tags", &run_tag, "--no-progress"]));
    // Blob to blob: the copy gets the tags given, not the source's.
    ok(&azblob(&[
        "cp",
        &format!("{root}/a.txt"),
        &format!("{root}/c.txt"),
        "--tags",
        "stage=prod",
        "--tags",
        &run_tag,
    ]));
    assert_eq!(container.blob("a.txt").get_tags().await.unwrap(), tags(&[("stage", "prod"), ("run", &run)]));
    assert_eq!(container.blob("c.txt").get_tags().await.unwrap(), tags(&[("stage", "prod"), ("run", &run)]));

    let listed = json_lines(&azblob(&["ls", &root, "--tags", "--json"]));
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[1]["name"], "b.txt");
    assert_eq!(listed[1]["tags"], json!({ "stage": "dev", "run": run }));
    let untagged = json_lines(&azblob(&["ls", &root, "--json"]));
    assert_eq!(untagged[1]["tags"], json!({}), "tags only with --tags");
    let human = ok(&azblob(&["ls", &root, "--tags"]));
    assert!(human.lines().any(|l| l.contains("b.txt") && l.contains("stage=dev")), "{human}");

    let expression = format!("stage = 'prod' AND run = '{run}'");
    let found = ok(&azblob(&["find", &expression, &root]));
    assert_eq!(found, format!("{root}/a.txt\n{root}/c.txt\n"));
    let everywhere = json_lines(&azblob(&["find", &expression, "--json"]));
    let mut names: Vec<(String, String)> = everywhere
        .iter()
        .map(|v| (v["container"].as_str().unwrap().to_owned(), v["name"].as_str().unwrap().to_owned()))
        .collect();
    names.sort();
    assert_eq!(names, [(run.clone(), "a.txt".to_owned()), (run.clone(), "c.txt".to_owned())]);
    assert_eq!(everywhere[0]["tags"]["stage"], "prod");

    let err = failed(&azblob(&["cp", file, &format!("{root}/d.txt"), "--tags", "bad&key=v", "--no-progress"]));
    assert!(err.contains("tags allow letters"), "{err}");
    assert!(!container.blob("d.txt").exists().await.unwrap(), "nothing uploaded with refused tags");
    let err = failed(&azblob(&["cp", &format!("{root}/a.txt"), dir.join("x").to_str().unwrap(), "--tags", "a=b"]));
    assert!(err.contains("not to a download"), "{err}");
}

#[tokio::test]
async fn lease_commands_and_lease_id_on_writes() {
    let (container, root) = container().await;
    let blob = container.blob("latest");
    blob.put("v1").await.unwrap();
    let url = format!("{root}/latest");
    let dir = scratch("clilease");
    let file = dir.join("v2.txt");
    std::fs::write(&file, "v2").unwrap();
    let file = file.to_str().unwrap();

    let acquired = json(&azblob(&["lease", "acquire", &url, "--duration", "15", "--json"]));
    assert_eq!(acquired["duration"], 15);
    let id = acquired["lease_id"].as_str().unwrap().to_owned();
    assert_eq!(json(&azblob(&["stat", &url, "--json"]))["lease_state"], "leased");

    // Writes without the lease id fail; with it they succeed.
    let err = failed(&azblob(&["cp", file, &url, "--no-progress"]));
    assert!(err.contains("LeaseIdMissing"), "{err}");
    assert_eq!(&blob.download().await.unwrap()[..], b"v1");
    ok(&azblob(&["cp", file, &url, "--lease-id", &id, "--no-progress"]));
    assert_eq!(&blob.download().await.unwrap()[..], b"v2");
    assert!(failed(&azblob(&["meta", &url, "k=v"])).contains("LeaseIdMissing"));
    ok(&azblob(&["meta", &url, "k=v", "--lease-id", &id]));
    ok(&azblob(&["tier", &url, "Cool", "--lease-id", &id]));
    ok(&azblob(&["tag", &url, "owner=me", "--lease-id", &id]));
    ok(&azblob(&["snapshot", &url, "--lease-id", &id]));
    assert!(failed(&azblob(&["rm", &url])).contains("LeaseIdMissing"));
    let err = failed(&azblob(&["lease", "acquire", &url]));
    assert!(err.contains("LeaseAlreadyPresent"), "{err}");

    assert_eq!(json(&azblob(&["lease", "renew", &url, "--lease-id", &id, "--json"])), json!({ "lease_id": id }));
    let new_id = "0a0b0c0d-0000-4000-8000-00000000000a";
    let changed = ok(&azblob(&["lease", "change", &url, "--lease-id", &id, "--proposed-lease-id", new_id]));
    assert_eq!(changed, format!("{new_id}\n"));
    // A change to the id the lease already has is allowed (and safe to repeat).
    let again = azblob(&["lease", "change", &url, "--lease-id", new_id, "--proposed-lease-id", new_id, "--json"]);
    assert_eq!(json(&again), json!({ "lease_id": new_id }));
    assert_eq!(
        json(&azblob(&["lease", "release", &url, "--lease-id", new_id, "--json"])),
        json!({ "released": new_id })
    );

    // Infinite, then broken at once; the plain line is the seconds left.
    let id = ok(&azblob(&["lease", "acquire", &url, "--duration", "infinite", "--lease-id", new_id]));
    assert_eq!(id.trim(), new_id);
    assert_eq!(
        json(&azblob(&["lease", "break", &url, "--break-period", "0", "--json"])),
        json!({ "break_seconds": 0 })
    );
    ok(&azblob(&["rm", &url, "--delete-snapshots", "include"]));
    assert!(!blob.exists().await.unwrap());

    let err = failed(&azblob(&["lease", "acquire", &url, "--duration", "10"]));
    assert!(err.contains("15 to 60 seconds"), "{err}");
    let err = failed(&azblob(&["lease", "renew", &url, "--lease-id", "nope"]));
    assert!(err.contains("not a GUID"), "{err}");
}
