// Which proxy a request goes through (Rust `wire/proxy.rs`): the environment's
// variables as curl reads them (lowercase first; uppercase HTTP_PROXY ignored
// under CGI; NO_PROXY hosts, domains, CIDR networks and ports), an explicit
// proxy, or none. A proxy URL's password never prints.

import { isIP } from "node:net";
import { invalidInput } from "../errors/kinds.js";
import { isLoopback } from "../net.js";
import { redactUrl } from "../redact/url.js";

type NoProxyEntry =
  | { kind: "all" }
  | { kind: "domain"; name: string; port: number | undefined }
  | { kind: "network"; family: number; addr: bigint; prefix: number };

/** The proxy rules of a wire; `ProxyConfig.off()` connects directly. */
export class ProxyConfig {
  readonly #http: URL | undefined;
  readonly #https: URL | undefined;
  readonly #noProxy: NoProxyEntry[];

  private constructor(http: URL | undefined, https: URL | undefined, noProxy: NoProxyEntry[]) {
    this.#http = http;
    this.#https = https;
    this.#noProxy = noProxy;
  }

  /** No proxy at all. */
  static off(): ProxyConfig {
    return new ProxyConfig(undefined, undefined, []);
  }

  /** One proxy for every request. */
  static explicit(url: string): ProxyConfig {
    const proxy = parseProxyUrl(url, "the proxy");
    return new ProxyConfig(proxy, proxy, []);
  }

  /** From `https_proxy`, `http_proxy`, `all_proxy`, `no_proxy` (either case, lowercase first). */
  static fromVars(get: (name: string) => string | undefined): ProxyConfig {
    const find = (names: string[]): [string, string] | undefined => {
      for (const name of names) {
        const value = get(name);
        if (value !== undefined && value.trim() !== "") return [name, value];
      }
      return undefined;
    };
    // A variable set for other tools (ALL_PROXY=socks5://...) is an error rather than ignored.
    const parse = (found: [string, string] | undefined): URL | undefined => {
      if (!found) return undefined;
      try {
        return parseProxyUrl(found[1], found[0]);
      } catch (err) {
        throw invalidInput(
          `${(err as { detail?: string }).detail ?? "invalid proxy"} (proxy variables are read by default; unset ${found[0]}, or choose with ClientBuilder.proxy or noProxy)`,
        );
      }
    };
    const all = parse(find(["all_proxy", "ALL_PROXY"]));
    const https = parse(find(["https_proxy", "HTTPS_PROXY"])) ?? all;
    // Under CGI a request's `Proxy:` header arrives as HTTP_PROXY ("httpoxy"): only the lowercase one counts there.
    const httpNames = get("REQUEST_METHOD") !== undefined ? ["http_proxy"] : ["http_proxy", "HTTP_PROXY"];
    const http = parse(find(httpNames)) ?? all;
    const noProxy = find(["no_proxy", "NO_PROXY"]);
    return new ProxyConfig(http, https, noProxy ? parseNoProxy(noProxy[1]) : []);
  }

  /** From the process environment. */
  static fromEnv(): ProxyConfig {
    return ProxyConfig.fromVars((name) => process.env[name]);
  }

  /** The proxy a request to `target` goes through, or `undefined` to connect directly. */
  proxyFor(target: URL): URL | undefined {
    const proxy = target.protocol === "https:" ? this.#https : target.protocol === "http:" ? this.#http : undefined;
    if (!proxy) return undefined;
    const host = target.hostname.replace(/^\[|\]$/g, "");
    const port = target.port ? Number(target.port) : target.protocol === "https:" ? 443 : 80;
    return this.#noProxy.some((entry) => matches(entry, host, port)) ? undefined : proxy;
  }

  /** Whether a plain-http request to `target` would cross a proxy on another host, readable there. */
  exposesPlainHttp(target: URL): boolean {
    const proxy = this.proxyFor(target);
    return target.protocol === "http:" && proxy !== undefined && !isLoopback(proxy);
  }

