//! A loopback TCP relay between a client and a server that misbehaves on
//! purpose: it throttles a connection, or accepts it and then goes silent.
//!
//! Each accepted connection gets its [`Fault`] from a plan, a function of the
//! connection's index, so a test scripts "the first connection stalls, the
//! rest pass". The relay works on bytes, not HTTP, so it also carries TLS.
//! New faults (a reset after N bytes, a truncated answer, a scripted 503 or
//! 429) are new [`Fault`] variants, and a seeded plan can pick them at
//! random yet reproducibly.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// What the relay does with one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Forwards both directions as fast as they go.
    Pass,
    /// Forwards each direction at no more than this many bytes per second.
    Throttle {
        /// The pace of each direction of this one connection.
        bytes_per_second: u64,
    },
    /// Accepts the connection, reads and discards what the client sends,
    /// and never answers (the server is not even contacted).
    Stall,
    /// Forwards the client's bytes, and the server's first `bytes` bytes;
    /// then sends the client nothing more and keeps the connection open.
    StallAfter {
        /// How many of the server's bytes reach the client.
        bytes: u64,
    },
}

/// A relay listening on a free port of 127.0.0.1; it stops accepting when dropped.
#[derive(Debug)]
pub struct Relay {
    port: u16,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

type Plan = dyn Fn(usize) -> Fault + Send + Sync;

/// How often stalled connections check whether the relay was dropped.
const POLL: Duration = Duration::from_millis(100);

impl Relay {
    /// Starts a relay to `upstream` (`host:port`); connection `n` (from 0)
    /// gets the fault `plan(n)`.
    pub fn start(upstream: &str, plan: impl Fn(usize) -> Fault + Send + Sync + 'static) -> io::Result<Relay> {
        let upstream = upstream
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the upstream address resolves to nothing"))?;
        let listener = small_buffered_listener()?;
        let port = listener.local_addr()?.port();
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let plan: Arc<Plan> = Arc::new(plan);
        let (count, stopped) = (Arc::clone(&connections), Arc::clone(&stop));
        thread::spawn(move || {
            for client in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let index = count.fetch_add(1, Ordering::SeqCst);
                let fault = plan(index);
                let stopped = Arc::clone(&stopped);
                thread::spawn(move || {
                    let _ = relay(client, upstream, fault, &stopped);
                });
            }
        });
        Ok(Relay { port, connections, stop })
    }

    /// Starts a relay to the host and port of an `http(s)://host:port/...` URL.
    pub fn to_url(url: &str, plan: impl Fn(usize) -> Fault + Send + Sync + 'static) -> io::Result<Relay> {
        Relay::start(crate::authority_of(url), plan)
    }

