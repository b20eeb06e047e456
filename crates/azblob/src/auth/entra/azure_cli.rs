//! `AzureCliCredential`: tokens of the developer signed in with `az login`.
//!
//! It runs `az account get-access-token --output json --resource https://storage.azure.com`
//! (<https://learn.microsoft.com/cli/azure/account#az-account-get-access-token>)
//! without a shell, under a timeout, and reads `accessToken` and `expires_on`
//! (a Unix time, printed by Azure CLI 2.54 and later) from its output.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::Deserialize;

use super::cache::TokenCache;
use super::options::CredentialOptions;
use super::token_response::{expiry_at, number};
use crate::auth::{AccessToken, TokenCredential};
use crate::error::{Error, ErrorKind, Result};
use crate::redact::Secret;

const FLOW: &str = "Azure CLI credential";

/// The Azure CLI answers within a few seconds when it works at all.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Tokens from the Azure CLI's signed-in account.
#[derive(Debug)]
pub struct AzureCliCredential {
    program: PathBuf,
    tenant_id: Option<String>,
    timeout: Duration,
    cache: Arc<TokenCache>,
}

impl AzureCliCredential {
    /// Runs `az` from `PATH` with a 10-second timeout.
    pub fn new() -> Self {
        AzureCliCredential {
            program: PathBuf::from(if cfg!(windows) { "az.cmd" } else { "az" }),
            tenant_id: None,
            timeout: DEFAULT_TIMEOUT,
            cache: Arc::new(TokenCache::new()),
        }
    }

    /// Runs another program instead of `az` (a wrapper, or a fake in tests).
    pub fn program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = program.into();
        self
    }

    /// Asks for a token of this tenant (`--tenant`).
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// How long the CLI may run before it is killed (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Applies the cache settings of `options`; the CLI sends no HTTP
    /// request, so their retry and transport do not apply.
    pub fn options(mut self, options: &CredentialOptions) -> Self {
        self.cache = options.cache();
        self
    }

    async fn fetch(&self, scopes: &[&str]) -> Result<AccessToken> {
        let args = arguments(scopes, self.tenant_id.as_deref())?;
        let child = tokio::process::Command::new(&self.program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // A timed-out CLI is killed, not left running.
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                let what = if e.kind() == std::io::ErrorKind::NotFound { "is not installed" } else { "cannot run" };
                Error::new(ErrorKind::Unauthenticated, format!("{FLOW}: {} {what}: {e}", self.program.display()))
            })?;
        let output = tokio::time::timeout(self.timeout, child.wait_with_output())
            .await
            .map_err(|_| {
                Error::new(ErrorKind::Timeout, format!("{FLOW}: az did not answer within {:?}", self.timeout))
            })?
            .map_err(|e| Error::new(ErrorKind::Io, format!("{FLOW}: az failed: {e}")))?;
        if !output.status.success() {
            // stderr says why (e.g. "Please run 'az login'"); stdout is never shown, it may hold a token.
            let stderr = String::from_utf8_lossy(&output.stderr);
            let reason = stderr.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("no message");
            return Err(Error::new(
                ErrorKind::Unauthenticated,
                format!("{FLOW}: az exited with {}: {reason}", output.status),
            ));
        }
        parse_output(&output.stdout)
    }
}

impl Default for AzureCliCredential {
    fn default() -> Self {
        AzureCliCredential::new()
    }
}

impl TokenCredential for AzureCliCredential {
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(self.cache.get_or_fetch(scopes, || self.fetch(scopes)))
    }
}

/// The CLI's arguments for `scopes` (exactly one).
fn arguments(scopes: &[&str], tenant_id: Option<&str>) -> Result<Vec<String>> {
    let [scope] = scopes else {
        return Err(Error::invalid_input(format!("{FLOW}: exactly one scope is supported, got {}", scopes.len())));
    };
    let resource = scope.strip_suffix("/.default").unwrap_or(scope);
    // No shell is involved, but a value starting with '-' would still read as an option.
    let safe = |v: &str| !v.is_empty() && !v.starts_with('-') && v.chars().all(|c| c.is_ascii_graphic());
    if !safe(resource) {
        return Err(Error::invalid_input(format!("{FLOW}: invalid scope {scope:?}")));
    }
    let mut args: Vec<String> =
        ["account", "get-access-token", "--output", "json", "--resource", resource].map(String::from).into();
    if let Some(tenant) = tenant_id {
        if !safe(tenant) {
            return Err(Error::invalid_input(format!("{FLOW}: invalid tenant id {tenant:?}")));
        }
        args.extend(["--tenant".to_owned(), tenant.to_owned()]);
    }
    Ok(args)
}

/// Parses the CLI's JSON; errors never repeat it, since it holds the token.
pub(super) fn parse_output(stdout: &[u8]) -> Result<AccessToken> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Output {
        access_token: Option<String>,
        #[serde(rename = "expires_on")]
        expires_on: Option<serde_json::Value>,
    }
    let parsed: Output = serde_json::from_slice(stdout)
        .map_err(|_| Error::invalid_response(format!("{FLOW}: the output of az is not the expected JSON")))?;
    let token = parsed
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::invalid_response(format!("{FLOW}: the output of az has no accessToken")))?;
    // `expiresOn` is a local time without a zone; only `expires_on` is unambiguous.
    let expires_on = parsed.expires_on.as_ref().and_then(number).ok_or_else(|| {
        Error::invalid_response(format!(
            "{FLOW}: the output of az has no expires_on; Azure CLI 2.54 or later is needed"
        ))
    })?;
    let expires_on = expiry_at(expires_on).map_err(|e| e.context(FLOW))?;
    Ok(AccessToken { token: Secret::new(token), expires_on })
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;
    use crate::auth::STORAGE_SCOPE;

    #[test]
    fn arguments_for_storage() {
        assert_eq!(
            arguments(&[STORAGE_SCOPE], Some("72f988bf-86f1-41af-91ab-2d7cd011db47")).unwrap(),
            [
                "account",
                "get-access-token",
                "--output",
                "json",
                "--resource",
                "https://storage.azure.com",
                "--tenant",
                "72f988bf-86f1-41af-91ab-2d7cd011db47"
            ]
        );
        assert!(arguments(&["--subscription x"], None).is_err());
        assert!(arguments(&[STORAGE_SCOPE], Some("-x")).is_err());
        assert!(arguments(&[], None).is_err());
    }

    #[test]
    fn parses_cli_output() {
        let out =
            br#"{"accessToken":"eyJ0eXAi.cli.token","expiresOn":"2026-11-23 11:00:00.000000","expires_on":1795431600,
            "subscription":"sub","tenant":"tenant","tokenType":"Bearer"}"#;
        let token = parse_output(out).unwrap();
        assert_eq!(token.token.expose(), "eyJ0eXAi.cli.token");
        assert_eq!(token.expires_on, UNIX_EPOCH + Duration::from_secs(1_795_431_600));
        let old = br#"{"accessToken":"secret-token","expiresOn":"2026-11-23 11:00:00.000000"}"#;
        let err = parse_output(old).unwrap_err();
        assert!(err.to_string().contains("2.54"), "{err}");
        assert!(!err.to_string().contains("secret-token"));
        assert!(parse_output(b"Please run az login").is_err());
        let huge = br#"{"accessToken":"t","expires_on":18446744073709551615}"#;
        assert_eq!(parse_output(huge).unwrap_err().kind(), crate::ErrorKind::InvalidResponse);
    }
}
