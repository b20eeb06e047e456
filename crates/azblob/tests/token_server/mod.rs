//! A local token server for the Entra ID tests: client credentials, IMDS and App Service.
//!
//! It listens on 127.0.0.1, answers each connection on its own thread
//! (`Connection: close`), records every request and counts them, and can be
//! told to answer errors, to answer slowly, or to mint tokens with short
//! lifetimes or a wrong audience. Its tokens are unsigned JWTs with the claims
//! Azurite's `--oauth basic` checks, so the same tokens work end to end.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The tenant and object ids the minted tokens carry.
pub const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
/// The object id of the minted tokens' identity.
pub const OBJECT_ID: &str = "6f1c8a52-3d3b-4a1e-9a55-0b7d7a3c9e10";
/// The client id the server accepts.
pub const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";
/// The client secret the server accepts; any other is refused with `invalid_client`.
pub const CLIENT_SECRET: &str = "test-client-secret~value";
/// The App Service identity header the server expects.
pub const IDENTITY_HEADER: &str = "test-identity-header-value";
/// The audience Azure Storage expects.
pub const STORAGE_AUDIENCE: &str = "https://storage.azure.com";

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Header names are lowercase.
    pub headers: Vec<(String, String)>,
    /// The body parsed as a form (`application/x-www-form-urlencoded`).
    pub form: Vec<(String, String)>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// What the server answers to a valid request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A token valid for this many seconds (negative: already expired).
    Token { lifetime_secs: i64 },
    /// An error status with a JSON body.
    Error { status: u16, body: String },
}

struct State {
    requests: Mutex<Vec<Recorded>>,
    count: AtomicUsize,
    reply: Mutex<Reply>,
    delay: Mutex<Duration>,
    audience: Mutex<String>,
}

/// The running server; it stops with the test process.
pub struct TokenServer {
    port: u16,
    state: Arc<State>,
}

impl TokenServer {
    pub fn start() -> TokenServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the token server");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State {
            requests: Mutex::new(Vec::new()),
            count: AtomicUsize::new(0),
            reply: Mutex::new(Reply::Token { lifetime_secs: 3600 }),
            delay: Mutex::new(Duration::ZERO),
            audience: Mutex::new(STORAGE_AUDIENCE.to_owned()),
        });
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                std::thread::spawn(move || {
                    let _ = handle(stream, &state);
                });
            }
        });
        TokenServer { port, state }
    }

    /// `http://127.0.0.1:PORT`, the authority host (and IMDS host) to configure.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The IMDS-style token endpoint.
    pub fn imds_endpoint(&self) -> String {
        format!("{}/metadata/identity/oauth2/token", self.url())
    }

    /// The App Service-style token endpoint (`IDENTITY_ENDPOINT`).
    pub fn app_service_endpoint(&self) -> String {
        format!("{}/msi/token", self.url())
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// How many requests arrived (also those still being answered).
    pub fn count(&self) -> usize {
        self.state.count.load(Ordering::SeqCst)
    }

    pub fn reply(&self, reply: Reply) {
        *self.state.reply.lock().unwrap() = reply;
    }

    /// Answers every request after `delay`.
    pub fn delay(&self, delay: Duration) {
        *self.state.delay.lock().unwrap() = delay;
    }

    /// Mints tokens for another audience from now on.
    pub fn audience(&self, audience: &str) {
        *self.state.audience.lock().unwrap() = audience.to_owned();
    }
}

fn handle(stream: TcpStream, state: &State) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let length: usize =
        headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let recorded = Recorded {
        method,
        path: path.to_owned(),
        query: url::form_urlencoded::parse(query.as_bytes()).into_owned().collect(),
        headers,
        form: url::form_urlencoded::parse(&body).into_owned().collect(),
    };
    state.count.fetch_add(1, Ordering::SeqCst);
    state.requests.lock().unwrap().push(recorded.clone());
    let delay = *state.delay.lock().unwrap();
    std::thread::sleep(delay);
    let (status, body) = answer(&recorded, state);
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

