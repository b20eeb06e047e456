//! `ProxyConfig`: which proxy, if any, a request goes through.
//!
//! The library resolves proxies itself rather than leaving it to reqwest, so
//! that the rules are one testable function (`proxy_for`), that tests can
//! hand in environment variables without touching the process environment,
//! and that the client can ask, before sending a credential over plain
//! `http://`, whether a proxy would see it.
//!
//! The environment is read as curl reads it: `https_proxy`/`HTTPS_PROXY` for
//! `https://` targets, `http_proxy`/`HTTP_PROXY` for `http://` targets,
//! `all_proxy`/`ALL_PROXY` for both when the specific one is unset, and
//! `no_proxy`/`NO_PROXY` for hosts that are reached directly. The lowercase
//! spelling wins, as in curl.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use url::Url;

use crate::error::{Error, Result};
use crate::redact::redact_url;

/// Where requests go: straight to their host, or through proxies chosen by target.
#[derive(Clone, Default)]
pub(crate) enum ProxyConfig {
    /// Every request connects directly.
    #[default]
    Off,
    /// Proxies by the target's scheme, with hosts that bypass them.
    Rules(Arc<ProxyRules>),
}

/// The proxies of a [`ProxyConfig::Rules`].
pub(crate) struct ProxyRules {
    http: Option<Url>,
    https: Option<Url>,
    no_proxy: Vec<NoProxyEntry>,
}

impl ProxyConfig {
    /// One proxy for every request, e.g. from `ClientBuilder::proxy`.
    pub(crate) fn explicit(text: &str) -> Result<Self> {
        let url = parse_proxy_url(text, "the proxy URL")?;
        Ok(ProxyConfig::Rules(Arc::new(ProxyRules { http: Some(url.clone()), https: Some(url), no_proxy: Vec::new() })))
    }

    /// The proxies named by the process environment.
    pub(crate) fn from_env() -> Result<Self> {
        ProxyConfig::from_vars(&|name| std::env::var(name).ok())
    }

    /// The proxies named by variables read through `get` (the environment, or a test's map).
    pub(crate) fn from_vars(get: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let var = |names: &[&'static str]| {
            names.iter().find_map(|&name| get(name).filter(|v| !v.trim().is_empty()).map(|v| (name, v)))
        };
        // A variable set for other tools (say `ALL_PROXY=socks5://...`) is an
        // error rather than ignored: ignoring it would connect directly where
        // the user meant a proxy. The error says how to opt out.
        let parse = |found: Option<(&'static str, String)>| -> Result<Option<Url>> {
            found
                .map(|(name, value)| {
                    parse_proxy_url(&value, name).map_err(|err| {
                        Error::invalid_input(format!(
                            "{} (proxy variables are read by default; unset {name}, or choose explicitly with \
                             ClientBuilder::proxy or no_proxy, --proxy or --no-proxy)",
                            err.message()
                        ))
                    })
                })
                .transpose()
        };
        let all = parse(var(&["all_proxy", "ALL_PROXY"]))?;
        let https = parse(var(&["https_proxy", "HTTPS_PROXY"]))?.or_else(|| all.clone());
        // Under CGI a request's `Proxy:` header arrives as HTTP_PROXY
        // ("httpoxy"), so curl and reqwest ignore the uppercase spelling
        // there; so does this.
        let http_names: &[&'static str] =
            if get("REQUEST_METHOD").is_some() { &["http_proxy"] } else { &["http_proxy", "HTTP_PROXY"] };
        let http = parse(var(http_names))?.or(all);
        if http.is_none() && https.is_none() {
            return Ok(ProxyConfig::Off);
        }
        let no_proxy = var(&["no_proxy", "NO_PROXY"]).map(|(_, v)| parse_no_proxy(&v)).unwrap_or_default();
        Ok(ProxyConfig::Rules(Arc::new(ProxyRules { http, https, no_proxy })))
    }

    /// The proxy a request to `target` goes through, or `None` to connect directly.
    pub(crate) fn proxy_for(&self, target: &Url) -> Option<&Url> {
        let ProxyConfig::Rules(rules) = self else { return None };
        let proxy = match target.scheme() {
            "https" => rules.https.as_ref(),
            "http" => rules.http.as_ref(),
            _ => None,
        }?;
        let host = target.host_str()?.trim_start_matches('[').trim_end_matches(']');
        let port = target.port_or_known_default();
        (!rules.no_proxy.iter().any(|entry| entry.matches(host, port))).then_some(proxy)
    }

    /// Whether a request to `target` would cross a proxy that is not on this
    /// machine while readable by it: a plain `http://` request is, an
    /// `https://` one is tunnelled (`CONNECT`) and stays encrypted end to end.
    pub(crate) fn exposes_plain_http(&self, target: &Url) -> bool {
        target.scheme() == "http" && self.proxy_for(target).is_some_and(|proxy| !crate::net::is_loopback(proxy))
    }
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyConfig::Off => f.write_str("Off"),
            ProxyConfig::Rules(rules) => f
                .debug_struct("Proxy")
                .field("http", &rules.http.as_ref().map(redact_url))
                .field("https", &rules.https.as_ref().map(redact_url))
                .field("no_proxy", &rules.no_proxy)
                .finish(),
        }
    }
}

