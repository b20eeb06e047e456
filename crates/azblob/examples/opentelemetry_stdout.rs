//! Exports azblob's spans as OpenTelemetry spans, here to stdout.
//!
//! ```text
//! cargo run -p azblob --example opentelemetry_stdout
//! ```
//!
//! The library's spans already carry OpenTelemetry's semantic-convention
//! attribute names (`http.request.method`, `url.full` with any SAS signature
//! redacted, `server.address`, `http.response.status_code`,
//! `http.request.resend_count`, `az.service_request_id`, `error.type`), so a
//! `tracing-opentelemetry` layer exports them as they are: swap the stdout
//! exporter for an OTLP one to send them to a collector.
//!
//! Configuration comes from the environment: `AZURE_STORAGE_CONNECTION_STRING`
//! (or `AZURE_STORAGE_ACCOUNT` with a key, a SAS or Microsoft Entra ID), else
//! the local emulator's development storage; the container is
//! `AZBLOB_EXAMPLE_CONTAINER` (default `examples`).

// An example reports to its user on stdout.
#![allow(clippy::print_stdout)]

use azblob::ClientBuilder;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A simple (unbatched) exporter writes each span as it ends.
    let provider =
        SdkTracerProvider::builder().with_simple_exporter(opentelemetry_stdout::SpanExporter::default()).build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("azblob-example"));
    // Each REST call's `azblob.operation` span is at INFO, and the HTTP
    // attempts inside it at DEBUG.
    let subscriber =
        tracing_subscriber::registry().with(tracing_subscriber::EnvFilter::new("azblob=debug")).with(layer);
    tracing::subscriber::set_global_default(subscriber)?;

    let client = client()?;
    let container = std::env::var("AZBLOB_EXAMPLE_CONTAINER").unwrap_or_else(|_| "examples".into());
    let blob = client.blob(&container, "telemetry/hello.txt");
    blob.put("traced").await?;
    let read = blob.download().await?;
    blob.delete().await?;

    // Shutting down flushes what the exporter still holds.
    provider.shutdown()?;
    println!("exported the spans of 3 operations; read back {} bytes", read.len());
    Ok(())
}

/// The environment's account, or the emulator's development storage when
/// nothing is configured.
fn client() -> azblob::Result<azblob::BlobServiceClient> {
    let vars = ["AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_BLOB_ENDPOINT"];
    let builder = match vars.iter().any(|v| std::env::var_os(v).is_some()) {
        true => ClientBuilder::from_env()?,
        false => ClientBuilder::from_connection_string("UseDevelopmentStorage=true")?,
    };
    builder.build()
}