fn answer(r: &Recorded, state: &State) -> (u16, String) {
    let refuse = |status: u16, code: &str, description: &str| {
        (status, format!(r#"{{"error":"{code}","error_description":"{description}","correlation_id":"corr-42"}}"#))
    };
    let kind = if r.method == "POST" && r.path.ends_with("/oauth2/v2.0/token") {
        if r.field("grant_type") != Some("client_credentials") || r.field("client_id") != Some(CLIENT_ID) {
            return refuse(400, "invalid_request", "AADSTS900144: bad grant or client id.");
        }
        let secret_ok = r.field("client_secret") == Some(CLIENT_SECRET);
        let assertion_ok = r.field("client_assertion_type")
            == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            && r.field("client_assertion").is_some_and(|a| a.starts_with("eyJ"));
        if !secret_ok && !assertion_ok {
            return refuse(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
        }
        "aad"
    } else if r.method == "GET" && r.path == "/metadata/identity/oauth2/token" {
        if r.header("metadata") != Some("true") {
            return refuse(400, "invalid_request", "Required metadata header not specified");
        }
        "imds"
    } else if r.method == "GET" && r.path == "/msi/token" {
        if r.header("x-identity-header") != Some(IDENTITY_HEADER) {
            return (401, r#"{"statusCode":401,"message":"Unauthorized request"}"#.to_owned());
        }
        "app_service"
    } else {
        return (404, "{}".to_owned());
    };
    let lifetime = match state.reply.lock().unwrap().clone() {
        Reply::Error { status, body } => return (status, body),
        Reply::Token { lifetime_secs } => lifetime_secs,
    };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let token = mint_jwt(&state.audience.lock().unwrap(), now, lifetime, state.count.load(Ordering::SeqCst));
    let expires_on = now + lifetime;
    let body = match kind {
        "aad" => format!(
            r#"{{"token_type":"Bearer","expires_in":{lifetime},"ext_expires_in":{lifetime},"access_token":"{token}"}}"#
        ),
        "imds" => format!(
            r#"{{"access_token":"{token}","expires_in":"{lifetime}","expires_on":"{expires_on}","not_before":"{now}","resource":"https://storage.azure.com","token_type":"Bearer"}}"#
        ),
        _ => format!(
            r#"{{"access_token":"{token}","expires_on":{expires_on},"resource":"https://storage.azure.com","token_type":"Bearer","client_id":"{CLIENT_ID}"}}"#
        ),
    };
    (200, body)
}

/// An unsigned JWT with the claims Azurite checks: `aud`, `iss`, `iat`, `nbf`, `exp`, `oid`, `tid`.
///
/// `serial` makes successive tokens differ (`jti`), so tests can tell a refresh happened.
pub fn mint_jwt(audience: &str, now: i64, lifetime_secs: i64, serial: usize) -> String {
    let header = r#"{"alg":"RS256","typ":"JWT"}"#;
    // nbf a little in the past: clocks of the test process and the emulator are the same, but seconds truncate.
    let payload = format!(
        r#"{{"aud":"{audience}","iss":"https://sts.windows.net/{TENANT}/","iat":{iat},"nbf":{iat},"exp":{exp},"oid":"{OBJECT_ID}","tid":"{TENANT}","appid":"{CLIENT_ID}","jti":"token-{serial}"}}"#,
        iat = now - 60,
        exp = now + lifetime_secs,
    );
    format!("{}.{}.{}", base64url(header.as_bytes()), base64url(payload.as_bytes()), base64url(b"not-a-signature"))
}

fn base64url(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// The claims of a minted token, for assertions.
pub fn claims(token: &str) -> String {
    let payload = token.split('.').nth(1).expect("three parts");
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in payload.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            _ => 63,
        };
        bits = (bits << 6) | u32::from(v);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    String::from_utf8(out).unwrap()
}
