// The `azblob-cassette/1` file format (docs/cassette-format.md): types, reading and writing.

import { invalidInput } from "../errors/kinds.js";

/** The only format string this reader accepts. */
export const CASSETTE_FORMAT = "azblob-cassette/1";

/** A body: inline UTF-8 text, or the SHA-256 and length of bytes kept in a sidecar file. */
export type CassetteBody = { text: string } | { sha256: string; len: number };

/** A recorded request, sanitized. */
export interface CassetteRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: CassetteBody;
}

/** A recorded response. */
export interface CassetteResponse {
  status: number;
  headers: Record<string, string>;
  body: CassetteBody;
}

/** One exchange. */
export interface Interaction {
  request: CassetteRequest;
  response: CassetteResponse;
}

/** A cassette. */
export interface Cassette {
  format: typeof CASSETTE_FORMAT;
  /** 16 lower-case hex digits: the u64 seed of the client's randomness. */
  seed: string;
  matching: string;
  ignore_block_ids: boolean;
  note?: string;
  interactions: Interaction[];
}

function fail(why: string): never {
  throw invalidInput(`not an ${CASSETTE_FORMAT} cassette: ${why}`);
}

function stringRecord(value: unknown, where: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(`${where} is not an object`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") fail(`${where}.${k} is not a string`);
    out[k] = v;
  }
  return out;
}

function body(value: unknown, where: string): CassetteBody {
  if (value === undefined) return { text: "" };
  const b = value as { text?: unknown; sha256?: unknown; len?: unknown };
  if (typeof b.text === "string") return { text: b.text };
  if (typeof b.sha256 === "string" && /^[0-9a-f]{64}$/.test(b.sha256) && Number.isSafeInteger(b.len)) {
    return { sha256: b.sha256, len: b.len as number };
  }
  return fail(`${where} is neither {text} nor {sha256, len}`);
}

/** Parses and checks a cassette's JSON text; unknown fields are ignored. */
export function parseCassette(text: string): Cassette {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return fail("invalid JSON");
  }
  if (raw.format !== CASSETTE_FORMAT) fail(`format is ${JSON.stringify(raw.format)}`);
  if (typeof raw.seed !== "string" || !/^[0-9a-fA-F]{1,16}$/.test(raw.seed)) {
    fail(`the seed ${JSON.stringify(raw.seed)} is not 16 hex digits`);
  }
  const interactions = (raw.interactions ?? []) as unknown[];
  if (!Array.isArray(interactions)) fail("interactions is not an array");
  const cassette: Cassette = {
    format: CASSETTE_FORMAT,
    seed: raw.seed,
    matching: typeof raw.matching === "string" ? raw.matching : "ignore-volatile",
    ignore_block_ids: raw.ignore_block_ids === true,
    interactions: interactions.map((item, i) => {
      const it = item as { request?: Record<string, unknown>; response?: Record<string, unknown> };
      const rq = it.request;
      const rs = it.response;
      if (!rq || typeof rq.method !== "string" || typeof rq.path !== "string") fail(`interaction ${i} has no request`);
      if (!rs || typeof rs.status !== "number") fail(`interaction ${i} has no response status`);
      return {
        request: {
          method: rq.method,
          path: rq.path,
          query: typeof rq.query === "string" ? rq.query : "",
          headers: stringRecord(rq.headers, `interactions[${i}].request.headers`),
          body: body(rq.body, `interactions[${i}].request.body`),
        },
        response: {
          status: rs.status,
          headers: stringRecord(rs.headers, `interactions[${i}].response.headers`),
          body: body(rs.body, `interactions[${i}].response.body`),
        },
      };
    }),
  };
  if (typeof raw.note === "string") cassette.note = raw.note;
  return cassette;
}

function sorted(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The cassette as its writers print it: two-space indentation, a final newline, empty fields left out. */
export function serializeCassette(cassette: Cassette): string {
  const side = (r: CassetteRequest | CassetteResponse): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    if ("method" in r) {
      out.method = r.method;
      out.path = r.path;
      if (r.query !== "") out.query = r.query;
    } else {
      out.status = r.status;
    }
    if (Object.keys(r.headers).length > 0) out.headers = sorted(r.headers);
    if (!("text" in r.body) || r.body.text !== "") out.body = r.body;
    return out;
  };
  const doc = {
    format: cassette.format,
    seed: cassette.seed,
    matching: cassette.matching,
    ignore_block_ids: cassette.ignore_block_ids,
    interactions: cassette.interactions.map((i) => ({ request: side(i.request), response: side(i.response) })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