/// Parses a proxy URL; a bare `host:port` means `http://host:port`, as in curl.
/// Errors name `what` (a variable's name) and never repeat a password.
fn parse_proxy_url(text: &str, what: &str) -> Result<Url> {
    let text = text.trim();
    let full = if text.contains("://") { text.to_owned() } else { format!("http://{text}") };
    // Text that does not parse is not shown at all: nothing tells where its password is.
    let url = Url::parse(&full).map_err(|e| Error::invalid_input(format!("{what}: invalid proxy URL: {e}")))?;
    let shown = redact_url(&url);
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::invalid_input(format!(
            "{what}: unsupported proxy {shown}: expected http://[user:password@]host:port or https://..."
        )));
    }
    Ok(url)
}

/// One `NO_PROXY` entry.
#[derive(Debug, PartialEq)]
enum NoProxyEntry {
    /// `*`: every host.
    All,
    /// A host name: itself and its subdomains (a leading `.` is the same), on `port` if given.
    Domain { name: String, port: Option<u16> },
    /// An IP address, or a network in CIDR notation (`10.0.0.0/8`).
    Network { addr: IpAddr, prefix: u8 },
}

fn parse_no_proxy(text: &str) -> Vec<NoProxyEntry> {
    text.split(|c: char| c == ',' || c.is_whitespace()).filter(|e| !e.is_empty()).filter_map(parse_entry).collect()
}

