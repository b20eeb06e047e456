//! The conformance suite in replay, from `testdata/cassettes/`: no server,
//! no network, no credentials.
//!
//! The client points at a port nothing listens on and has no credential (or
//! a token credential that panics if asked); the simulation layer answers
//! every request, and each case must use every recorded exchange. Refresh the
//! cassettes with `cargo xtask record`.

mod conformance;

use std::sync::Arc;

use azblob::auth::AccessToken;
use azblob::auth::TokenCredential;
use azblob::sim::SimulationMode;
use azblob::transport::{HttpTransport, Request, Response, TransportError};
use azblob::ClientBuilder;
use futures_util::future::BoxFuture;

/// Nothing listens here: a request that reached the network would fail.
const DEAD_ENDPOINT: &str = "http://127.0.0.1:9/devstoreaccount1";

/// The wire of the replaying clients: reaching it is a bug, so it panics.
#[derive(Debug)]
struct NoNetwork;

impl HttpTransport for NoNetwork {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        panic!("a replay reached the network: {request:?}")
    }
}

/// A token credential that must never be asked: a token would need the network.
#[derive(Debug)]
struct NeverAskedToken;

impl TokenCredential for NeverAskedToken {
    fn get_token<'a>(&'a self, _scopes: &'a [&'a str]) -> BoxFuture<'a, azblob::Result<AccessToken>> {
        panic!("a replaying client asked its token credential for a token")
    }
}

/// Replays the case twice: with no credential, and with a token credential
/// (Entra ID), which a replaying client never asks, not even for a batch's
/// sub-requests or a copy's source. Then, where the TypeScript suite
/// recorded the same case (`testdata/cassettes/ts/`, written by
/// `AZBLOB_TS_RECORD=1` in `ts/`), its recording replays here too: one
/// design, one cassette format, either language's recordings.
async fn run(case_name: &str, case: conformance::Case) {
    replay(&conformance::cassette_path(case_name), case_name, case).await;
    let recorded_by_ts = typescript_recording(case_name);
    if recorded_by_ts.exists() {
        replay(&recorded_by_ts, case_name, case).await;
    }
}

/// The TypeScript suite's recording of a case.
fn typescript_recording(case_name: &str) -> std::path::PathBuf {
    azblob_testkit::workspace_root().join("testdata/cassettes/ts").join(format!("{case_name}.json"))
}

/// The TypeScript suite recorded the cases the port had when it was made;
/// each of them replays above, so none may go missing unnoticed.
#[test]
fn the_typescript_recordings_are_there_to_replay() {
    let dir = azblob_testkit::workspace_root().join("testdata/cassettes/ts");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".json").map(str::to_owned))
        .collect();
    for case in
        ["core_put_get_properties", "transfer_block_upload_concurrent", "manage_batch_delete_with_a_missing_name"]
    {
        assert!(names.iter().any(|n| n == case), "{case} missing from {}", dir.display());
    }
    assert!(names.len() >= 14, "{names:?}");
}

async fn replay(path: &std::path::Path, case_name: &str, case: conformance::Case) {
    for token in [false, true] {
        let mut builder = ClientBuilder::new().endpoint(DEAD_ENDPOINT).transport(Arc::new(NoNetwork));
        if token {
            builder = builder.token_credential(Arc::new(NeverAskedToken));
        }
        let client = builder
            .simulation(SimulationMode::Replay, path)
            .build()
            .unwrap_or_else(|e| panic!("{e}\n(record the cassettes with `cargo xtask record`)"));
        let container = conformance::create_container(&client, &conformance::container_name(case_name)).await;
        case(client.clone(), container).await;
        let stats = client.simulation_stats().unwrap();
        assert_eq!(stats.unused, 0, "every recorded exchange of {} is replayed: {stats:?}", path.display());
    }
}

conformance::conformance_suite!(run);
