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
use crate::error::Error;
use crate::headers;
use crate::net::is_loopback;

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
            let date = HeaderValue::from_str(&now).expect("HTTP dates are ASCII");
            // A batch's sub-requests are checked and signed like the request
            // itself, on every attempt, so a retry never resends stale dates,
            // signatures or tokens.
            let subs = request.sub_requests.take();
            let mut parts: Vec<Request> = subs.as_ref().map(|s| s.parts.to_vec()).unwrap_or_default();
            self.check(&request)?;
            for part in &parts {
                self.check(part)?;
            }
            let bearer = self.bearer().await?;
            if let Some(subs) = subs {
                for part in &mut parts {
                    self.apply(part, &date, bearer.as_ref())?;
                }
                request.body = (subs.encode)(&subs.boundary, &parts).map_err(|err| {
                    TransportError::new(TransportErrorKind::Credential, "could not encode the signed sub-requests")
                        .caused_by(err)
                })?;
            }
            self.apply(&mut request, &date, bearer.as_ref())?;
            self.inner.send(request).await
        })
    }
}

impl SignLayer {
    /// Refuses, before anything is sent, a request the credential must not go
    /// to: outside the scope, or a bearer token over plain HTTP to a remote host.
    fn check(&self, request: &Request) -> Result<(), TransportError> {
        let refused =
            |err: Error| TransportError::new(TransportErrorKind::Credential, err.message().to_owned()).caused_by(err);
        self.scope.check(&self.credential, &request.url).map_err(refused)?;
        // The builder refuses such endpoints; a trusted host or a `send_raw`
        // URL is checked here.
        if matches!(self.credential, Credential::Token(_))
            && request.url.scheme() != "https"
            && !is_loopback(&request.url)
        {
            return Err(refused(Error::invalid_input(
                "a bearer token is only sent over https:// (or to loopback hosts)",
            )));
        }
        Ok(())
    }

    /// The `Authorization` value of a token credential, fetched once per attempt.
    async fn bearer(&self) -> Result<Option<HeaderValue>, TransportError> {
        let Credential::Token(source) = &self.credential else { return Ok(None) };
        let token = source.get_token(&[STORAGE_SCOPE]).await.map_err(|err| {
            TransportError::new(TransportErrorKind::Credential, "could not get a bearer token").caused_by(err)
        })?;
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.token.expose())).map_err(|_| {
            TransportError::new(TransportErrorKind::Credential, "the bearer token is not valid header text")
        })?;
        value.set_sensitive(true);
        Ok(Some(value))
    }

    /// Stamps the date and authorizes one (sub-)request with the credential.
    fn apply(
        &self,
        request: &mut Request,
        date: &HeaderValue,
        bearer: Option<&HeaderValue>,
    ) -> Result<(), TransportError> {
        request.headers.insert(headers::X_MS_DATE, date.clone());
        match &self.credential {
            Credential::SharedKey(key) => key.authorize(request).map_err(|err| {
                TransportError::new(TransportErrorKind::Credential, "the request cannot be signed").caused_by(err)
            })?,
            Credential::Sas(token) => token.apply(&mut request.url),
            Credential::Token(_) => {
                if let Some(value) = bearer {
                    request.headers.insert(http::header::AUTHORIZATION, value.clone());
                }
            }
            Credential::Anonymous => {}
        }
        Ok(())
    }
}
