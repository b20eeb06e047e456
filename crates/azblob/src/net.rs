//! Small facts about URLs that several layers ask: is a host this machine,
//! and how to name an endpoint without its path or query.

use url::{Host, Url};

/// Whether the endpoint is on this machine (127.0.0.0/8, ::1, localhost).
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// `scheme://host[:port]` of `url`, for messages: never a path or a query,
/// which may carry a SAS.
pub(crate) fn origin(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{}://{host}:{port}", url.scheme()),
        (Some(host), None) => format!("{}://{host}", url.scheme()),
        (None, _) => format!("{}:", url.scheme()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_and_origins() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(is_loopback(&url("http://127.0.0.2:10000/a")));
        assert!(is_loopback(&url("http://[::1]/")));
        assert!(is_loopback(&url("http://LOCALHOST:8080")));
        assert!(!is_loopback(&url("http://localhost.example.com")));
        assert!(!is_loopback(&url("http://10.0.0.1")));
        assert_eq!(origin(&url("https://a.blob.core.windows.net/c/b?sig=x")), "https://a.blob.core.windows.net");
        assert_eq!(origin(&url("http://127.0.0.1:10000/devstoreaccount1")), "http://127.0.0.1:10000");
    }
}
