//! Azure's transactional CRC64 (CRC-64/NVME: polynomial 0xAD93D23594C93659,
//! reflected, initial and final value all ones), sent as
//! `x-ms-content-crc64` with a write and returned by a ranged read of at
//! most 4 MiB asked with `x-ms-range-get-content-crc64: true`: the base64
//! of the value's eight bytes, little-endian.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/put-block#request-headers>
//! <https://learn.microsoft.com/rest/api/storageservices/get-blob#request-headers>
//!
//! The arithmetic is `crc64fast-nvme`'s, SIMD-accelerated (PCLMULQDQ on
//! x86-64, PMULL on aarch64) with a table fallback.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use http::{HeaderMap, HeaderValue};

use super::headers;
use crate::error::{Error, Result};
use crate::transport::Request;

/// The longest range a read may ask the CRC64 of (4 MiB), as documented.
pub(crate) const MAX_CRC64_RANGE: u64 = 4 * 1024 * 1024;

/// A running CRC64 over bytes fed in order.
#[derive(Default)]
pub(crate) struct Crc64(crc64fast_nvme::Digest);

impl Crc64 {
    pub(crate) fn new() -> Self {
        Crc64(crc64fast_nvme::Digest::new())
    }

    /// Feeds the next bytes.
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }

    /// The CRC64 of everything fed so far.
    pub(crate) fn value(&self) -> u64 {
        self.0.sum64()
    }
}

impl std::fmt::Debug for Crc64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Crc64({:016x})", self.value())
    }
}

/// The CRC64 of `bytes`.
pub(crate) fn crc64(bytes: &[u8]) -> u64 {
    let mut digest = Crc64::new();
    digest.update(bytes);
    digest.value()
}

/// The header form: base64 of the eight little-endian bytes.
pub(crate) fn to_header(crc: u64) -> String {
    BASE64.encode(crc.to_le_bytes())
}

/// Sets `x-ms-content-crc64` on a write, which the service checks against
/// the body it receives (a mismatch is `400 Crc64Mismatch`).
pub(crate) fn set_content_crc64(request: &mut Request, crc: u64) {
    let value = HeaderValue::from_str(&to_header(crc)).expect("base64 is valid header text");
    request.headers.insert(headers::X_MS_CONTENT_CRC64, value);
}

/// Asks a ranged read for its CRC64 (`x-ms-range-get-content-crc64: true`).
pub(crate) fn ask_range_crc64(request: &mut Request) {
    request.headers.insert(headers::X_MS_RANGE_GET_CONTENT_CRC64, HeaderValue::from_static("true"));
}

/// The `x-ms-content-crc64` of an answer, if it has one; anything but the
/// base64 of eight bytes is an invalid response.
pub(crate) fn parse_content_crc64(headers: &HeaderMap) -> Result<Option<u64>> {
    let Some(value) = headers.get(headers::X_MS_CONTENT_CRC64) else { return Ok(None) };
    let bytes = value.to_str().ok().and_then(|text| BASE64.decode(text.trim()).ok());
    match bytes.as_deref().map(<[u8; 8]>::try_from) {
        Some(Ok(bytes)) => Ok(Some(u64::from_le_bytes(bytes))),
        _ => Err(Error::invalid_response("x-ms-content-crc64 is not the base64 of 8 bytes")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What real Azure answered for these bodies (the vectors).
    #[test]
    fn matches_what_azure_answered() {
        assert_eq!(to_header(crc64(b"Hello World")), "YeJLfssylmU=");
        assert_eq!(to_header(crc64(b"")), "AAAAAAAAAAA=");
    }

    /// The CRC-64/NVME catalogue check value, and pieces fed in any split.
    #[test]
    fn is_crc64_nvme_fed_in_pieces() {
        assert_eq!(crc64(b"123456789"), 0xAE8B_1486_0A79_9888);
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut pieces = Crc64::new();
        for part in data.chunks(333) {
            pieces.update(part);
        }
        assert_eq!(pieces.value(), crc64(&data));
    }

    #[test]
    fn header_round_trip_and_garbage() {
        let mut headers = HeaderMap::new();
        assert_eq!(parse_content_crc64(&headers).unwrap(), None);
        headers.insert("x-ms-content-crc64", "YeJLfssylmU=".parse().unwrap());
        assert_eq!(parse_content_crc64(&headers).unwrap(), Some(crc64(b"Hello World")));
        for bad in ["not base64", "AAAA", "AAAAAAAAAAAAAA=="] {
            headers.insert("x-ms-content-crc64", bad.parse().unwrap());
            assert_eq!(parse_content_crc64(&headers).unwrap_err().kind(), crate::ErrorKind::InvalidResponse, "{bad}");
        }
        let mut request = Request::new("PutBlock", http::Method::PUT, "https://a/c/b".parse().unwrap());
        set_content_crc64(&mut request, crc64(b"Hello World"));
        ask_range_crc64(&mut request);
        assert_eq!(request.header("x-ms-content-crc64"), Some("YeJLfssylmU="));
        assert_eq!(request.header("x-ms-range-get-content-crc64"), Some("true"));
    }

    proptest::proptest! {
        #![proptest_config(crate::proptests::cases(256))]

        /// Any header value is a CRC64 or an invalid response, never a panic.
        #[test]
        fn any_crc64_header_parses_or_fails_typed(value in "[ -~]{0,40}") {
            let mut headers = HeaderMap::new();
            if let Ok(value) = value.parse() {
                headers.insert("x-ms-content-crc64", value);
                if let Err(e) = parse_content_crc64(&headers) {
                    proptest::prop_assert_eq!(e.kind(), crate::ErrorKind::InvalidResponse);
                }
            }
        }
    }
}
