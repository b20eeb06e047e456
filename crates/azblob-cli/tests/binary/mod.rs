//! The `azblob` binary as the CLI's integration tests run it.

use std::process::Command;

/// The `azblob` binary with the plain-HTTP emulator's connection string (the
/// development account's key); `AZURE_STORAGE_ACCOUNT` is removed so the
/// caller's environment cannot choose another account.
pub(crate) fn emulator_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_azblob"));
    command
        .args(args)
        .env("AZURE_STORAGE_CONNECTION_STRING", crate::support::connection_string(azblob::DEV_ACCOUNT_KEY))
        .env_remove("AZURE_STORAGE_ACCOUNT");
    command
}
