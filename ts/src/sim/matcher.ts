// Matching a sent request against recorded ones (docs/cassette-format.md, "Matching").

import { createHash } from "node:crypto";
import { decodeQuery } from "./canonical-query.js";
import type { CassetteBody, CassetteRequest } from "./cassette.js";

/** How a sent request is matched with a recorded one; a function decides for itself. */
export type Matching =
  | "exact"
  | "ignore-volatile"
  | "sequential"
  | ((sent: CassetteRequest, recorded: CassetteRequest) => boolean);

/** The strategy named in a cassette; `custom` and unknown names read as `ignore-volatile`. */
export function matchingFromName(name: string): Matching {
  return name === "exact" || name === "sequential" ? name : "ignore-volatile";
}

/** The name a strategy is stored under. */
export function matchingName(matching: Matching): string {
  return typeof matching === "function" ? "custom" : matching;
}

const VOLATILE_QUERY = ["se", "st", "sig"];
const VOLATILE_HEADERS = ["x-ms-date", "x-ms-client-request-id", "authorization", "user-agent", "date"];
const COPY_SOURCE_SAS = new Set(
  "sv ss srt sr sp st se sip spr si sig sdd ses skoid sktid skt ske sks skv saoid suoid scid rscc rscd rsce rscl rsct".split(
    " ",
  ),
);

/** One field that differs, as the no-match message shows it. */
export interface Difference {
  text: string;
  weight: number;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function digest(body: CassetteBody): { sha256: string; len: number } {
  if ("text" in body) {
    const bytes = Buffer.from(body.text, "utf8");
    return { sha256: sha256Hex(bytes), len: bytes.length };
  }
  return body;
}

function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A copy source without its SAS and without a loopback host's port. */
function copySourceWithoutVolatiles(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value;
  }
  if (isLoopbackHost(url.hostname)) url.port = "";
  const kept = [...url.searchParams].filter(([k]) => !COPY_SOURCE_SAS.has(k));
  url.search = new URLSearchParams(kept).toString();
  return url.href;
}

/** A batch request with its boundary as `*` and its sub-requests' dates and signatures left out. */
function withoutBatchVolatiles(request: CassetteRequest): CassetteRequest {
  const type = request.headers["content-type"] ?? "";
  const m = /^multipart\/mixed;.*boundary=("?)([^";]+)\1/i.exec(type);
  if (!m?.[2] || !("text" in request.body)) return request;
  const boundary = m[2];
  const text = request.body.text
    .split(boundary)
    .join("*")
    .split("\r\n")
    .filter((line) => {
      const name = line.split(":", 1)[0]?.trim().toLowerCase();
      return !(line.includes(":") && (name === "x-ms-date" || name === "authorization"));
    })
    .join("\r\n");
  return {
    ...request,
    headers: { ...request.headers, "content-type": type.split(boundary).join("*") },
    body: { text },
  };
}

/** Block ids and block list entries as `*`. */
function withoutBlockIds(request: CassetteRequest): CassetteRequest {
  const query = request.query
    .split("&")
    .map((pair) => (pair.startsWith("blockid=") ? "blockid=*" : pair))
    .join("&");
  let body = request.body;
  if ("text" in body && body.text.includes("<BlockList>")) {
    body = { text: body.text.replace(/<(Latest|Committed|Uncommitted)>[^<]*<\/\1>/g, "<$1>*</$1>") };
  }
  return { ...request, query, body };
}

/** Compares requests under one strategy. */
export class Matcher {
  readonly matching: Matching;
  readonly ignoreBlockIds: boolean;

  constructor(matching: Matching, ignoreBlockIds: boolean) {
    this.matching = matching;
    this.ignoreBlockIds = ignoreBlockIds;
  }

  matches(sent: CassetteRequest, recorded: CassetteRequest): boolean {
    if (typeof this.matching === "function") return this.matching(sent, recorded);
    return this.differences(sent, recorded).length === 0;
  }

  /** Every field that differs (a different method or path weighs 10). */
  differences(sentRaw: CassetteRequest, recordedRaw: CassetteRequest): Difference[] {
    const out: Difference[] = [];
    if (sentRaw.method !== recordedRaw.method) {
      out.push({ text: `method: recorded ${recordedRaw.method}, sent ${sentRaw.method}`, weight: 10 });
    }
    if (sentRaw.path !== recordedRaw.path) {
      out.push({ text: `path: recorded ${recordedRaw.path}, sent ${sentRaw.path}`, weight: 10 });
    }
    if (this.matching === "sequential") return out;
    const volatile = this.matching !== "exact";
    let sent = sentRaw;
    let recorded = recordedRaw;
    if (volatile) {
      sent = withoutBatchVolatiles(sent);
      recorded = withoutBatchVolatiles(recorded);
    }
    if (this.ignoreBlockIds) {
      sent = withoutBlockIds(sent);
      recorded = withoutBlockIds(recorded);
    }
    this.#queryDifferences(sent, recorded, volatile, out);
    headerDifferences(sent, recorded, volatile, out);
    const s = digest(sent.body);
    const r = digest(recorded.body);
    if (s.sha256 !== r.sha256 || s.len !== r.len) {
      out.push({
        text: `body sha256: recorded ${r.sha256.slice(0, 16)} (${r.len} bytes), sent ${s.sha256.slice(0, 16)} (${s.len} bytes)`,
        weight: 1,
      });
    }
    return out;
  }

  #queryDifferences(s: CassetteRequest, r: CassetteRequest, volatile: boolean, out: Difference[]): void {
    const group = (query: string): Map<string, string[]> => {
      const map = new Map<string, string[]>();
      for (const [k, v] of decodeQuery(query)) {
        if (volatile && VOLATILE_QUERY.includes(k)) continue;
        map.set(k, [...(map.get(k) ?? []), v].sort());
      }
      return map;
    };
    const sent = group(s.query);
    const recorded = group(r.query);
    for (const key of new Set([...sent.keys(), ...recorded.keys()])) {
      const a = JSON.stringify(recorded.get(key) ?? null);
      const b = JSON.stringify(sent.get(key) ?? null);
      if (a !== b) out.push({ text: `query ${key}: recorded ${a}, sent ${b}`, weight: 1 });
    }
  }
}

function headerDifferences(s: CassetteRequest, r: CassetteRequest, volatile: boolean, out: Difference[]): void {
  const norm = (name: string, value: string | undefined): string | undefined =>
    volatile && name === "x-ms-copy-source" && value !== undefined ? copySourceWithoutVolatiles(value) : value;
  for (const name of new Set([...Object.keys(s.headers), ...Object.keys(r.headers)])) {
    if (volatile && VOLATILE_HEADERS.includes(name)) continue;
    const recorded = norm(name, r.headers[name]);
    const sent = norm(name, s.headers[name]);
    if (recorded !== sent) {
      const show = (v: string | undefined): string => (v === undefined ? "absent" : JSON.stringify(v));
      out.push({ text: `header ${name}: recorded ${show(recorded)}, sent ${show(sent)}`, weight: 1 });
    }
  }
}
