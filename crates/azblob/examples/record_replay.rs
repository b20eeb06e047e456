//! Records a session against the service into a cassette, then replays it
//! offline: no network, no credential, the same answers.
//!
//! ```text
//! cargo run -p azblob --example record_replay            # record, then replay
//! cargo run -p azblob --example record_replay -- replay  # replay the saved cassette only
//! ```
//!
//! Configuration comes from the environment: `AZURE_STORAGE_CONNECTION_STRING`
//! (or `AZURE_STORAGE_ACCOUNT` with a key, a SAS or Microsoft Entra ID), else
//! the local emulator's development storage; the container is
//! `AZBLOB_EXAMPLE_CONTAINER` (default `examples`) and must exist, and the
//! cassette `AZBLOB_EXAMPLE_CASSETTE` (default a file in the temporary
//! directory). The format is `docs/cassette-format.md`.

// An example reports to its user on stdout.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;

use azblob::sim::SimulationMode;
use azblob::{BlobServiceClient, ClientBuilder, ListBlobsOptions};
use futures_util::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let container = std::env::var("AZBLOB_EXAMPLE_CONTAINER").unwrap_or_else(|_| "examples".into());
    let cassette = std::env::var_os("AZBLOB_EXAMPLE_CASSETTE")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("azblob-example-session.json"));
    let replay_only = std::env::args().nth(1).as_deref() == Some("replay");

    let (endpoint, live) = if replay_only {
        // Replay needs only the endpoint the session was recorded against,
        // so that the requests' paths match the cassette's.
        (configured()?.build()?.endpoint().to_string(), None)
    } else {
        // Recording goes to the service for real. The recorder sits below
        // signing and strips what signs a request (Authorization, a SAS's
        // `sig`, keys, tokens) before anything is kept.
        let recorder = configured()?.simulation(SimulationMode::Record, &cassette).build()?;
        let live = session(&recorder, &container).await?;
        // Saving refuses a cassette in which the detector still finds
        // anything shaped like a secret.
        recorder.save_recordings()?;
        let recorded = recorder.simulation_stats().map_or(0, |s| s.recorded);
        println!("recorded {recorded} exchanges to {}: {live}", cassette.display());
        (recorder.endpoint().to_string(), Some(live))
    };

    // A replaying client has no credential at all: the cassette answers,
    // and a request it holds no answer for fails with a diff of the
    // nearest recorded one.
    let replayer = ClientBuilder::new().endpoint(endpoint).simulation(SimulationMode::Replay, &cassette).build()?;
    let offline = session(&replayer, &container).await?;
    let replayed = replayer.simulation_stats().map_or(0, |s| s.replayed);
    println!("replayed {replayed} exchanges offline: {offline}");
    if let Some(live) = live {
        if live != offline {
            return Err(format!("the replay read something else than the recording: {live} / {offline}").into());
        }
        println!("the replay read what the recording did");
    }
    Ok(())
}

/// The session under test: write a blob, read it back, list it, delete it.
/// It must send the same requests every time for a replay to answer them.
async fn session(client: &BlobServiceClient, container: &str) -> azblob::Result<String> {
    let blob = client.blob(container, "record-replay/hello.txt");
    blob.put("hello from a cassette").await?;
    let content = blob.download().await?;
    let options = ListBlobsOptions { prefix: Some("record-replay/".into()), ..ListBlobsOptions::default() };
    let listed: Vec<_> = client.container(container).list_blobs_opts(&options).try_collect().await?;
    blob.delete().await?;
    Ok(format!("read {:?}, listed {} blob(s), deleted it", String::from_utf8_lossy(&content), listed.len()))
}

/// The environment's account, or the emulator's development storage when
/// nothing is configured.
fn configured() -> azblob::Result<ClientBuilder> {
    let vars = ["AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_BLOB_ENDPOINT"];
    match vars.iter().any(|v| std::env::var_os(v).is_some()) {
        true => ClientBuilder::from_env(),
        false => ClientBuilder::from_connection_string("UseDevelopmentStorage=true"),
    }
}
