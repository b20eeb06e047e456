//! A fast in-memory sink server for benchmarks and the soak (never used by tests).
//!
//! It speaks just enough of the Blob REST API over HTTP/1.1 keep-alive:
//! Put Blob, Put Block, Put Block List, Get Blob (with `x-ms-range`),
//! Get Blob Properties, List Blobs (paged, with a delimiter) and Delete
//! Blob. It checks no signature. By default it keeps no data: it remembers
//! sizes, metadata and a sent MD5 (`sink_blobs.rs`, which the directory
//! bench's syncs need), and serves a fixed byte pattern, so memory and CPU
//! stay out of the client's way (`bench`). With
//! `--store` it keeps what is uploaded and serves it back (`soak`, which
//! checks transfers byte for byte; see `sink_store.rs`).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::sink_blobs::{list_page, BlobInfo, ListQuery};
use crate::sink_store::{block_ids, write_range, Data};
use crate::sink_tls::TlsConfig;

const PATTERN_LEN: usize = 1 << 20;

#[derive(Default)]
struct Store {
    /// Committed blobs by path, in order for listings.
    blobs: BTreeMap<String, BlobInfo>,
    /// Staged block sizes by (path, block id).
    blocks: HashMap<(String, String), u64>,
    /// With `--store`: the data itself.
    data: Option<Data>,
}

/// Milliseconds each answer waits before its headers (`--latency-ms`): the
/// simulated network distance of `bench --latency-ms` (`bench_latency.rs`).
static LATENCY_MS: AtomicU64 = AtomicU64::new(0);

/// `sink PORT [--store] [--tls CERT KEY] [--latency-ms N]`: serves forever on `port` (127.0.0.1).
pub(crate) fn main(args: &[String]) -> Result<(), String> {
    const USAGE: &str = "usage: sink PORT [--store] [--tls CERT_PEM KEY_PEM] [--latency-ms N]";
    let [port, rest @ ..] = args else { return Err(USAGE.to_owned()) };
    let (mut store, mut tls) = (false, None);
    let mut rest = rest.iter();
    while let Some(flag) = rest.next() {
        match flag.as_str() {
            "--store" => store = true,
            "--tls" => {
                let (Some(cert), Some(key)) = (rest.next(), rest.next()) else { return Err(USAGE.to_owned()) };
                tls = Some(TlsConfig::load(cert.as_ref(), key.as_ref())?);
            }
            "--latency-ms" => {
                let n = rest.next().and_then(|n| n.parse().ok()).ok_or("--latency-ms takes a number")?;
                LATENCY_MS.store(n, Ordering::Relaxed);
            }
            _ => return Err(USAGE.to_owned()),
        }
    }
    let port: u16 = port.parse().map_err(|_| format!("{port:?} is not a port"))?;
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("cannot bind: {e}"))?;
    serve(listener, store, tls);
    Ok(())
}

/// Serves forever on `listener`, keeping uploaded data if `store`, over
/// TLS when `tls` is given.
pub(crate) fn serve(listener: TcpListener, store: bool, tls: Option<TlsConfig>) {
    let store = Arc::new(Mutex::new(Store { data: store.then(Data::default), ..Store::default() }));
    let pattern: Arc<Vec<u8>> = Arc::new((0..PATTERN_LEN).map(|i| (i % 251) as u8).collect());
    for stream in listener.incoming().flatten() {
        let (store, pattern, tls) = (Arc::clone(&store), Arc::clone(&pattern), tls.clone());
        std::thread::spawn(move || {
            let _ = stream.set_nodelay(true);
            let _ = match tls {
                Some(tls) => tls.accept(stream).and_then(|stream| handle(stream, &store, &pattern)),
                None => handle(stream, &store, &pattern),
            };
        });
    }
}

struct Head {
    method: String,
    path: String,
    query: HashMap<String, String>,
    headers: HashMap<String, String>,
}

fn read_head(reader: &mut BufReader<impl Read>) -> std::io::Result<Option<Head>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("/").to_owned();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .map(|(k, v)| (k.to_owned(), percent_decode(v)))
        .collect();
    let mut headers = HashMap::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    Ok(Some(Head { method, path: path.to_owned(), query, headers }))
}

