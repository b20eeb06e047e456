// The simulation policy, directly above the wire and below signing: a
// recording keeps each request as sent, sanitized; a replay answers from the
// cassette with no network and no credential.

import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { errorOfKind, invalidInput } from "../errors/kinds.js";
import type { Policy } from "../wire/policy.js";
import { newResponse, type Request, type Response } from "../wire/request.js";
import type { Clock } from "../wire/retry.js";
import { WireError } from "../wire/wire-error.js";
import { canonicalQuery } from "./canonical-query.js";
import {
  CASSETTE_FORMAT,
  type Cassette,
  type CassetteBody,
  type CassetteRequest,
  type CassetteResponse,
  parseCassette,
  serializeCassette,
} from "./cassette.js";
import { findSecret, isUnredactedCredentialHeader } from "./detect.js";
import { Matcher, type Matching, matchingFromName, matchingName } from "./matcher.js";
import { DROPPED_REQUEST_HEADERS, DROPPED_RESPONSE_HEADERS, Sanitizer } from "./sanitize.js";

/** Bodies up to this size that are valid UTF-8 are kept inline as text. */
const INLINE_LIMIT = 64 * 1024;

/** How a client simulates: record to or replay from the cassette at `path`. */
export interface SimulationOptions {
  mode: "record" | "replay";
  /** The cassette's `.json` file. */
  path: string;
  /** The strategy (default: the cassette's, else `ignore-volatile`). */
  matching?: Matching;
  /** The seed of a new recording (default: a fresh one); replays use the cassette's. */
  seed?: bigint;
  /** Whether block ids are ignored when matching. */
  ignoreBlockIds?: boolean;
  /**
   * Replaces the account name with this placeholder in recorded paths, query
   * values, header values and text bodies; a replay puts the name back into
   * response headers and text bodies.
   */
  accountPlaceholder?: string;
}

/** How much of a replayed cassette was used. */
export interface SimulationStats {
  interactions: number;
  used: number;
  unused: number;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function utf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The sidecar directory of a cassette: its file name with `.bodies` for its extension. */
export function sidecarDir(path: string): string {
  return join(dirname(path), `${basename(path, extname(path))}.bodies`);
}

/** A request as a recording holds it: sanitized, canonical query, body inline or by hash. */
export function captureRequest(request: Request, sanitizer: Sanitizer = new Sanitizer()): CassetteRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) {
    if (!DROPPED_REQUEST_HEADERS.includes(name)) headers[name] = sanitizer.header(name, value);
  }
  const multipart = (headers["content-type"] ?? "").toLowerCase().startsWith("multipart/mixed");
  const text = utf8(request.body);
  let body: CassetteBody;
  if (text !== undefined && (request.body.length <= INLINE_LIMIT || multipart)) {
    body = { text: sanitizer.body(text) };
  } else {
    body = { sha256: sha256Hex(request.body), len: request.body.length };
  }
  return {
    method: request.method,
    path: sanitizer.text(request.url.pathname),
    query: canonicalQuery(request.url.search, (value) => sanitizer.text(value)),
    headers,
    body,
  };
}

async function* oneChunk(body: Uint8Array): AsyncGenerator<Uint8Array> {
  if (body.length > 0) yield body;
}

/** Reads and checks the cassette at `path`. */
function readCassette(path: string): Cassette {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw errorOfKind("InvalidInput", { message: `cannot read the cassette ${path}`, cause });
  }
  return parseCassette(text);
}

/** A recorded client session: the cassette, which interactions replayed, and the policy. */
export class Simulation {
  readonly isReplay: boolean;
  #seed: bigint;
  #path: string;
  #cassette: Cassette;
  #matcher: Matcher;
  #used: boolean[];
  /** Response bodies recorded in this session, by hash, for the sidecar. */
  #newBodies = new Map<string, Uint8Array>();
  readonly #options: SimulationOptions;
  readonly #sanitizer: Sanitizer;

