//! `SignLayer` authorizes each attempt: a fresh `x-ms-date`, then Shared Key, SAS or a bearer token.
//!
//! A credential is attached only to requests its [`CredentialScope`] covers
//! (the configured account's endpoint, or a trusted Azure host for a token);
//! a request for any other host, e.g. a `send_raw` URL, is refused unsent.
//!
//! It sits inside [`RetryLayer`](super::RetryLayer), so a retried request is
//! signed again with a new date and a token that may have been refreshed, and
//! above the simulation layer, so recordings see the request as sent and
//! replays need no credential at all.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use http::HeaderValue;

use super::{HttpTransport, Request, Response, TransportError, TransportErrorKind};
use crate::auth::{Credential, CredentialScope, STORAGE_SCOPE};
use crate::config::is_loopback;
use crate::error::Error;
use crate::ops::headers;

/// Signs every request with a [`Credential`] and forwards it.
#[derive(Debug)]
pub struct SignLayer {
    inner: Arc<dyn HttpTransport>,
    credential: Credential,
    scope: CredentialScope,
}

impl SignLayer {
    /// Wraps `inner`, authorizing requests with `credential` where `scope` allows it.
    pub fn new(inner: Arc<dyn HttpTransport>, credential: Credential, scope: CredentialScope) -> Self {
        SignLayer { inner, credential, scope }
    }
}

impl HttpTransport for SignLayer {
    fn send(&self, mut request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        Box::pin(async move {
            let now = httpdate::fmt_http_date(std::time::SystemTime::now());
            request.headers.insert(headers::X_MS_DATE, HeaderValue::from_str(&now).expect("HTTP dates are ASCII"));
            if let Err(refusal) = self.scope.check(&self.credential, &request.url) {
                return Err(TransportError::new(TransportErrorKind::Credential, refusal.message().to_owned())
                    .with_source(refusal));
            }
            match &self.credential {
                Credential::SharedKey(key) => key.authorize(&mut request),
                Credential::Sas(token) => token.apply(&mut request.url),
                Credential::Token(source) => {
                    // The builder refuses such endpoints; this also covers
                    // `send_raw` requests aimed elsewhere.
                    if request.url.scheme() != "https" && !is_loopback(&request.url) {
                        let refusal = "a bearer token is only sent over https:// (or to loopback hosts)";
                        return Err(TransportError::new(TransportErrorKind::Credential, refusal)
                            .with_source(Error::invalid_input(refusal)));
                    }
                    let token = source.get_token(&[STORAGE_SCOPE]).await.map_err(|err| {
                        TransportError::new(TransportErrorKind::Credential, "could not get a bearer token")
                            .with_source(err)
                    })?;
                    let mut value =
                        HeaderValue::from_str(&format!("Bearer {}", token.token.expose())).map_err(|_| {
                            TransportError::new(
                                TransportErrorKind::Credential,
                                "the bearer token is not valid header text",
                            )
                        })?;
                    value.set_sensitive(true);
                    request.headers.insert(http::header::AUTHORIZATION, value);
                }
                Credential::Anonymous => {}
            }
            self.inner.send(request).await
        })
    }
}