    /// The port the relay listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `url` with its `host:port` replaced by the relay's, so a client of the
    /// URL goes through the relay.
    pub fn url_for(&self, url: &str) -> String {
        crate::url_through(url, self.port)
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// The most the relay's kernel buffers hold for a client connection. A
/// throttle is a slow link only if the client cannot hand the kernel
/// megabytes at once: loopback buffers grow to tens of MiB, so a whole block
/// would be "sent" in an instant and then wait, silent, for the relay to
/// trickle it on. 64 KiB is what a real path of a few Mbit/s holds in flight.
const LINK_BUFFER: usize = 64 * 1024;

/// The segment size the relay advertises, an Ethernet path's. Loopback's
/// 64 KiB segments make the client's kernel size its send buffer to
/// megabytes (it scales with the segment size), another buffer no real
/// slow link has.
const LINK_MSS: u32 = 1460;

/// A listener on a free port of 127.0.0.1 whose connections have
/// [`LINK_BUFFER`]-sized buffers and a [`LINK_MSS`] segment size (set
/// before `listen`, so the TCP handshake negotiates with them).
fn small_buffered_listener() -> io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.set_recv_buffer_size(LINK_BUFFER)?;
    socket.set_send_buffer_size(LINK_BUFFER)?;
    #[cfg(unix)]
    socket.set_tcp_mss(LINK_MSS)?;
    socket.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
    socket.listen(128)?;
    Ok(socket.into())
}

/// Serves one client connection according to `fault`.
fn relay(client: TcpStream, upstream: SocketAddr, fault: Fault, stop: &Arc<AtomicBool>) -> io::Result<()> {
    client.set_nodelay(true)?;
    if fault == Fault::Stall {
        return drain(client, stop);
    }
    let server = TcpStream::connect(upstream)?;
    server.set_nodelay(true)?;
    let (rate, down_limit) = match fault {
        Fault::Throttle { bytes_per_second } => (Some(bytes_per_second), None),
        Fault::StallAfter { bytes } => (None, Some(bytes)),
        _ => (None, None),
    };
    let up = {
        let (from, to) = (client.try_clone()?, server.try_clone()?);
        thread::spawn(move || pump(from, to, rate, None))
    };
    // With a limit, this returns once the limit is reached, leaving the
    // connection open and silent toward the client until the client gives
    // up and closes it, which ends the upstream pump too.
    pump(server, client.try_clone()?, rate, down_limit)?;
    let _ = up.join();
    Ok(())
}

/// Copies `from` to `to` at no more than `rate` bytes per second, and at
/// most `limit` bytes; then shuts `to`'s write side (unless cut by `limit`).
fn pump(mut from: TcpStream, mut to: TcpStream, rate: Option<u64>, limit: Option<u64>) -> io::Result<()> {
    // Small reads keep the pace smooth: the relay never takes much more from
    // the kernel than it has sent on.
    let mut buf = vec![0u8; rate.map_or(64 * 1024, |r| (r / 32).clamp(1, 64 * 1024) as usize)];
    let started = Instant::now();
    let mut moved: u64 = 0;
    loop {
        let room = limit.map_or(buf.len(), |l| (l - moved).min(buf.len() as u64) as usize);
        if room == 0 {
            return Ok(());
        }
        let n = match from.read(&mut buf[..room]) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
        moved += n as u64;
        if let Some(rate) = rate.filter(|&r| r > 0) {
            // Pacing, not synchronization: the relay emulates a slow link.
            let due = Duration::from_secs_f64(moved as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                thread::sleep(wait);
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
    Ok(())
}

/// Reads and discards what the client sends until it closes or the relay stops.
fn drain(mut client: TcpStream, stop: &Arc<AtomicBool>) -> io::Result<()> {
    client.set_read_timeout(Some(POLL))?;
    let mut buf = [0u8; 16 * 1024];
    while !stop.load(Ordering::SeqCst) {
        match client.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo server on a free port.
    fn echo() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let mut stream = stream.unwrap();
                thread::spawn(move || {
                    let mut writer = stream.try_clone().unwrap();
                    let _ = io::copy(&mut stream, &mut writer);
                });
            }
        });
        port
    }

    #[test]
    fn a_throttled_connection_keeps_its_pace() {
        let relay = Relay::start(&format!("127.0.0.1:{}", echo()), |_| Fault::Throttle { bytes_per_second: 64 * 1024 })
            .unwrap();
        let mut stream = TcpStream::connect(("127.0.0.1", relay.port())).unwrap();
        let sent = vec![7u8; 32 * 1024];
        let started = Instant::now();
        stream.write_all(&sent).unwrap();
        let mut back = vec![0u8; sent.len()];
        stream.read_exact(&mut back).unwrap();
        assert_eq!(back, sent);
        // 32 KiB at 64 KiB/s takes about half a second each way (pipelined).
        assert!(started.elapsed() >= Duration::from_millis(400), "{:?}", started.elapsed());
        assert_eq!(relay.connections(), 1);
    }

    #[test]
    fn a_connection_that_stalls_after_n_bytes_delivers_exactly_n() {
        let relay = Relay::start(&format!("127.0.0.1:{}", echo()), |_| Fault::StallAfter { bytes: 10 }).unwrap();
        let mut stream = TcpStream::connect(("127.0.0.1", relay.port())).unwrap();
        stream.write_all(b"0123456789abcdef").unwrap();
        let mut first = [0u8; 10];
        stream.read_exact(&mut first).unwrap();
        assert_eq!(&first, b"0123456789");
        stream.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        let err = stream.read(&mut [0u8; 1]).unwrap_err();
        assert!(matches!(err.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut), "{err}");
    }

    #[test]
    fn a_stalled_connection_answers_nothing() {
        let relay = Relay::start(&format!("127.0.0.1:{}", echo()), |_| Fault::Stall).unwrap();
        let mut stream = TcpStream::connect(("127.0.0.1", relay.port())).unwrap();
        stream.write_all(b"hello").unwrap();
        stream.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        let err = stream.read(&mut [0u8; 1]).unwrap_err();
        assert!(matches!(err.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut), "{err}");
    }

    #[test]
    fn url_for_swaps_the_authority() {
        let relay = Relay::start(&format!("127.0.0.1:{}", echo()), |_| Fault::Pass).unwrap();
        assert_eq!(
            relay.url_for("http://127.0.0.1:10000/devstoreaccount1"),
            format!("http://127.0.0.1:{}/devstoreaccount1", relay.port())
        );
    }
}
