//! `azblob`: the command-line tool over the azblob library.
//!
//! This crate is glue: it parses arguments, builds a client from the
//! environment and prints results. Errors are printed as one line.

// The arguments' doc comments are clap's help text, written for a terminal
// (`[USER:PASSWORD@]`, `<N>`), not rustdoc links.
#![allow(rustdoc::broken_intra_doc_links)]

mod cat;
mod copy_remote;
mod cp;
mod duration;
mod find;
mod json;
mod lease;
mod location;
mod ls;
mod meta;
mod output;
mod pairs;
mod progress;
#[cfg(test)]
mod proptests;
mod rm;
mod signals;
mod simulate;
mod size;
mod snapshot;
mod stat;
mod tag;
mod target;
mod tier;
mod tree;
mod versions;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use azblob::EnvAuth;
use clap::{Parser, Subcommand, ValueEnum};

/// Fast, thin Azure Blob Storage client.
#[derive(Debug, Parser)]
#[command(name = "azblob", version, about)]
struct Cli {
    #[command(flatten)]
    connection: Connection,

    /// Record every exchange with the service into a cassette in DIR (one per command line).
    #[arg(long, global = true, value_name = "DIR", conflicts_with = "replay")]
    record: Option<std::path::PathBuf>,

    /// Answer from the cassette this command line recorded in DIR: no network, no credentials.
    #[arg(long, global = true, value_name = "DIR")]
    replay: Option<std::path::PathBuf>,

    #[command(subcommand)]
    command: Command,
}

/// How to reach and authorize against the account; shared by every command.
///
/// `Debug` leaves out the connection string, which holds a key or a SAS.
#[derive(clap::Args)]
pub(crate) struct Connection {
    /// Connection string (default: $AZURE_STORAGE_CONNECTION_STRING, then
    /// AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN
    /// or Microsoft Entra ID).
    #[arg(long, global = true)]
    connection_string: Option<String>,

    /// How to authorize (default: the key or SAS the environment sets, else entra).
    /// entra uses AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET,
    /// AZURE_FEDERATED_TOKEN_FILE, managed identity or `az login`.
    #[arg(long, global = true, value_enum)]
    auth: Option<Auth>,

    /// Trust this extra root certificate (PEM file), e.g. an emulator's self-signed one.
    #[arg(long, global = true, env = "AZBLOB_CA_CERT", value_name = "PEM")]
    ca_cert: Option<PathBuf>,

    /// Also send the Entra ID token to blob URLs of other accounts on these
    /// Azure suffixes, e.g. blob.core.windows.net (comma-separated; none by
    /// default). Keys and SAS tokens only ever go to the configured account.
    #[arg(long, global = true, value_delimiter = ',', value_name = "SUFFIXES")]
    trusted_suffixes: Vec<String>,

    /// Send requests, token requests included, through this proxy:
    /// http://[USER:PASSWORD@]HOST:PORT (default: HTTPS_PROXY, HTTP_PROXY,
    /// ALL_PROXY and NO_PROXY, as curl reads them).
    #[arg(long, global = true, value_name = "URL", conflicts_with = "no_proxy")]
    proxy: Option<String>,

    /// Connect directly, ignoring the proxy variables of the environment.
    #[arg(long, global = true)]
    no_proxy: bool,

    /// Give up on a request after this long without a byte moving either way
    /// (default 60s): a slow link that keeps moving is fine, a silent one is
    /// retried. Written like 500ms, 5s, 2m.
    #[arg(long, global = true, value_name = "DURATION", value_parser = duration::parse_duration)]
    timeout: Option<std::time::Duration>,

    /// Give up on each request, retries included, after this long in all
    /// (default: no deadline). Written like 30s, 10m, 1h.
    #[arg(long, global = true, value_name = "DURATION", value_parser = duration::parse_duration)]
    deadline: Option<std::time::Duration>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("connection_string", &self.connection_string.as_ref().map(|_| "REDACTED"))
            .field("auth", &self.auth)
            .field("ca_cert", &self.ca_cert)
            .field("trusted_suffixes", &self.trusted_suffixes)
            .field("proxy", &self.proxy.as_deref().map(azblob::redact_url_text))
            .field("no_proxy", &self.no_proxy)
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .finish()
    }
}

/// The values of `--auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Auth {
    /// Microsoft Entra ID (bearer tokens).
    Entra,
    /// Shared Key (account key).
    Key,
    /// Shared access signature.
    Sas,
}

