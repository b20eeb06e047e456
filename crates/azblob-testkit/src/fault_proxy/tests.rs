//! The proxy on real sockets, in front of a tiny keep-alive server.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::http::{Conn, Framing, Head};
use super::*;

const ANSWER_HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";

/// A keep-alive server that answers every request with 100 bytes `0..100`
/// and counts the requests it received in full.
fn upstream() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let received = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&received);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let count = Arc::clone(&count);
            thread::spawn(move || {
                let mut writer = stream.unwrap();
                let mut conn = Conn::new(writer.try_clone().unwrap(), Arc::new(AtomicBool::new(false)));
                while let Ok(Some(raw)) = conn.read_until(b"\r\n\r\n") {
                    if let Framing::Length(n) = Head::parse(&raw).unwrap().request_framing().unwrap() {
                        let mut left = n as usize;
                        while left > 0 {
                            left -= conn.read_some(left).unwrap().len();
                        }
                    }
                    count.fetch_add(1, Ordering::SeqCst);
                    let body: Vec<u8> = (0..100).collect();
                    writer.write_all(&[ANSWER_HEAD.as_bytes(), &body].concat()).unwrap();
                }
            });
        }
    });
    (address, received)
}

fn proxy(plan: impl FaultPlan + 'static) -> (FaultProxy, TcpStream, Arc<AtomicUsize>) {
    let (address, received) = upstream();
    let proxy = FaultProxy::start(&address, plan, ProxyOptions::default()).unwrap();
    let client = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
    client.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    (proxy, client, received)
}

const REQUEST: &[u8] = b"PUT /c/b?comp=block HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";

/// Everything the client receives until the connection ends, and how it ended.
fn read_to_end(client: &mut TcpStream) -> (Vec<u8>, Option<std::io::ErrorKind>) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match client.read(&mut buf) {
            Ok(0) => return (got, None),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => return (got, Some(e.kind())),
        }
    }
}

fn body_after_head(got: &[u8]) -> &[u8] {
    let at = got.windows(4).position(|w| w == b"\r\n\r\n").expect("a head arrived") + 4;
    &got[at..]
}

#[test]
fn requests_pass_on_one_keep_alive_connection() {
    let (proxy, mut client, received) = proxy(|_: &RequestInfo| HttpFault::Pass);
    for _ in 0..2 {
        client.write_all(REQUEST).unwrap();
        let mut answer = vec![0u8; ANSWER_HEAD.len() + 100];
        client.read_exact(&mut answer).unwrap();
        assert_eq!(body_after_head(&answer), (0..100).collect::<Vec<u8>>());
    }
    assert_eq!((received.load(Ordering::SeqCst), proxy.requests(), proxy.connections()), (2, 2, 1));
    assert!(proxy.injected().is_empty());
    assert!(proxy.errors().is_empty());
}

#[test]
fn a_throttled_connection_keeps_its_pace() {
    let (address, _) = upstream();
    let options = ProxyOptions::default().throttle(256);
    let proxy = FaultProxy::start(&address, |_: &RequestInfo| HttpFault::Pass, options).unwrap();
    let mut client = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
    let started = std::time::Instant::now();
    client.write_all(REQUEST).unwrap();
    let mut answer = vec![0u8; ANSWER_HEAD.len() + 100];
    client.read_exact(&mut answer).unwrap();
    // 66 bytes up and 140 down, paced together at 256 bytes/s: 0.8 s.
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(700), "{took:?}");
    assert_eq!(body_after_head(&answer), (0..100).collect::<Vec<u8>>());
}

#[test]
fn a_status_fault_answers_without_forwarding() {
    let plan = |r: &RequestInfo| match r.index {
        0 => HttpFault::Status { status: 503, hint: RetryHint::Date(1) },
        _ => HttpFault::Pass,
    };
    let (proxy, mut client, received) = proxy(plan);
    client.write_all(REQUEST).unwrap();
    let mut buf = [0u8; 4096];
    let n = client.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(text.starts_with("HTTP/1.1 503 ") && text.contains("Retry-After: ") && text.contains(" GMT\r\n"), "{text}");
    // The connection stays usable, and the next request goes through.
    client.write_all(REQUEST).unwrap();
    let mut answer = vec![0u8; ANSWER_HEAD.len() + 100];
    client.read_exact(&mut answer).unwrap();
    assert_eq!(received.load(Ordering::SeqCst), 1, "the faulted request never reached the server");
    assert_eq!(proxy.counts().get("status-503"), Some(&1));
}