/// Serves one connection: plain TCP, or TLS (one stream that reads and
/// writes, so answers are written through the reader's inner stream).
fn handle(stream: impl Read + Write, store: &Mutex<Store>, pattern: &[u8]) -> std::io::Result<()> {
    let mut reader = BufReader::with_capacity(1 << 20, stream);
    let mut sink = vec![0u8; 1 << 20];
    let keep_all = store.lock().unwrap().data.is_some();
    while let Some(head) = read_head(&mut reader)? {
        let length: u64 = head.headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut body = Vec::new();
        let mut left = length;
        // Keep small bodies (block lists), discard the rest, unless storing.
        while left > 0 {
            let want = left.min(sink.len() as u64) as usize;
            let n = reader.read(&mut sink[..want])?;
            if n == 0 {
                return Ok(());
            }
            if keep_all || length <= 1 << 20 {
                body.extend_from_slice(&sink[..n]);
            }
            left -= n as u64;
        }
        let latency = LATENCY_MS.load(Ordering::Relaxed);
        if latency > 0 {
            // The simulated round trip: this connection's answer waits, others do not.
            std::thread::sleep(Duration::from_millis(latency));
        }
        respond(reader.get_mut(), &head, length, body, store, pattern)?;
        reader.get_mut().flush()?;
    }
    Ok(())
}

const COMMON: &str = "ETag: \"0x8DBENCH\"\r\nLast-Modified: Mon, 23 Nov 2026 10:00:00 GMT\r\nx-ms-request-id: sink\r\n";

