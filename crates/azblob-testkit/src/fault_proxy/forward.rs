//! One client connection through the fault proxy: each request is parsed,
//! given its fault by the plan, and forwarded (or not) on a keep-alive
//! connection to the upstream server.

use std::io::{self, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use super::answer::status_answer;
use super::http::{Conn, Framing, Head};
use super::plan::{HttpFault, RequestInfo};
use super::Shared;

/// Whether a connection goes on to its next request.
enum Next {
    Request,
    Close,
}

/// One client connection's state: its two ends and its pace.
struct Link<'a> {
    client: Conn,
    upstream: Option<Conn>,
    pace: Pace,
    shared: &'a Shared,
}

/// Serves the client connection with index `index` until it closes, a fault
/// ends it, or the proxy stops.
pub(crate) fn serve(client: TcpStream, index: usize, shared: &Shared) -> io::Result<()> {
    client.set_nodelay(true)?;
    let client = Conn::new(client, Arc::clone(&shared.stop));
    let mut link = Link { client, upstream: None, pace: Pace::new(shared.throttle), shared };
    for on_connection in 0.. {
        let Some(raw) = link.client.read_until(b"\r\n\r\n")? else { return Ok(()) };
        let head = Head::parse(&raw)?;
        let framing = head.request_framing()?;
        let info = RequestInfo {
            index: shared.requests.fetch_add(1, Ordering::SeqCst),
            connection: (index, on_connection),
            method: head.start[0].clone(),
            target: head.start[1].clone(),
            body_len: match framing {
                Framing::Empty => Some(0),
                Framing::Length(n) => Some(n),
                Framing::Chunked | Framing::UntilClose => None,
            },
            bytes_before: shared.bytes.load(Ordering::SeqCst),
        };
        let fault = shared.plan.fault(&info);
        let next = match fault {
            HttpFault::Stall | HttpFault::Status { .. } | HttpFault::ResetRequestBody { .. } => {
                link.answer_locally(&info, framing, fault)?
            }
            _ => link.forward(&info, &raw, framing, fault)?,
        };
        if matches!(next, Next::Close) || head.closes() {
            return Ok(());
        }
    }
    Ok(())
}

impl Link<'_> {
    /// The faults the proxy acts out without the server: a stall, a made-up
    /// status, a reset mid-request.
    fn answer_locally(&mut self, info: &RequestInfo, framing: Framing, fault: HttpFault) -> io::Result<Next> {
        self.shared.record(info, fault);
        match fault {
            HttpFault::Status { status, hint } => {
                read_body(&mut self.client, framing, None)?;
                let answer = status_answer(status, hint, SystemTime::now(), info.method == "HEAD");
                send(&mut self.client.stream, &answer, &mut self.pace, self.shared)?;
                Ok(Next::Request)
            }
            HttpFault::ResetRequestBody { after } => {
                read_body(&mut self.client, framing, Some(after))?;
                reset(&self.client.stream)?;
                Ok(Next::Close)
            }
            _ => {
                drain(&mut self.client)?;
                Ok(Next::Close)
            }
        }
    }

    /// Forwards the request and reads the whole answer, then hands the
    /// client the answer, part of it, or a reset, as `fault` says.
    fn forward(&mut self, info: &RequestInfo, raw: &[u8], framing: Framing, fault: HttpFault) -> io::Result<Next> {
        let shared = self.shared;
        let up = match self.upstream.take().filter(is_alive) {
            Some(up) => self.upstream.insert(up),
            None => self.upstream.insert(Conn::new(TcpStream::connect(shared.upstream)?, Arc::clone(&shared.stop))),
        };
        send(&mut up.stream, raw, &mut self.pace, shared)?;
        let body = read_body(&mut self.client, framing, None)?;
        send(&mut up.stream, &body, &mut self.pace, shared)?;
        let Some(raw_answer) = up.read_until(b"\r\n\r\n")? else {
            reset(&self.client.stream)?;
            return Ok(Next::Close);
        };
        let answer = Head::parse(&raw_answer)?;
        let answer_framing = answer.response_framing(&info.method)?;
        let answer_body = read_body(up, answer_framing, None)?;
        let upstream_closes = answer.closes() || answer_framing == Framing::UntilClose;
        if upstream_closes {
            self.upstream = None;
        }
        let (cut, clean) = match fault {
            HttpFault::LoseResponse => (Some(None), false),
            HttpFault::ResetResponseBody { after } => (Some(cut_at(after, answer_body.len() as u64)), false),
            HttpFault::Truncate { after } => (Some(cut_at(after, answer_body.len() as u64)), true),
            _ => (None, true),
        };
        let client = &mut self.client.stream;
        match cut {
            Some(cut) => {
                if let Some(cut) = cut {
                    send(client, &raw_answer, &mut self.pace, shared)?;
                    send(client, &answer_body[..cut as usize], &mut self.pace, shared)?;
                }
            }
            None => {
                send(client, &raw_answer, &mut self.pace, shared)?;
                send(client, &answer_body, &mut self.pace, shared)?;
                if fault != HttpFault::CloseIdle && !upstream_closes {
                    return Ok(Next::Request);
                }
            }
        }
        if fault != HttpFault::Pass {
            shared.record(info, fault);
        }
        if clean {
            client.shutdown(Shutdown::Both)?;
        } else {
            reset(client)?;
        }
        Ok(Next::Close)
    }
}

