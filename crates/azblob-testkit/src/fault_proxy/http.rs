//! Just enough HTTP/1.1 to find where each message ends on a keep-alive
//! connection: the head's start line and headers, and the body's framing.
//!
//! Parsing is pure (bytes in, [`Head`] out); [`Conn`] is the buffered reader
//! that hands the proxy raw heads and body bytes, so what it forwards is
//! exactly what it received.

use std::io::{self, Read};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often a blocked read checks whether the proxy was dropped.
const POLL: Duration = Duration::from_millis(200);

/// The most a head may hold; a larger one is refused rather than buffered.
const MAX_HEAD: usize = 64 * 1024;

/// The start line and headers of one request or response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    /// The start line's three parts: method, target, version for a request;
    /// version, status, reason for a response.
    pub(crate) start: [String; 3],
    /// Header names (lowercased) and values, in order.
    pub(crate) headers: Vec<(String, String)>,
}

/// How a message's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body at all.
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`, up to the zero-sized chunk and its trailers.
    Chunked,
    /// Everything until the sender closes (a response without a length).
    UntilClose,
}

impl Head {
    /// Parses a head (start line and headers, with or without the blank line).
    pub(crate) fn parse(raw: &[u8]) -> io::Result<Head> {
        let text = std::str::from_utf8(raw).map_err(|_| invalid("the head is not UTF-8"))?;
        let mut lines = text.split("\r\n");
        let mut parts = lines.next().unwrap_or("").splitn(3, ' ');
        let mut next = || parts.next().unwrap_or("").to_owned();
        let start = [next(), next(), next()];
        if start[0].is_empty() || start[1].is_empty() {
            return Err(invalid("the start line has fewer than two parts"));
        }
        let headers = lines
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (name, value) = l.split_once(':').ok_or_else(|| invalid("a header line has no colon"))?;
                Ok((name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            })
            .collect::<io::Result<_>>()?;
        Ok(Head { start, headers })
    }

    /// The first value of header `name` (lowercase).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// A response's status code (0 if unreadable).
    pub(crate) fn status(&self) -> u16 {
        self.start[1].parse().unwrap_or(0)
    }

    /// Whether the sender will close the connection after this message.
    pub(crate) fn closes(&self) -> bool {
        self.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
            || self.start.iter().any(|p| p == "HTTP/1.0")
    }

    /// The framing of a request's body: a length, chunked, or none.
    pub(crate) fn request_framing(&self) -> io::Result<Framing> {
        self.framing(Framing::Empty)
    }

    /// The framing of a response's body to a request with `method`: none for
    /// HEAD, 1xx, 204 and 304; otherwise a length, chunked, or until close.
    pub(crate) fn response_framing(&self, method: &str) -> io::Result<Framing> {
        let status = self.status();
        if method.eq_ignore_ascii_case("HEAD") || status < 200 || status == 204 || status == 304 {
            return Ok(Framing::Empty);
        }
        self.framing(Framing::UntilClose)
    }

    fn framing(&self, otherwise: Framing) -> io::Result<Framing> {
        if self.header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
            return Ok(Framing::Chunked);
        }
        match self.header("content-length") {
            Some(v) => match v.parse::<u64>() {
                Ok(0) => Ok(Framing::Empty),
                Ok(n) => Ok(Framing::Length(n)),
                Err(_) => Err(invalid("Content-Length is not a number")),
            },
            None => Ok(otherwise),
        }
    }
}

/// The size of a chunk from its size line (`1a2b;ext=1`), without the CRLF.
pub(crate) fn chunk_size(line: &[u8]) -> io::Result<u64> {
    let text = std::str::from_utf8(line).map_err(|_| invalid("a chunk size is not UTF-8"))?;
    let hex = text.split(';').next().unwrap_or("").trim();
    u64::from_str_radix(hex, 16).map_err(|_| invalid("a chunk size is not hexadecimal"))
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

/// A connection read through the proxy's own buffer, so heads and lines can
/// be found without losing the bytes that follow them.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) stream: TcpStream,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    stop: Arc<AtomicBool>,
}

impl Conn {
    /// Wraps `stream`; its reads give up once `stop` is set.
    pub(crate) fn new(stream: TcpStream, stop: Arc<AtomicBool>) -> Conn {
        // A read timeout only so blocked reads notice `stop`.
        let _ = stream.set_read_timeout(Some(POLL));
        Conn { stream, buf: vec![0; 256 * 1024], pos: 0, end: 0, stop }
    }

    /// Whether bytes are already buffered (read but not yet handed out).
    pub(crate) fn has_buffered(&self) -> bool {
        self.pos < self.end
    }

    /// Reads more into the buffer; `Ok(0)` at end of stream.
    fn fill(&mut self) -> io::Result<usize> {
        if self.pos == self.end {
            self.pos = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        loop {
            match self.stream.read(&mut self.buf[self.end..]) {
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    if self.stop.load(Ordering::SeqCst) {
                        return Err(io::Error::new(io::ErrorKind::Interrupted, "the fault proxy stopped"));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads up to and including the first occurrence of `delimiter`; `None`
    /// if the stream ends before any byte of it arrives.
    pub(crate) fn read_until(&mut self, delimiter: &[u8]) -> io::Result<Option<Vec<u8>>> {
        loop {
            let window = &self.buf[self.pos..self.end];
            if let Some(i) = window.windows(delimiter.len()).position(|w| w == delimiter) {
                let out = window[..i + delimiter.len()].to_vec();
                self.pos += i + delimiter.len();
                return Ok(Some(out));
            }
            if self.end - self.pos > MAX_HEAD {
                return Err(invalid("a head or chunk line is too long"));
            }
            if self.fill()? == 0 {
                return if self.pos == self.end { Ok(None) } else { Err(eof()) };
            }
        }
    }

    /// Up to `max` bytes, at least one; an error at end of stream.
    pub(crate) fn read_some(&mut self, max: usize) -> io::Result<&[u8]> {
        if self.pos == self.end && self.fill()? == 0 {
            return Err(eof());
        }
        let n = (self.end - self.pos).min(max);
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }
}

fn eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "the peer closed mid-message")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Head {
        Head::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn a_request_head_parses_into_method_target_and_headers() {
        let h = head("PUT /acct/c/b?comp=block HTTP/1.1\r\nContent-Length: 42\r\nX-Ms-Date: now\r\n\r\n");
        assert_eq!(h.start[0], "PUT");
        assert_eq!(h.start[1], "/acct/c/b?comp=block");
        assert_eq!(h.header("x-ms-date"), Some("now"));
        assert_eq!(h.request_framing().unwrap(), Framing::Length(42));
        assert!(!h.closes());
    }

    #[test]
    fn response_framing_follows_the_method_and_status() {
        let ok = head("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n");
        assert_eq!(ok.status(), 200);
        assert_eq!(ok.response_framing("GET").unwrap(), Framing::Length(7));
        assert_eq!(ok.response_framing("HEAD").unwrap(), Framing::Empty);
        assert_eq!(head("HTTP/1.1 204 No Content\r\n\r\n").response_framing("GET").unwrap(), Framing::Empty);
        assert_eq!(head("HTTP/1.1 304 Not Modified\r\n\r\n").response_framing("GET").unwrap(), Framing::Empty);
        let chunked = head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(chunked.response_framing("GET").unwrap(), Framing::Chunked);
        let open = head("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        assert_eq!(open.response_framing("GET").unwrap(), Framing::UntilClose);
        assert!(open.closes());
        assert_eq!(head("GET / HTTP/1.1\r\n\r\n").request_framing().unwrap(), Framing::Empty);
    }

    #[test]
    fn malformed_heads_and_chunk_sizes_are_errors() {
        assert!(Head::parse(b"GARBAGE\r\n\r\n").is_err());
        assert!(Head::parse(b"GET / HTTP/1.1\r\nno colon here\r\n\r\n").is_err());
        assert!(head("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n").response_framing("GET").is_err());
        assert_eq!(chunk_size(b"1a;name=v").unwrap(), 26);
        assert!(chunk_size(b"zz").is_err());
    }
}
