//! `azblob`: the command-line tool over the azblob library.
//!
//! This crate is glue: it parses arguments, builds a client from the
//! environment and prints results. Errors are printed as one line.

mod cp;
mod location;
mod output;
mod progress;
mod simulate;
mod size;

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

/// Fast, thin Azure Blob Storage client.
#[derive(Debug, Parser)]
#[command(name = "azblob", version, about)]
struct Cli {
    /// Connection string (default: $AZURE_STORAGE_CONNECTION_STRING, then
    /// AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN).
    #[arg(long, global = true)]
    connection_string: Option<String>,

    /// Record every exchange with the service into a cassette in DIR (one per command line).
    #[arg(long, global = true, value_name = "DIR", conflicts_with = "replay")]
    record: Option<std::path::PathBuf>,

    /// Answer from the cassette this command line recorded in DIR: no network, no credentials.
    #[arg(long, global = true, value_name = "DIR")]
    replay: Option<std::path::PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Copy a local file (or `-` for stdin/stdout) to or from a blob.
    Cp(cp::CpArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let args: Vec<String> = std::env::args().skip(1).collect();
    simulate::init(cli.record.as_deref(), cli.replay.as_deref(), &args);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => return fail(anyhow::Error::new(err).context("cannot start the async runtime")),
    };
    // A failing command is saved too: replaying it reproduces the failure.
    let result = runtime.block_on(run(cli));
    let saved = simulate::finish();
    match result.and(saved) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(err),
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Cp(args) => cp::run(args, cli.connection_string.as_deref()).await,
    }
}

/// Logs go to stderr, off unless `AZBLOB_LOG` (an `EnvFilter` directive) asks for them.
fn init_logging() {
    if let Ok(filter) = std::env::var("AZBLOB_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .try_init();
    }
}

#[allow(clippy::print_stderr)]
fn fail(err: anyhow::Error) -> ExitCode {
    // One line: the chain of causes, joined.
    eprintln!("azblob: error: {err:#}");
    ExitCode::FAILURE
}

/// Builds the client for `location`, from the flag or the environment.
pub(crate) fn client_for(
    location: &location::BlobLocation,
    connection_string: Option<&str>,
) -> Result<azblob::BlobServiceClient> {
    let builder = match (connection_string, &location.endpoint) {
        (Some(cs), _) => azblob::ClientBuilder::from_connection_string(cs).context("invalid --connection-string")?,
        (None, Some(_)) if location.sas.is_some() => azblob::ClientBuilder::new(),
        (None, _) => match azblob::ClientBuilder::from_env() {
            Ok(builder) => builder,
            // A replay needs no credential, only where the account is.
            Err(_) if simulate::replaying() => replay_builder()?,
            Err(err) => return Err(anyhow::Error::new(err).context("no credentials")),
        },
    };
    let mut builder = match &location.endpoint {
        Some(endpoint) => builder.endpoint(endpoint.clone()),
        None => builder,
    };
    if let Some(sas) = &location.sas {
        builder = builder.sas_token(sas).context("invalid SAS in the URL")?;
    }
    let client = simulate::apply(builder).build().context("invalid client configuration")?;
    simulate::register(&client);
    Ok(client)
}

/// A client without credentials for `--replay`: the endpoint or account from the environment.
fn replay_builder() -> Result<azblob::ClientBuilder> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (var("AZURE_STORAGE_BLOB_ENDPOINT"), var("AZURE_STORAGE_ACCOUNT")) {
        (Some(endpoint), _) => Ok(azblob::ClientBuilder::new().endpoint(endpoint)),
        (None, Some(account)) => Ok(azblob::ClientBuilder::new().account(account)),
        (None, None) => anyhow::bail!("--replay needs AZURE_STORAGE_BLOB_ENDPOINT or AZURE_STORAGE_ACCOUNT"),
    }
}