impl From<Auth> for EnvAuth {
    fn from(auth: Auth) -> Self {
        match auth {
            Auth::Entra => EnvAuth::Entra,
            Auth::Key => EnvAuth::SharedKey,
            Auth::Sas => EnvAuth::Sas,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Copy a local file (or `-` for stdin/stdout) to or from a blob, or a blob to a blob (server-side).
    Cp(cp::CpArgs),
    /// List blobs under az://CONTAINER[/PREFIX], by directory unless --recursive.
    Ls(ls::LsArgs),
    /// Show a blob's properties and metadata.
    Stat(stat::StatArgs),
    /// Write a blob (or a byte range of it) to stdout.
    Cat(cat::CatArgs),
    /// Delete a blob, a version or snapshots; --recursive deletes a prefix in batches.
    Rm(rm::RmArgs),
    /// Set a blob's access tier (Hot, Cool, Cold, Archive).
    Tier(tier::TierArgs),
    /// Print a blob's metadata, or replace it with KEY=VALUE pairs.
    Meta(meta::MetaArgs),
    /// Take a snapshot of a blob.
    Snapshot(snapshot::SnapshotArgs),
    /// List a blob's versions, newest first.
    Versions(versions::VersionsArgs),
    /// Print a blob's index tags, or replace them with KEY=VALUE pairs.
    Tag(tag::TagArgs),
    /// List the blobs whose index tags match an expression, in a container or the account.
    Find(find::FindArgs),
    /// Acquire, renew, change, release or break a blob's lease.
    Lease(lease::LeaseArgs),
    /// Make a blob prefix match a local directory, or the reverse: transfer what is missing or different.
    Sync(tree::sync::SyncArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(err),
    };
    if let Err(err) = init_logging() {
        return fail(err.into());
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    simulate::init(cli.record.as_deref(), cli.replay.as_deref(), &args);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => return fail(anyhow::Error::new(err).context("cannot start the async runtime")),
    };
    // The command runs as a task on the runtime's workers rather than on
    // this thread, so handing its work to the tasks it spawns and taking
    // their results back wakes no other thread (a download of 10,000 small
    // files used 3.4 CPU seconds instead of 3.6). On SIGINT or SIGTERM it is
    // aborted and the runtime dropped, which drops the command, so its
    // cleanup runs (no `.partial` file is left) before the process exits.
    let command = runtime.spawn(run(cli));
    let abort = command.abort_handle();
    let outcome = runtime.block_on(async {
        tokio::select! {
            joined = command => Ok(joined),
            signal = signals::interrupted() => Err(signal),
        }
    });
    let result = match outcome {
        Ok(Ok(result)) => result,
        Ok(Err(joined)) if joined.is_panic() => std::panic::resume_unwind(joined.into_panic()),
        Ok(Err(joined)) => Err(anyhow::Error::new(joined).context("the command was stopped")),
        Err(signal) => {
            abort.abort();
            // Waits for the runtime to drop the command, so its cleanup and
            // last lines come before the note.
            drop(runtime);
            // An interrupted command is not saved as a recording: replaying
            // it could not reproduce the interruption.
            output::note("azblob: interrupted");
            return ExitCode::from(signal.exit_code());
        }
    };
    // A failing command is saved too: replaying it reproduces the failure.
    let saved = simulate::finish();
    match result.and(saved) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of stdout stopped early (`| head`): not a failure.
        Err(err) if output::is_reader_gone(&err) => ExitCode::SUCCESS,
        Err(err) => fail(err),
    }
}

/// Runs the parsed command line.
async fn run(cli: Cli) -> Result<()> {
    let cs = &cli.connection;
    match cli.command {
        Command::Cp(args) => cp::run(args, cs).await,
        Command::Ls(args) => ls::run(args, cs).await,
        Command::Stat(args) => stat::run(args, cs).await,
        Command::Cat(args) => cat::run(args, cs).await,
        Command::Rm(args) => rm::run(args, cs).await,
        Command::Tier(args) => tier::run(args, cs).await,
        Command::Meta(args) => meta::run(args, cs).await,
        Command::Snapshot(args) => snapshot::run(args, cs).await,
        Command::Versions(args) => versions::run(args, cs).await,
        Command::Tag(args) => tag::run(args, cs).await,
        Command::Find(args) => find::run(args, cs).await,
        Command::Lease(args) => lease::run(args, cs).await,
        Command::Sync(args) => tree::sync::run(args, cs).await,
    }
}

/// Logs go to stderr, off unless `AZBLOB_LOG` (an `EnvFilter` directive)
/// asks for them; `AZBLOB_LOG_FORMAT=json` writes one JSON object per line.
/// A filter or format that does not parse fails the command, rather than
/// leaving the user without the logs they asked for.
fn init_logging() -> azblob::Result<()> {
    azblob::logging::Logging::from_env()?.install().map(drop)
}

/// Prints one line for the error (secrets redacted) and picks the exit code.
fn fail(err: anyhow::Error) -> ExitCode {
    // One line: the chain of causes, joined. Messages may quote what the
    // user typed or the service sent (a URL with its SAS, a connection
    // string), so the line is redacted as a recording would be. It is written
    // without `eprintln!`, which panics when stderr is a closed pipe.
    output::note(&format!("azblob: error: {}", azblob::sim::redact_text(&format!("{err:#}"))));
    ExitCode::FAILURE
}

/// Prints a command-line usage error, redacted: clap quotes the arguments it
/// could not place, and a misplaced blob URL carries its SAS.
#[allow(clippy::print_stderr)]
fn usage_error(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(err.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        err.exit();
    }
    eprint!("{}", azblob::sim::redact_text(&err.render().to_string()));
    ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2))
}

