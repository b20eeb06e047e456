//! `SignLayer` authorizes each attempt: a fresh `x-ms-date`, then Shared Key, SAS or a bearer token.
//!
//! It sits inside [`RetryLayer`](super::RetryLayer), so a retried request is
//! signed again with a new date and a token that may have been refreshed, and
//! above the simulation layer, so recordings see the request as sent and
//! replays need no credential at all.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use http::HeaderValue;

use super::{HttpTransport, Request, Response, TransportError, TransportErrorKind};
use crate::auth::{Credential, STORAGE_SCOPE};
use crate::config::is_loopback;
use crate::error::Error;
use crate::ops::headers;

/// Signs every request with a [`Credential`] and forwards it.
#[derive(Debug)]
pub struct SignLayer {
    inner: Arc<dyn HttpTransport>,
    credential: Credential,
}

impl SignLayer {
    /// Wraps `inner`, authorizing requests with `credential`.
    pub fn new(inner: Arc<dyn HttpTransport>, credential: Credential) -> Self {
        SignLayer { inner, credential }
    }
}

impl HttpTransport for SignLayer {
    fn send(&self, mut request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        Box::pin(async move {
            let now = httpdate::fmt_http_date(std::time::SystemTime::now());
            request.headers.insert(headers::X_MS_DATE, HeaderValue::from_str(&now).expect("HTTP dates are ASCII"));
            match &self.credential {
                Credential::SharedKey(key) => key.authorize(&mut request).map_err(|err| {
                    TransportError::new(TransportErrorKind::Credential, "the request cannot be signed").with_source(err)
                })?,
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