  private constructor(
    options: SimulationOptions,
    cassette: Cassette,
    matcher: Matcher,
    isReplay: boolean,
    account: string,
  ) {
    this.#options = options;
    this.#sanitizer = new Sanitizer(
      options.accountPlaceholder === undefined ? undefined : [account, options.accountPlaceholder],
    );
    this.#path = options.path;
    this.#cassette = cassette;
    this.#matcher = matcher;
    this.isReplay = isReplay;
    this.#seed = BigInt(`0x${cassette.seed}`);
    this.#used = cassette.interactions.map(() => false);
  }

  /** The seed of the client's randomness. */
  get seed(): bigint {
    return this.#seed;
  }

  /** Replaces the cassette with the one at `path` (replays answer from it, recordings are added to it). */
  load(path: string): void {
    const cassette = readCassette(path);
    const matching = this.#options.matching ?? matchingFromName(cassette.matching);
    this.#matcher = new Matcher(matching, this.#options.ignoreBlockIds ?? cassette.ignore_block_ids);
    this.#path = path;
    this.#cassette = cassette;
    this.#seed = BigInt(`0x${cassette.seed}`);
    this.#used = cassette.interactions.map(() => false);
    this.#newBodies = new Map();
  }

  /** Opens the cassette of a replay (throwing `InvalidInputError` for a missing or malformed one) or starts a recording. */
  static open(options: SimulationOptions, account: string): Simulation {
    if (options.mode === "replay") {
      const cassette = readCassette(options.path);
      const matching = options.matching ?? matchingFromName(cassette.matching);
      const matcher = new Matcher(matching, options.ignoreBlockIds ?? cassette.ignore_block_ids);
      return new Simulation(options, cassette, matcher, true, account);
    }
    const seed = options.seed ?? randomBytes(8).readBigUInt64BE();
    const matching = options.matching ?? "ignore-volatile";
    const cassette: Cassette = {
      format: CASSETTE_FORMAT,
      seed: seed.toString(16).padStart(16, "0"),
      matching: matchingName(matching),
      ignore_block_ids: options.ignoreBlockIds ?? false,
      interactions: [],
    };
    return new Simulation(options, cassette, new Matcher(matching, cassette.ignore_block_ids), false, account);
  }

  /** A replay's clock does not sleep; a recording keeps the client's. */
  clock(): Clock | undefined {
    return this.isReplay ? { sleep: async () => {}, now: () => Date.now() } : undefined;
  }

  /** How many interactions were replayed. */
  stats(): SimulationStats {
    const used = this.#used.filter(Boolean).length;
    return { interactions: this.#used.length, used, unused: this.#used.length - used };
  }

  /** The policy that records or replays. */
  policy(): Policy {
    return async (request, next) => {
      const sent = captureRequest(request, this.#sanitizer);
      if (this.isReplay) {
        const replayed = this.#replay(sent);
        if (request.streamBody && replayed.status >= 200 && replayed.status <= 299) {
          replayed.stream = oneChunk(replayed.body);
          replayed.body = new Uint8Array(0);
        }
        return replayed;
      }
      const response = await next(request);
      if (response.stream) {
        // A recording reads a streamed body whole to keep it, then hands it on as one chunk.
        const chunks: Uint8Array[] = [];
        for await (const chunk of response.stream) chunks.push(chunk);
        const body = new Uint8Array(Buffer.concat(chunks));
        this.#record(sent, { ...response, body, stream: undefined });
        response.stream = oneChunk(body);
        return response;
      }
      this.#record(sent, response);
      return response;
    };
  }

  #replay(sent: CassetteRequest): Response {
    const interactions = this.#cassette.interactions;
    for (let i = 0; i < interactions.length; i++) {
      const interaction = interactions[i];
      if (this.#used[i] || !interaction || !this.#matcher.matches(sent, interaction.request)) continue;
      this.#used[i] = true;
      return this.#responseOf(interaction.response);
    }
    throw new WireError("other", this.#noMatch(sent));
  }

  /** The message of a request nothing matches: the closest unused interaction and each difference. */
  #noMatch(sent: CassetteRequest): string {
    let best: { index: number; diffs: string[]; weight: number } | undefined;
    this.#cassette.interactions.forEach((interaction, index) => {
      if (this.#used[index]) return;
      const diffs = this.#matcher.differences(sent, interaction.request);
      const weight = diffs.reduce((sum, d) => sum + d.weight, 0);
      if (!best || weight < best.weight) best = { index, diffs: diffs.map((d) => d.text), weight };
    });
    const head = `replay: no unused interaction of ${this.#path} matches ${sent.method} ${sent.path}`;
    return best ? `${head}; closest is #${best.index}: ${best.diffs.join("; ")}` : `${head}; every interaction is used`;
  }

  #responseOf(recorded: CassetteResponse): Response {
    let body: Uint8Array;
    let restored = false;
    if ("text" in recorded.body) {
      const text = this.#sanitizer.restore(recorded.body.text);
      restored = text !== recorded.body.text;
      body = new Uint8Array(Buffer.from(text, "utf8"));
    } else {
      const file = join(sidecarDir(this.#path), recorded.body.sha256);
      try {
        body = new Uint8Array(readFileSync(file));
      } catch (cause) {
        throw new WireError("other", `replay: the sidecar body ${file} is missing`, { cause });
      }
      if (body.length !== recorded.body.len || sha256Hex(body) !== recorded.body.sha256) {
        throw new WireError("other", `replay: the sidecar body ${file} does not match its length and hash`);
      }
    }
    const headers = Object.entries(recorded.headers).map(([k, v]): [string, string] => [k, this.#sanitizer.restore(v)]);
    // A body whose length the account name changed gets its length back in step.
    const fixed = restored
      ? headers.map(([k, v]): [string, string] => [k, k === "content-length" ? String(body.length) : v])
      : headers;
    return newResponse(recorded.status, fixed, body);
  }

  #record(request: CassetteRequest, response: Response): void {
    const headers: Record<string, string> = {};
    for (const [name, value] of response.headers) {
      if (!DROPPED_RESPONSE_HEADERS.includes(name)) headers[name] = this.#sanitizer.header(name, value);
    }
    const text = utf8(response.body);
    let body: CassetteBody;
    if (text !== undefined && response.body.length <= INLINE_LIMIT) {
      body = { text: this.#sanitizer.body(text) };
    } else {
      const stored =
        text === undefined ? response.body : new Uint8Array(Buffer.from(this.#sanitizer.body(text), "utf8"));
      const sha256 = sha256Hex(stored);
      this.#newBodies.set(sha256, stored);
      body = { sha256, len: stored.length };
    }
    this.#cassette.interactions.push({ request, response: { status: response.status, headers, body } });
  }

  /**
   * Writes a recording's cassette and new sidecar bodies. Throws
   * `InvalidInputError` naming the interaction and field if anything still
   * looks like a secret; nothing is written then.
   */
  save(): void {
    if (this.isReplay) throw invalidInput("a replaying client has no recording to save");
    this.#cassette.interactions.forEach((interaction, index) => {
      const refuse = (field: string, shape: string): never => {
        throw invalidInput(`refusing to save the cassette: interaction ${index}, ${field} holds a ${shape}`);
      };
      // Each field as text, and the shapes that are secrets by where they are, whatever their text.
      const fields: Array<[string, string]> = [["request.path", interaction.request.path]];
      for (const [k, v] of new URLSearchParams(interaction.request.query)) {
        if (k.toLowerCase() === "sig") refuse(`request.query.${k}`, "SAS signature");
        fields.push([`request.query.${k}`, v]);
      }
      for (const side of ["request", "response"] as const) {
        for (const [name, value] of Object.entries(interaction[side].headers)) {
          if (isUnredactedCredentialHeader(name, value)) refuse(`${side}.headers.${name}`, "credential header");
          fields.push([`${side}.headers.${name}`, value]);
        }
        const body = interaction[side].body;
        if ("text" in body) {
          fields.push([`${side}.body`, body.text]);
        } else {
          // A sidecar body recorded in this session is scanned when it is text.
          const stored = side === "response" ? this.#newBodies.get(body.sha256) : undefined;
          const text = stored && utf8(stored);
          if (text) fields.push([`${side}.body`, text]);
        }
      }
      for (const [field, text] of fields) {
        const shape = findSecret(text);
        if (shape) refuse(field, shape);
      }
    });
    mkdirSync(dirname(this.#path), { recursive: true });
    writeFileSync(this.#path, serializeCassette(this.#cassette));
    if (this.#newBodies.size > 0) {
      const dir = sidecarDir(this.#path);
      mkdirSync(dir, { recursive: true });
      for (const [sha256, bytes] of this.#newBodies) writeFileSync(join(dir, sha256), bytes);
    }
  }
}
