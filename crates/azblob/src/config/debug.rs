//! `ClientBuilder`'s `Debug`, which never shows what the endpoint text may carry.
//!
//! The endpoint is kept as the caller's text until `build` validates it, so
//! it may still hold a password or a SAS that `build` would refuse; a
//! derived `Debug` would print them.

use std::fmt;

use super::ClientBuilder;
use crate::redact::redact_url_text;

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("account", &self.account)
            .field("endpoint", &self.endpoint.as_deref().map(redact_url_text))
            .field("credential", &self.credential)
            .field("api_version", &self.api_version)
            .field("retry", &self.retry)
            .field("connect_timeout", &self.connect_timeout)
            .field("inactivity_timeout", &self.inactivity_timeout)
            .field("deadline", &self.deadline)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("root_certificates", &self.root_certificates_pem.len())
            .field("proxy", &self.proxy)
            .field("allow_http", &self.allow_http)
            .field("trusted_suffixes", &self.trusted_suffixes)
            .field("transport", &self.transport)
            .field("clock", &self.clock)
            .field("rng", &self.rng)
            .field("simulation", &self.simulation)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use crate::{ClientBuilder, ErrorKind};

    const SIG: &str = "c2VjcmV0LXNpZw";

    #[test]
    fn debug_and_endpoint_errors_hide_passwords_and_signatures() {
        let with_sas = format!("https://a.blob.core.windows.net/?sv=2023-11-03&sig={SIG}");
        let endpoints = [
            with_sas.clone(),
            "https://user:hunter2@10.0.0.1/".to_owned(),
            "https://user:hunter2@acct.blob.core.windows.net/".to_owned(),
            format!("ftp://h/acct?sig={SIG}"),
        ];
        for endpoint in endpoints {
            let builder = ClientBuilder::new().endpoint(endpoint.clone());
            let debug = format!("{builder:?}");
            let err = builder.build().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{endpoint}");
            let shown = format!("{debug} {err} {err:?}");
            assert!(!shown.contains(SIG) && !shown.contains("hunter2"), "{shown}");
        }
    }
}