fn respond(
    out: &mut impl Write,
    head: &Head,
    length: u64,
    body: Vec<u8>,
    store: &Mutex<Store>,
    pattern: &[u8],
) -> std::io::Result<()> {
    let comp = head.query.get("comp").map(String::as_str);
    match (head.method.as_str(), comp) {
        ("PUT", Some("block")) => {
            let id = head.query.get("blockid").cloned().unwrap_or_default();
            let mut store = store.lock().unwrap();
            if let Some(data) = store.data.as_mut() {
                data.put_block(&head.path, &id, body);
            }
            store.blocks.insert((head.path.clone(), id), length);
            write!(out, "HTTP/1.1 201 Created\r\n{COMMON}Content-Length: 0\r\n\r\n")
        }
        ("PUT", Some("blocklist")) => commit(out, head, &body, store),
        // Create Container (rclone may ask): there is nothing to create.
        ("PUT", None) if head.query.get("restype").is_some_and(|r| r == "container") => {
            write!(out, "HTTP/1.1 201 Created\r\n{COMMON}Content-Length: 0\r\n\r\n")
        }
        ("PUT", _) => {
            let mut store = store.lock().unwrap();
            if let Some(data) = store.data.as_mut() {
                data.put_blob(&head.path, body);
            }
            store.blobs.insert(head.path.clone(), BlobInfo::from_headers(length, &head.headers, true));
            write!(out, "HTTP/1.1 201 Created\r\n{COMMON}Content-Length: 0\r\n\r\n")
        }
        ("GET", Some("list")) => list(out, head, store),
        ("GET", _) | ("HEAD", _) => get(out, head, store, pattern),
        ("DELETE", _) => {
            let mut store = store.lock().unwrap();
            if let Some(data) = store.data.as_mut() {
                data.delete(&head.path);
            }
            store.blobs.remove(&head.path);
            write!(out, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
        }
        _ => write!(out, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
    }
}

/// Put Block List: the blob is the listed blocks (sizes only, or the data with `--store`).
fn commit(out: &mut impl Write, head: &Head, body: &[u8], store: &Mutex<Store>) -> std::io::Result<()> {
    let text = String::from_utf8_lossy(body);
    let mut store = store.lock().unwrap();
    if let Some(data) = store.data.as_mut() {
        let Some(size) = data.commit(&head.path, &text) else {
            return write!(
                out,
                "HTTP/1.1 400 Bad Request\r\nx-ms-error-code: InvalidBlockList\r\nContent-Length: 0\r\n\r\n"
            );
        };
        store.blobs.insert(head.path.clone(), BlobInfo::from_headers(size, &head.headers, false));
        return write!(out, "HTTP/1.1 201 Created\r\n{COMMON}Content-Length: 0\r\n\r\n");
    }
    let total: u64 = block_ids(&text)
        .into_iter()
        .map(|id| store.blocks.get(&(head.path.clone(), id.to_owned())).copied().unwrap_or(0))
        .sum();
    store.blocks.retain(|(p, _), _| p != &head.path);
    store.blobs.insert(head.path.clone(), BlobInfo::from_headers(total, &head.headers, false));
    write!(out, "HTTP/1.1 201 Created\r\n{COMMON}Content-Length: 0\r\n\r\n")
}

/// Get Blob (with a range) and Get Blob Properties: the stored data with
/// `--store`, the fixed pattern otherwise.
fn get(out: &mut impl Write, head: &Head, store: &Mutex<Store>, pattern: &[u8]) -> std::io::Result<()> {
    let (info, pieces) = {
        let store = store.lock().unwrap();
        (store.blobs.get(&head.path).cloned(), store.data.as_ref().and_then(|d| d.pieces(&head.path)))
    };
    let Some(info) = info else {
        return write!(out, "HTTP/1.1 404 Not Found\r\nx-ms-error-code: BlobNotFound\r\nContent-Length: 0\r\n\r\n");
    };
    let size = info.size;
    let range = head.headers.get("x-ms-range").or(head.headers.get("range")).and_then(|r| parse_range(r, size));
    let (status, start, end) = match range {
        Some((start, end)) => ("206 Partial Content", start, end),
        None => ("200 OK", 0, size.saturating_sub(1)),
    };
    let len = if size == 0 { 0 } else { end - start + 1 };
    let mut header = format!(
        "HTTP/1.1 {status}\r\n{COMMON}x-ms-blob-type: BlockBlob\r\nContent-Type: application/octet-stream\r\nContent-Length: {len}\r\n{}",
        info.response_headers()
    );
    if range.is_some() {
        header.push_str(&format!("Content-Range: bytes {start}-{end}/{size}\r\n"));
    }
    header.push_str("\r\n");
    out.write_all(header.as_bytes())?;
    if let (true, Some(pieces)) = (head.method == "GET", pieces) {
        return write_range(out, &pieces, start, len);
    }
    if head.method == "GET" {
        let mut left = len;
        while left > 0 {
            let n = left.min(pattern.len() as u64) as usize;
            out.write_all(&pattern[..n])?;
            left -= n as u64;
        }
    }
    Ok(())
}

/// Decodes `%XX` escapes (block ids arrive percent-encoded in the query).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `bytes=START-END` or `bytes=START-`, clamped to the size.
fn parse_range(value: &str, size: u64) -> Option<(u64, u64)> {
    let (start, end) = value.strip_prefix("bytes=")?.split_once('-')?;
    let start: u64 = start.parse().ok()?;
    let end: u64 =
        if end.is_empty() { size.checked_sub(1)? } else { end.parse::<u64>().ok()?.min(size.checked_sub(1)?) };
    (start <= end).then_some((start, end))
}

/// List Blobs of the container in the path: one page (`sink_blobs.rs`).
fn list(out: &mut impl Write, head: &Head, store: &Mutex<Store>) -> std::io::Result<()> {
    let container = format!("{}/", head.path.trim_end_matches('/'));
    let query = ListQuery::from_query(&head.query);
    let xml = {
        let store = store.lock().unwrap();
        // Paths are kept as sent (percent-encoded); names are listed decoded.
        let mut below: Vec<(String, &BlobInfo)> = store
            .blobs
            .range(container.clone()..)
            .take_while(|(path, _)| path.starts_with(&container))
            .map(|(path, info)| (percent_decode(&path[container.len()..]), info))
            .collect();
        below.sort_by(|a, b| a.0.cmp(&b.0));
        list_page(below.iter().map(|(name, info)| (name.as_str(), *info)), &query)
    };
    write!(out, "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{xml}", xml.len())
}