#[test]
fn a_truncated_answer_ends_cleanly_before_its_length() {
    let (proxy, mut client, _) = proxy(|_: &RequestInfo| HttpFault::Truncate { after: 10 });
    client.write_all(REQUEST).unwrap();
    let (got, error) = read_to_end(&mut client);
    assert_eq!(error, None, "a clean close, not a reset");
    assert_eq!(body_after_head(&got), (0..10).collect::<Vec<u8>>());
    assert_eq!(proxy.injected()[0].fault, HttpFault::Truncate { after: 10 });
}

#[test]
fn a_reset_mid_answer_is_a_reset_after_the_bytes_promised() {
    let (_proxy, mut client, _) = proxy(|_: &RequestInfo| HttpFault::ResetResponseBody { after: 1000 });
    client.write_all(REQUEST).unwrap();
    let (got, error) = read_to_end(&mut client);
    assert_eq!(error, Some(std::io::ErrorKind::ConnectionReset));
    // An offset past the body's end is cut one byte short of it.
    assert_eq!(body_after_head(&got), (0..99).collect::<Vec<u8>>());
}

#[test]
fn a_lost_answer_reaches_the_server_but_not_the_client() {
    let (proxy, mut client, received) = proxy(|_: &RequestInfo| HttpFault::LoseResponse);
    client.write_all(REQUEST).unwrap();
    let (got, error) = read_to_end(&mut client);
    assert_eq!((got.len(), error), (0, Some(std::io::ErrorKind::ConnectionReset)));
    assert_eq!(received.load(Ordering::SeqCst), 1);
    assert_eq!(proxy.counts().get("lose-response"), Some(&1));
}

#[test]
fn a_reset_mid_request_never_reaches_the_server() {
    let (_proxy, mut client, received) = proxy(|_: &RequestInfo| HttpFault::ResetRequestBody { after: 2 });
    client.write_all(REQUEST).unwrap();
    let (got, error) = read_to_end(&mut client);
    assert_eq!((got.len(), error), (0, Some(std::io::ErrorKind::ConnectionReset)));
    assert_eq!(received.load(Ordering::SeqCst), 0);
}

#[test]
fn a_client_gone_mid_request_is_an_error_not_a_fault() {
    let (proxy, mut client, received) = proxy(|_: &RequestInfo| HttpFault::Pass);
    client.write_all(&REQUEST[..REQUEST.len() - 2]).unwrap();
    drop(client);
    // The proxy notices within its read poll; wait for it by polling the
    // proxy's own record, not by a fixed sleep.
    let started = std::time::Instant::now();
    while proxy.errors().is_empty() && started.elapsed() < Duration::from_secs(5) {
        thread::yield_now();
    }
    assert_eq!(proxy.errors().len(), 1, "{:?}", proxy.errors());
    assert!(proxy.injected().is_empty());
    assert_eq!(received.load(Ordering::SeqCst), 0);
}

#[test]
fn close_idle_delivers_the_answer_then_closes() {
    let (_proxy, mut client, _) = proxy(|_: &RequestInfo| HttpFault::CloseIdle);
    client.write_all(REQUEST).unwrap();
    let (got, error) = read_to_end(&mut client);
    assert_eq!(error, None);
    assert_eq!(body_after_head(&got), (0..100).collect::<Vec<u8>>());
}

#[test]
fn a_stalled_request_gets_no_answer() {
    let (proxy, mut client, received) = proxy(|_: &RequestInfo| HttpFault::Stall);
    client.write_all(REQUEST).unwrap();
    client.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let err = client.read(&mut [0u8; 1]).unwrap_err();
    assert!(matches!(err.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut), "{err}");
    assert_eq!(received.load(Ordering::SeqCst), 0);
    assert_eq!(proxy.counts().get("stall"), Some(&1));
}
