//! Fault injection with a scripted local HTTP server: a keep-alive connection
//! that the server closes just as the client reuses it must be retried, not
//! surfaced, for requests that are safe to repeat.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use azblob::transport::{Clock, RetryOptions};
use azblob::{ClientBuilder, ErrorKind, DEV_ACCOUNT, DEV_ACCOUNT_KEY};
use futures_util::future::BoxFuture;

/// A clock that does not sleep, so retries cost no time.
#[derive(Debug)]
struct NoSleep;

impl Clock for NoSleep {
    fn sleep(&self, _duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

/// Reads one HTTP/1.1 request (head and Content-Length body); false at EOF.
fn read_request(reader: &mut BufReader<TcpStream>) -> bool {
    let mut content_length = 0usize;
    let mut first = true;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return false;
        }
        if line == "\r\n" {
            break;
        }
        if !first {
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    content_length = value.trim().parse().unwrap();
                }
            }
        }
        first = false;
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body).is_ok()
}

const CREATED: &[u8] = b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\nETag: \"0x1\"\r\n\
    Last-Modified: Mon, 23 Nov 2026 10:00:00 GMT\r\n\r\n";

/// Serves: connection 1 answers one request, then drops the next one
/// unanswered; every later connection answers normally.
fn start_server(requests: Arc<AtomicUsize>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for (index, stream) in listener.incoming().take(4).enumerate() {
            let stream = stream.unwrap();
            let requests = Arc::clone(&requests);
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                while read_request(&mut reader) {
                    let n = requests.fetch_add(1, Ordering::SeqCst);
                    if index == 0 && n == 1 {
                        // Close the reused connection without an answer.
                        let _ = writer.shutdown(std::net::Shutdown::Both);
                        return;
                    }
                    writer.write_all(CREATED).unwrap();
                }
            });
        }
    });
    port
}

fn client(port: u16, retry: RetryOptions) -> azblob::BlobServiceClient {
    ClientBuilder::new()
        .endpoint(format!("http://127.0.0.1:{port}/{DEV_ACCOUNT}"))
        .shared_key(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
        .unwrap()
        .retry(retry)
        .clock(Arc::new(NoSleep))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_dropped_keep_alive_connection_is_retried() {
    let requests = Arc::new(AtomicUsize::new(0));
    let port = start_server(Arc::clone(&requests));
    let blob = client(port, RetryOptions::default()).blob("faults", "b");
    blob.put("first").await.unwrap();
    blob.put("second").await.expect("the broken attempt is retried on a new connection");
    assert_eq!(requests.load(Ordering::SeqCst), 3, "one request, one dropped attempt, one retry");
}

#[tokio::test]
async fn without_retries_the_broken_connection_is_a_transport_error() {
    let requests = Arc::new(AtomicUsize::new(0));
    let port = start_server(Arc::clone(&requests));
    let blob = client(port, RetryOptions::none()).blob("faults", "b");
    blob.put("first").await.unwrap();
    let err = blob.put("second").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert!(err.status().is_none(), "no response: {err:?}");
}

/// A huge pool idle timeout once panicked in hyper's idle-connection task
/// (`Instant + Duration`), a task the client spawns, so the request itself
/// succeeded and only a panic hook could tell.
#[tokio::test]
async fn a_huge_pool_idle_timeout_panics_no_task() {
    static PANICS: AtomicUsize = AtomicUsize::new(0);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        previous(info);
    }));
    let requests = Arc::new(AtomicUsize::new(0));
    let port = start_server(Arc::clone(&requests));
    let client = ClientBuilder::new()
        .endpoint(format!("http://127.0.0.1:{port}/{DEV_ACCOUNT}"))
        .shared_key(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
        .unwrap()
        .pool_idle_timeout(Duration::MAX)
        .inactivity_timeout(Duration::MAX)
        .deadline(Duration::MAX)
        .connect_timeout(Duration::MAX)
        .build()
        .unwrap();
    client.blob("faults", "b").put("first").await.unwrap();
    // This test's runtime has one thread: each yield lets the tasks the
    // connection spawned (the pool's idle timer among them) run to their
    // first await, where the overflow happened.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "a spawned task panicked");
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_after_retries() {
    // Bind and drop to find a port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = client(port, RetryOptions::default()).blob("faults", "b").download().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert!(err.to_string().contains("connect"), "{err}");
}