/// Where a cut `after` body bytes falls in a body of `len` bytes: at least
/// one byte short of its end, so the cut always shows; `None` for an empty
/// body, which is then cut before its head.
pub(crate) fn cut_at(after: u64, len: u64) -> Option<u64> {
    len.checked_sub(1).map(|last| after.min(last))
}

/// Reads a message body from `from`, all of it or (with `limit`) at most
/// `limit` bytes and at least one byte short of its end. Bodies here are
/// blocks and listings, so holding one in memory is fine.
fn read_body(from: &mut Conn, framing: Framing, limit: Option<u64>) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    match framing {
        Framing::Empty => {}
        Framing::Length(n) => {
            let want = limit.map_or(Some(n), |l| cut_at(l, n)).unwrap_or(0);
            while (out.len() as u64) < want {
                let left = (want - out.len() as u64).min(1 << 20) as usize;
                out.extend_from_slice(from.read_some(left)?);
            }
        }
        Framing::Chunked => loop {
            let line = from.read_until(b"\r\n")?.ok_or_else(truncated)?;
            out.extend_from_slice(&line);
            let size = super::http::chunk_size(&line[..line.len() - 2])?;
            if size == 0 {
                // Trailers, up to the blank line.
                loop {
                    let trailer = from.read_until(b"\r\n")?.ok_or_else(truncated)?;
                    out.extend_from_slice(&trailer);
                    if trailer == b"\r\n" {
                        break;
                    }
                }
                break;
            }
            let mut left = size + 2;
            while left > 0 {
                let piece = from.read_some(left.min(1 << 20) as usize)?;
                left -= piece.len() as u64;
                out.extend_from_slice(piece);
            }
        },
        Framing::UntilClose => loop {
            match from.read_some(1 << 20) {
                Ok(piece) => out.extend_from_slice(piece),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(e),
            }
        },
    }
    Ok(out)
}

fn truncated() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "the peer closed mid-body")
}

/// Whether a kept-alive upstream connection is still open: the server may
/// have closed it while idle, and a request sent into it would be lost.
fn is_alive(up: &Conn) -> bool {
    if up.has_buffered() || up.stream.set_nonblocking(true).is_err() {
        return false;
    }
    let alive = matches!(up.stream.peek(&mut [0u8; 1]), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
    up.stream.set_nonblocking(false).is_ok() && alive
}

/// Ends the connection with a TCP reset (SO_LINGER 0), not a clean close.
fn reset(stream: &TcpStream) -> io::Result<()> {
    socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO))
}

/// Reads and discards what the client sends until it closes or the proxy stops.
fn drain(client: &mut Conn) -> io::Result<()> {
    loop {
        match client.read_some(64 * 1024) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// The pace of a throttled connection: the bytes sent so far and since when.
struct Pace {
    rate: Option<u64>,
    started: Instant,
    moved: u64,
}

impl Pace {
    fn new(rate: Option<u64>) -> Pace {
        Pace { rate: rate.filter(|&r| r > 0), started: Instant::now(), moved: 0 }
    }
}

/// Writes `bytes`, counting them and, if throttled, at the connection's pace
/// (in slices of 1/32 s, so the pace is smooth).
fn send(to: &mut TcpStream, bytes: &[u8], pace: &mut Pace, shared: &Shared) -> io::Result<()> {
    let slice = pace.rate.map_or(bytes.len().max(1), |r| (r / 32).clamp(1, 1 << 20) as usize);
    for piece in bytes.chunks(slice) {
        to.write_all(piece)?;
        shared.bytes.fetch_add(piece.len() as u64, Ordering::SeqCst);
        pace.moved += piece.len() as u64;
        if let Some(rate) = pace.rate {
            // Pacing, not synchronization: the proxy emulates a slow link.
            let due = Duration::from_secs_f64(pace.moved as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(pace.started.elapsed()) {
                thread::sleep(wait);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_fall_inside_the_body() {
        assert_eq!(cut_at(10, 100), Some(10));
        assert_eq!(cut_at(500, 100), Some(99));
        assert_eq!(cut_at(0, 1), Some(0));
        assert_eq!(cut_at(7, 0), None);
    }
}
