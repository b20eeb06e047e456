//! The conformance suite against Azurite.
//!
//! By default each case runs live in a fresh container and writes nothing.
//! With `AZBLOB_RECORD=1` (`cargo xtask record`, which starts a fresh
//! emulator) each case records `testdata/cassettes/<case>.json` instead,
//! in a container with a fixed name so that replays send the same paths.

mod conformance;
mod support;

use azblob::sim::SimulationMode;

async fn run(case_name: &str, case: conformance::Case) {
    if std::env::var("AZBLOB_RECORD").is_ok_and(|v| v == "1") {
        let client = support::builder()
            .simulation(SimulationMode::Record, conformance::cassette_path(case_name))
            .simulation_options(conformance::options(case_name))
            .build()
            .unwrap();
        let container = conformance::create_container(&client, &conformance::container_name(case_name)).await;
        case(client.clone(), container).await;
        client.save_recordings().unwrap();
    } else {
        let client = support::client();
        let container = support::new_container(&client, "conf").await;
        case(client.clone(), container).await;
    }
}

conformance::conformance_suite!(run);
