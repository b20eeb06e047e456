// HTTP/1.1 heads for the direct GET (`direct-get.ts`): the request's head as
// written and the answer's head as read, pure functions tested without I/O.
// They refuse what node:http's parser (llhttp) refuses, so that no text a
// header cannot carry reaches the wire or the caller.

import type { Request } from "./request.js";

/** Header names are tokens (RFC 9110). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Header values are visible characters, spaces, tabs and obsolete text; no other control character. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [\t\x20-\x7e\x80-\xff]*)?$/;

/** Headers of which node:http keeps the first and drops any repeat, rather than joining them. */
const SINGLE = new Set([
  "age",
  "authorization",
  "content-type",
  "etag",
  "expires",
  "from",
  "host",
  "last-modified",
  "location",
  "max-forwards",
  "proxy-authorization",
  "referer",
  "retry-after",
  "server",
  "user-agent",
]);

/** The idle time a server announces in `Keep-Alive: timeout=N`, in seconds. */
const KEEP_ALIVE_TIMEOUT = /(?:^|[,;\s])timeout\s*=\s*(\d{1,9})(?:$|[,;\s])/i;

/** An answer's head, parsed. */
export interface Head {
  status: number;
  headers: Map<string, string>;
  /** The body's length, or undefined when the answer does not frame it by a Content-Length alone. */
  length: number | undefined;
  /** Whether the connection may carry another request after this answer. */
  keepAlive: boolean;
  /** How long the server keeps the connection idle (`Keep-Alive: timeout=N`), in ms, if it says. */
  idleMs: number | undefined;
}

/**
 * The head of `request`, a GET with no body, as latin1 text: request line,
 * the request's headers, Host unless it has one; or undefined when a header
 * could not be written as it is (a name that is not a token, a value with a
 * line break or another control character), which node:http refuses as well.
 */
export function requestHead(request: Request): string | undefined {
  const url = request.url;
  let head = `GET ${url.pathname}${url.search} HTTP/1.1\r\n`;
  let sendable = true;
  request.headers.forEach((value, name) => {
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) sendable = false;
    if (name !== "content-length") head += `${name}: ${value}\r\n`;
  });
  if (!request.headers.has("host")) head += `host: ${url.host}\r\n`;
  return sendable ? `${head}\r\n` : undefined;
}

/**
 * Parses an answer's head (without its closing blank line, as latin1 text),
 * or returns a message saying why it is not an HTTP/1.x head.
 */
export function parseHead(text: string): Head | string {
  const lines = text.split("\r\n");
  const status = STATUS_LINE.exec(lines[0] ?? "");
  if (!status) {
    return `the answer does not start with an HTTP/1.1 status line: ${JSON.stringify((lines[0] ?? "").slice(0, 40))}`;
  }
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    // A folded line (obsolete) starts with a space, so it has no token before a colon.
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) return `the answer has a malformed header line ${i}`;
    const key = name.toLowerCase();
    const earlier = headers.get(key);
    // llhttp refuses a repeated Content-Length even when both agree: the body's framing is then in doubt.
    if (earlier !== undefined && key === "content-length") return "the answer has more than one Content-Length header";
    if (earlier === undefined) headers.set(key, value);
    else if (!SINGLE.has(key)) headers.set(key, `${earlier}, ${value}`);
  }
  const declared = headers.get("content-length");
  if (declared !== undefined && !/^\d{1,15}$/.test(declared)) return "the answer's Content-Length is not a number";
  const code = Number(status[2]);
  // 204 and 304 have no body whatever they declare; otherwise a length is the body's only when nothing else frames it.
  let length: number | undefined;
  if (code === 204 || code === 304) length = 0;
  else if (!headers.has("transfer-encoding") && declared !== undefined) length = Number(declared);
  const tokens = (headers.get("connection") ?? "").toLowerCase();
  const keepAlive =
    status[1] === "1" ? !/(^|,)\s*close\s*(,|$)/.test(tokens) : /(^|,)\s*keep-alive\s*(,|$)/.test(tokens);
  const timeout = KEEP_ALIVE_TIMEOUT.exec(headers.get("keep-alive") ?? "");
  const idleMs = timeout ? Number(timeout[1]) * 1000 : undefined;
  return { status: code, headers, length, keepAlive, idleMs };
}
