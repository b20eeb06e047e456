//! A loopback port whose TCP handshake never completes, standing in for an
//! unreachable host without sending a packet beyond loopback.

use std::io;
use std::net::{SocketAddr, TcpStream};

use socket2::{Domain, Socket, Type};

/// A listener whose accept queue is full. Linux drops the SYN of every
/// further connection while the queue is full (`tcp_conn_request` checks
/// `sk_acceptq_is_full`), so a client's connect hangs until its own
/// timeout, exactly as toward a host that does not answer. It holds the
/// listening socket and the one connection that fills the queue.
#[derive(Debug)]
pub struct Unreachable {
    _listener: Socket,
    _filler: TcpStream,
    port: u16,
}

impl Unreachable {
    /// Listens on a free port of 127.0.0.1 with a backlog of 0 (one
    /// established connection, never accepted) and fills it.
    pub fn start() -> io::Result<Unreachable> {
        let listener = Socket::new(Domain::IPV4, Type::STREAM, None)?;
        listener.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
        listener.listen(0)?;
        let port = listener
            .local_addr()?
            .as_socket()
            .ok_or_else(|| io::Error::other("the listener has no IP address"))?
            .port();
        let filler = TcpStream::connect(("127.0.0.1", port))?;
        Ok(Unreachable { _listener: listener, _filler: filler, port })
    }

    /// The port whose connections never complete.
    pub fn port(&self) -> u16 {
        self.port
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn a_connect_to_a_full_backlog_times_out() {
        let unreachable = Unreachable::start().unwrap();
        let address = SocketAddr::from(([127, 0, 0, 1], unreachable.port()));
        let started = Instant::now();
        let err = TcpStream::connect_timeout(&address, Duration::from_millis(300)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        assert!(started.elapsed() >= Duration::from_millis(250));
    }
}