  toJSON(): object {
    return {
      http: this.#http && redactUrl(this.#http),
      https: this.#https && redactUrl(this.#https),
      noProxy: this.#noProxy.length,
    };
  }
}

function parseProxyUrl(text: string, what: string): URL {
  const trimmed = text.trim();
  const full = trimmed.includes("://") ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(full);
  } catch {
    // Text that does not parse is not shown at all: nothing tells where its password is.
    throw invalidInput(`${what}: invalid proxy URL`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    throw invalidInput(
      `${what}: unsupported proxy ${redactUrl(url)}: expected http://[user:password@]host:port or https://...`,
    );
  }
  return url;
}

function ipValue(text: string): { family: number; value: bigint } | undefined {
  const family = isIP(text);
  if (family === 4) return { family, value: text.split(".").reduce((a, p) => (a << 8n) | BigInt(Number(p)), 0n) };
  if (family === 6) {
    const [head = "", tail = ""] = text.split("::");
    const groups = (s: string): string[] => (s === "" ? [] : s.split(":"));
    const h = groups(head);
    const t = text.includes("::") ? groups(tail) : [];
    if (h.some((g) => g.includes(".")) || t.some((g) => g.includes("."))) return undefined;
    const all = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
    return { family, value: all.reduce((a, g) => (a << 16n) | BigInt(Number.parseInt(g, 16)), 0n) };
  }
  return undefined;
}

function parseNoProxy(text: string): NoProxyEntry[] {
  const out: NoProxyEntry[] = [];
  for (const entry of text.split(/[\s,]+/).filter((e) => e !== "")) {
    if (entry === "*") {
      out.push({ kind: "all" });
      continue;
    }
    const slash = entry.indexOf("/");
    if (slash >= 0) {
      const ip = ipValue(entry.slice(0, slash).replace(/^\[|\]$/g, ""));
      const prefix = Number(entry.slice(slash + 1));
      if (ip && Number.isInteger(prefix) && prefix >= 0 && prefix <= (ip.family === 4 ? 32 : 128)) {
        out.push({ kind: "network", family: ip.family, addr: ip.value, prefix });
      }
      continue;
    }
    const bare = ipValue(entry.replace(/^\[|\]$/g, ""));
    if (bare) {
      out.push({ kind: "network", family: bare.family, addr: bare.value, prefix: bare.family === 4 ? 32 : 128 });
      continue;
    }
    // `host:port` or `[v6]:port`; an entry's port restricts it to that port.
    const colon = entry.lastIndexOf(":");
    let host = entry;
    let port: number | undefined;
    if (colon >= 0) {
      port = Number(entry.slice(colon + 1));
      if (!Number.isInteger(port)) continue;
      host = entry.slice(0, colon);
    }
    host = host.replace(/^\[|\]$/g, "");
    const ip = ipValue(host);
    if (ip) {
      // The port of an address entry is ignored: the address is what names the host.
      out.push({ kind: "network", family: ip.family, addr: ip.value, prefix: ip.family === 4 ? 32 : 128 });
      continue;
    }
    const name = host.replace(/^\.+/, "").toLowerCase();
    if (name !== "") out.push({ kind: "domain", name, port });
  }
  return out;
}

function matches(entry: NoProxyEntry, host: string, port: number): boolean {
  switch (entry.kind) {
    case "all":
      return true;
    case "domain": {
      const h = host.toLowerCase().replace(/\.$/, "");
      const named = h === entry.name || h.endsWith(`.${entry.name}`);
      return named && (entry.port === undefined || entry.port === port);
    }
    case "network": {
      const ip = ipValue(host);
      if (!ip || ip.family !== entry.family) return false;
      const bits = BigInt(entry.family === 4 ? 32 : 128);
      const shift = bits - BigInt(entry.prefix);
      return ip.value >> shift === entry.addr >> shift;
    }
  }
}