/// Builds the client for `location`, from the flags or the environment.
///
/// The configured credential (`--connection-string` or the environment) is
/// used only for the configured account's endpoint; a URL naming another
/// host gets only the SAS written in the URL, or anonymous access, or the
/// Entra ID token where `--trusted-suffixes` trusts its host
/// ([`azblob::ClientBuilder::for_endpoint`] applies that rule).
pub(crate) fn client_for(
    location: &location::BlobLocation,
    connection: &Connection,
) -> Result<azblob::BlobServiceClient> {
    let auth = connection.auth.map(EnvAuth::from).unwrap_or_default();
    let configured = configured_builder(connection, auth);
    let mut builder = match &location.endpoint {
        None => match configured {
            Ok(builder) => builder,
            // A replay needs no credential, only where the account is.
            Err(_) if simulate::replaying() => replay_builder()?,
            Err(err) => return Err(err),
        },
        Some(endpoint) => {
            let builder = match configured {
                Ok(builder) => builder,
                // Without a usable configuration a URL still works with its
                // own SAS, anonymously, or with Entra ID on a trusted host.
                Err(_) if connection.connection_string.is_none() => {
                    with_entra(azblob::ClientBuilder::new(), auth).trusted_suffixes(connection.trusted_suffixes.clone())
                }
                Err(err) => return Err(err),
            };
            builder
                .for_endpoint(endpoint, location.sas.as_ref().map(azblob::Secret::expose))
                .context("invalid blob URL")?
        }
    };
    if let Some(path) = &connection.ca_cert {
        let pem = std::fs::read(path).with_context(|| format!("cannot read --ca-cert {}", path.display()))?;
        builder = builder.root_certificate_pem(pem);
    }
    if connection.no_proxy {
        builder = builder.no_proxy();
    } else if let Some(proxy) = &connection.proxy {
        // The library's error never repeats the password; the URL is not repeated here either.
        builder = builder.proxy(proxy).context("invalid --proxy")?;
    }
    if let Some(timeout) = connection.timeout {
        builder = builder.inactivity_timeout(timeout);
    }
    if let Some(deadline) = connection.deadline {
        builder = builder.deadline(deadline);
    }
    let client = simulate::apply(builder).build().context("invalid client configuration")?;
    simulate::register(&client);
    Ok(client)
}

/// The builder for the configured account: `--connection-string`, else the environment.
fn configured_builder(connection: &Connection, auth: EnvAuth) -> Result<azblob::ClientBuilder> {
    let builder = match &connection.connection_string {
        Some(cs) => {
            with_entra(azblob::ClientBuilder::from_connection_string(cs).context("invalid --connection-string")?, auth)
        }
        None => azblob::ClientBuilder::from_env_auth(auth)
            .map_err(|err| anyhow::Error::new(err).context("no credentials"))?,
    };
    Ok(builder.trusted_suffixes(connection.trusted_suffixes.clone()))
}

/// `builder` with the default Entra ID chain as its credential when `--auth entra` asks for it.
fn with_entra(builder: azblob::ClientBuilder, auth: EnvAuth) -> azblob::ClientBuilder {
    if auth == EnvAuth::Entra {
        builder.token_credential(azblob::auth::entra::default_credential())
    } else {
        builder
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_the_command_line_hides_the_connection_string() {
        let key = azblob::DEV_ACCOUNT_KEY;
        let cs = format!("AccountName=a;AccountKey={key}");
        let cli = Cli::parse_from(["azblob", "--connection-string", &cs, "stat", "az://c/b"]);
        let shown = format!("{cli:?}");
        assert!(!shown.contains(&key[..20]) && shown.contains("REDACTED"), "{shown}");
        let cli = Cli::parse_from(["azblob", "--proxy", "http://user:hunter2@proxy.corp:3128", "stat", "az://c/b"]);
        let shown = format!("{cli:?}");
        assert!(shown.contains("proxy.corp") && !shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn timeout_and_deadline_take_durations_anywhere_on_the_line() {
        let cli = Cli::parse_from(["azblob", "stat", "az://c/b", "--timeout", "500ms", "--deadline", "2m"]);
        assert_eq!(cli.connection.timeout, Some(std::time::Duration::from_millis(500)));
        assert_eq!(cli.connection.deadline, Some(std::time::Duration::from_secs(120)));
        let cli = Cli::parse_from(["azblob", "stat", "az://c/b"]);
        assert_eq!((cli.connection.timeout, cli.connection.deadline), (None, None));
    }

    #[test]
    fn a_bad_duration_is_a_usage_error_naming_the_units() {
        let err = Cli::try_parse_from(["azblob", "--timeout", "5", "stat", "az://c/b"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
        assert!(err.to_string().contains("needs a unit"), "{err}");
    }
}
