//! `ForwardProxy`: a small HTTP proxy for tests that records what passes through it.
//!
//! It does what an egress proxy does with the two kinds of request a client
//! sends it: a plain-http request in absolute form (`GET http://host/path`)
//! is forwarded to its host in origin form, and `CONNECT host:port` opens a
//! tunnel whose bytes it copies without reading them, so TLS stays end to
//! end. A forwarded request is one per connection (`Connection: close`).
//! Each connection runs on its own threads; the proxy lives as long as
//! the test process, as the emulators do.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

/// What one client connection asked the proxy for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `CONNECT` for a tunnel, else the forwarded request's method.
    pub method: String,
    /// `host:port` of a tunnel, or the absolute URL of a forwarded request.
    pub target: String,
    /// The `Proxy-Authorization` header, if the client sent one (it is not passed on).
    pub proxy_authorization: Option<String>,
    /// A tunnel's first byte from the client: `0x16` opens a TLS handshake.
    pub first_tunnel_byte: Option<u8>,
}

/// A running forward proxy on 127.0.0.1.
#[derive(Debug)]
pub struct ForwardProxy {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl ForwardProxy {
    /// Starts the proxy on a free loopback port.
    pub fn start() -> io::Result<ForwardProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                // A connection that fails only fails its own request, which the test sees.
                thread::spawn(move || serve(client, &log));
            }
        });
        Ok(ForwardProxy { port, seen })
    }

    /// The proxy's URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every connection's request so far, in order of arrival.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

fn serve(client: TcpStream, log: &Mutex<Vec<Seen>>) -> io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let (method, target, version) =
        (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (mut headers, mut proxy_authorization) = (String::new(), None);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        let name = line.split(':').next().unwrap_or("").trim().to_ascii_lowercase();
        match name.as_str() {
            "proxy-authorization" => proxy_authorization = line.split_once(':').map(|(_, v)| v.trim().to_owned()),
            // Forwarded requests go one per connection (below); a tunnel's
            // own headers are never forwarded.
            "proxy-connection" | "connection" | "keep-alive" => {}
            _ => headers.push_str(&line),
        }
    }
    let index = {
        let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
        let seen =
            Seen { method: method.to_owned(), target: target.to_owned(), proxy_authorization, first_tunnel_byte: None };
        log.push(seen);
        log.len() - 1
    };
    let mut client_out = client;
    if method == "CONNECT" {
        let mut upstream = match TcpStream::connect(target) {
            Ok(upstream) => upstream,
            Err(e) => {
                client_out.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")?;
                return Err(e);
            }
        };
        client_out.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        let mut first = [0u8; 1];
        if reader.read(&mut first)? == 1 {
            log.lock().unwrap_or_else(PoisonError::into_inner)[index].first_tunnel_byte = Some(first[0]);
            upstream.write_all(&first)?;
        }
        return pipe(reader, client_out, upstream);
    }
    // Absolute form: `http://host:port/path` becomes `/path` sent to host:port.
    let rest = target.strip_prefix("http://").ok_or_else(|| io::Error::other("not an absolute http URL"))?;
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    let mut upstream = TcpStream::connect(authority)?;
    // `Connection: close` makes the server end the exchange after its answer,
    // and the client open a new connection for its next request, so the
    // proxy never has to find where one request's body ends.
    upstream.write_all(format!("{method} {path} {version}\r\n{headers}connection: close\r\n\r\n").as_bytes())?;
    pipe(reader, client_out, upstream)
}

/// Copies both ways until each side closes, then closes the other's write half.
fn pipe(mut from_client: BufReader<TcpStream>, mut to_client: TcpStream, upstream: TcpStream) -> io::Result<()> {
    let mut from_upstream = upstream.try_clone()?;
    let back = thread::spawn(move || {
        let _ = io::copy(&mut from_upstream, &mut to_client);
        let _ = to_client.shutdown(Shutdown::Write);
    });
    let mut to_upstream = upstream;
    let _ = io::copy(&mut from_client, &mut to_upstream);
    let _ = to_upstream.shutdown(Shutdown::Write);
    let _ = back.join();
    Ok(())
}
