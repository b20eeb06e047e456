//! The `azblob` binary behind a proxy: `--proxy`, the environment's variables and `--no-proxy`.

mod binary;
#[path = "../../azblob/tests/support/mod.rs"]
mod support;

use std::process::Output;

use azblob_testkit::ForwardProxy;
use binary::emulator_command;
use support::{endpoints, new_container};

const PROXY_VARS: [&str; 8] =
    ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"];

/// Runs the binary with none of the caller's proxy variables, plus `env`.
fn azblob(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = emulator_command(args);
    command.env("XDG_STATE_HOME", azblob_testkit::scratch_dir().join("cli-state"));
    for name in PROXY_VARS {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.output().expect("run azblob")
}

fn ok(output: &Output) -> String {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[tokio::test]
async fn proxy_flags_and_variables() {
    let container = new_container(&support::client(), "cliproxy").await;
    let dir = support::scratch("cliproxy");
    let source = dir.join("in.txt");
    std::fs::write(&source, "through the proxy").unwrap();
    let target = format!("az://{}/b.txt", container.name());
    let proxy = ForwardProxy::start().unwrap();

    ok(&azblob(&["--proxy", &proxy.url(), "cp", source.to_str().unwrap(), &target], &[]));
    let seen = proxy.seen().len();
    assert!(seen >= 1, "--proxy took the upload");
    assert!(proxy.seen().iter().all(|s| s.target.starts_with(&endpoints().http)), "{:?}", proxy.seen());

    let out = ok(&azblob(&["cat", &target], &[("HTTP_PROXY", &proxy.url())]));
    assert_eq!(out, "through the proxy");
    let after_env = proxy.seen().len();
    assert!(after_env > seen, "HTTP_PROXY took the read");

    let out = ok(&azblob(&["--no-proxy", "cat", &target], &[("HTTP_PROXY", &proxy.url())]));
    assert_eq!(out, "through the proxy");
    let out = ok(&azblob(&["cat", &target], &[("HTTP_PROXY", &proxy.url()), ("NO_PROXY", "127.0.0.1")]));
    assert_eq!(out, "through the proxy");
    assert_eq!(proxy.seen().len(), after_env, "--no-proxy and NO_PROXY went around it");

    let bad = azblob(&["--proxy", "socks5://user:hunter2@127.0.0.1:1", "cat", &target], &[]);
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("--proxy") && !stderr.contains("hunter2"), "{stderr}");
}