fn parse_entry(entry: &str) -> Option<NoProxyEntry> {
    if entry == "*" {
        return Some(NoProxyEntry::All);
    }
    if let Some((addr, prefix)) = entry.split_once('/') {
        let addr: IpAddr = addr.trim_start_matches('[').trim_end_matches(']').parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        return prefix.parse().ok().filter(|&p| p <= max).map(|prefix| NoProxyEntry::Network { addr, prefix });
    }
    let unbracketed = entry.trim_start_matches('[').trim_end_matches(']');
    if let Ok(addr) = unbracketed.parse::<IpAddr>() {
        return Some(NoProxyEntry::Network { addr, prefix: if addr.is_ipv4() { 32 } else { 128 } });
    }
    // `host:port` or `[v6]:port`; an entry's port restricts it to that port.
    let (host, port) = match entry.rsplit_once(':') {
        Some((host, port)) => (host, Some(port.parse().ok()?)),
        None => (entry, None),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(addr) = host.parse::<IpAddr>() {
        // The port of an address entry is ignored: the address is what names the host.
        let prefix = if addr.is_ipv4() { 32 } else { 128 };
        return Some(NoProxyEntry::Network { addr, prefix });
    }
    let name = host.trim_start_matches('.').to_ascii_lowercase();
    (!name.is_empty()).then_some(NoProxyEntry::Domain { name, port })
}

impl NoProxyEntry {
    fn matches(&self, host: &str, port: Option<u16>) -> bool {
        match self {
            NoProxyEntry::All => true,
            NoProxyEntry::Domain { name, port: want } => {
                let host = host.to_ascii_lowercase();
                let host = host.trim_end_matches('.');
                let named = host == name || host.strip_suffix(name.as_str()).is_some_and(|rest| rest.ends_with('.'));
                named && want.is_none_or(|want| Some(want) == port)
            }
            NoProxyEntry::Network { addr, prefix } => {
                host.parse::<IpAddr>().is_ok_and(|ip| in_network(ip, *addr, *prefix))
            }
        }
    }
}

fn in_network(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(vars: &[(&str, &str)]) -> ProxyConfig {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        ProxyConfig::from_vars(&|name| map.get(name).map(|v| v.to_string())).unwrap()
    }

    fn via(config: &ProxyConfig, target: &str) -> Option<String> {
        config.proxy_for(&Url::parse(target).unwrap()).map(|u| u.to_string())
    }

    #[test]
    fn the_environment_picks_a_proxy_by_scheme() {
        let c = from(&[("HTTPS_PROXY", "http://secure:3128"), ("http_proxy", "plain:8080")]);
        assert_eq!(via(&c, "https://a.blob.core.windows.net/").as_deref(), Some("http://secure:3128/"));
        assert_eq!(via(&c, "http://a.example/").as_deref(), Some("http://plain:8080/"));
        let c = from(&[("ALL_PROXY", "http://all:1"), ("https_proxy", "http://s:2")]);
        assert_eq!(via(&c, "https://h/").as_deref(), Some("http://s:2/"));
        assert_eq!(via(&c, "http://h/").as_deref(), Some("http://all:1/"));
        let c = from(&[("https_proxy", "http://lower:1"), ("HTTPS_PROXY", "http://upper:2")]);
        assert_eq!(via(&c, "https://h/").as_deref(), Some("http://lower:1/"), "lowercase wins, as in curl");
        assert!(matches!(from(&[]), ProxyConfig::Off));
        assert!(matches!(from(&[("HTTPS_PROXY", " ")]), ProxyConfig::Off), "empty is unset");
    }

    #[test]
    fn uppercase_http_proxy_is_ignored_under_cgi() {
        let c = from(&[("HTTP_PROXY", "http://injected:1"), ("REQUEST_METHOD", "GET")]);
        assert_eq!(via(&c, "http://h/"), None);
        let c = from(&[("http_proxy", "http://mine:1"), ("REQUEST_METHOD", "GET")]);
        assert_eq!(via(&c, "http://h/").as_deref(), Some("http://mine:1/"));
    }

    #[test]
    fn no_proxy_bypasses_hosts_domains_networks_and_ports() {
        let c = from(&[
            ("ALL_PROXY", "http://p:1"),
            ("NO_PROXY", ".internal.example, localhost,10.0.0.0/8 ::1, 192.168.1.5, svc.example:8443"),
        ]);
        for direct in [
            "https://internal.example/",
            "https://a.b.internal.example/",
            "http://localhost:10000/",
            "http://10.2.3.4/",
            "http://[::1]:10000/",
            "http://192.168.1.5/",
            "https://svc.example:8443/",
        ] {
            assert_eq!(via(&c, direct), None, "{direct}");
        }
        for proxied in [
            "https://notinternal.example/",
            "https://a.blob.core.windows.net/",
            "http://11.0.0.1/",
            "http://192.168.1.6/",
            "https://svc.example/",
            "http://127.0.0.1:10000/",
        ] {
            assert!(via(&c, proxied).is_some(), "{proxied}");
        }
        assert_eq!(via(&from(&[("ALL_PROXY", "http://p:1"), ("no_proxy", "*")]), "https://h/"), None);
    }

    #[test]
    fn an_explicit_proxy_takes_every_request() {
        let c = ProxyConfig::explicit("http://user:pw@proxy.corp:3128").unwrap();
        assert_eq!(via(&c, "https://h/").as_deref(), Some("http://user:pw@proxy.corp:3128/"));
        assert_eq!(via(&c, "http://127.0.0.1:10000/").as_deref(), Some("http://user:pw@proxy.corp:3128/"));
    }

    #[test]
    fn passwords_never_print() {
        let c = ProxyConfig::explicit("http://user:hunter2@proxy.corp:3128").unwrap();
        assert!(!format!("{c:?}").contains("hunter2"), "{c:?}");
        let c = from(&[("HTTPS_PROXY", "http://user:hunter2@p:1"), ("NO_PROXY", "x")]);
        assert!(!format!("{c:?}").contains("hunter2"), "{c:?}");
        for bad in ["socks5://user:hunter2@p:1", "http://user:hunter2@[bad:1"] {
            let err = ProxyConfig::from_vars(&|n| (n == "HTTPS_PROXY").then(|| bad.to_owned())).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
            let text = err.to_string();
            assert!(text.contains("HTTPS_PROXY") && !text.contains("hunter2"), "{text}");
            assert!(text.contains("unset HTTPS_PROXY") && text.contains("--no-proxy"), "says how to opt out: {text}");
        }
    }

    #[test]
    fn only_plain_http_through_a_remote_proxy_is_exposed() {
        let remote = ProxyConfig::explicit("http://proxy.corp:3128").unwrap();
        let local = ProxyConfig::explicit("http://127.0.0.1:3128").unwrap();
        let exposes = |c: &ProxyConfig, t: &str| c.exposes_plain_http(&Url::parse(t).unwrap());
        assert!(exposes(&remote, "http://127.0.0.1:10000/acct"));
        assert!(!exposes(&remote, "https://acct.blob.core.windows.net/"), "tunnelled");
        assert!(!exposes(&local, "http://127.0.0.1:10000/acct"));
        assert!(!exposes(&ProxyConfig::Off, "http://127.0.0.1:10000/acct"));
    }
}
