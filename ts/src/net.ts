// Small facts about URLs that several layers ask (Rust `net.rs`).

/** Whether the URL's host is this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopback(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  if (host === "localhost" || host === "[::1]") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** `scheme://host[:port]` of `url`, for messages: never a path or a query, which may carry a SAS. */
export function origin(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/** The port of `url`, or its scheme's default. */
export function portOrDefault(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === "https:" ? 443 : 80;
}

/** The host of `url` as a socket takes it: an IPv6 literal without its brackets. */
export function socketHost(url: URL): string {
  const host = url.hostname;
  return host.charCodeAt(0) === 91 ? host.slice(1, -1) : host;
}
