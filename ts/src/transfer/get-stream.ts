// Get Blob's streamed body, resumed where it broke off: the rest is asked
// with `x-ms-range` from the next byte and `If-Match` the first answer's ETag,
// a bounded number of times, so a changed blob is an error and never a mix of
// two blobs' bytes.

import { AzblobError } from "../errors/azblob-error.js";
import { errorOfKind } from "../errors/kinds.js";
import type { Conditions } from "../ops/conditions.js";
import { checkRange, type GetBlobHead, type GetOptions, parseGetBlobResponse } from "../ops/get-blob.js";
import { BlobRange } from "../ops/models.js";
import type { BlobSelector } from "../ops/selector.js";
import type { Response } from "../wire/request.js";
import { WireError } from "../wire/wire-error.js";

/** Sends one Get Blob (through the client's pipeline) and returns its 2xx answer. */
export type GetOnce = (options: GetOptions) => Promise<Response>;

/**
 * What `bytes()` reads itself while nobody has taken `body`: the first
 * answer's chunks, the whole resuming body for a reader of `body`, and the
 * resuming body from a given byte on.
 */
interface DirectBody {
  first: AsyncIterable<Uint8Array>;
  whole: () => AsyncIterable<Uint8Array>;
  from: (received: number, cause: unknown) => AsyncIterable<Uint8Array>;
}

const NO_BODY: AsyncIterable<Uint8Array> = {
  [Symbol.asyncIterator]: () => ({ next: async () => ({ value: undefined, done: true }) }),
};

let setDirect: (response: GetBlobResponse, direct: DirectBody) => void;

/** A Get Blob answer: its head, and its body as it arrives (resumed if it breaks off). */
export class GetBlobResponse {
  readonly head: GetBlobHead;
  #body: AsyncIterable<Uint8Array> | undefined;
  #direct: DirectBody | undefined;

  static {
    setDirect = (response, direct) => {
      response.#body = undefined;
      response.#direct = direct;
    };
  }

  constructor(head: GetBlobHead, body: AsyncIterable<Uint8Array>) {
    this.head = head;
    this.#body = body;
  }

  /** The body as it arrives; a break or a short body is resumed from the next byte. */
  get body(): AsyncIterable<Uint8Array> {
    if (this.#body === undefined) {
      this.#body = this.#direct ? this.#direct.whole() : NO_BODY;
      this.#direct = undefined;
    }
    return this.#body;
  }

  /**
   * The whole body, in one buffer of the length the headers announced,
   * each chunk copied to its place as it arrives (no chunk list, no join).
   * While nobody has taken `body`, the first answer is read here directly,
   * and only a break or a short body goes on through the resuming body.
   */
  async bytes(): Promise<Uint8Array> {
    const length = this.head.bodyLength;
    let first: Uint8Array | undefined;
    let out: Uint8Array | undefined;
    let at = 0;
    const place = (chunk: Uint8Array): void => {
      // A body of one chunk (small answers, replays) is returned as it came.
      if (at === 0 && chunk.length === length) {
        first = chunk;
      } else {
        if (!out) {
          // Not from the shared pool, so the caller's buffer holds nothing else.
          out = new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
          if (first) out.set(first, 0);
          first = undefined;
        }
        // The resuming body never yields more than the announced length.
        out.set(chunk, at);
      }
      at += chunk.length;
    };
    const direct = this.#body === undefined ? this.#direct : undefined;
    if (direct) {
      this.#direct = undefined;
      this.#body = NO_BODY;
      // The resuming body's first round, without a generator in between.
      const chunks = direct.first[Symbol.asyncIterator]();
      let cause: unknown;
      try {
        for (;;) {
          const next = await chunks.next();
          if (next.done) break;
          const chunk = next.value;
          if (chunk.length === 0) continue;
          if (at + chunk.length > length) {
            await chunks.return?.();
            throw longerThanAnnounced(length);
          }
          place(chunk);
        }
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        cause = err;
      }
      if (at < length) {
        this.#body = direct.from(at, cause);
        for await (const chunk of this.#body) place(chunk);
      }
    } else {
      for await (const chunk of this.body) place(chunk);
    }
    if (at !== length) throw shortBody(at, length);
    return out ?? first ?? new Uint8Array(0);
  }
}

function longerThanAnnounced(expected: number): Error {
  return errorOfKind("Transport", {
    message: `the body is longer than the ${expected} bytes its headers announced`,
    operation: "GetBlob",
  });
}

function shortBody(got: number, want: number): Error {
  return errorOfKind("Transport", {
    message: `the body ended after ${got} of the ${want} bytes its headers announced`,
    operation: "GetBlob",
  });
}

/** The chunks of a body, whether the wire streamed it or read it whole. */
function chunksOf(response: Response): AsyncIterable<Uint8Array> {
  if (response.stream) return response.stream;
  const body = response.body;
  return (async function* () {
    if (body.length > 0) yield body;
  })();
}

/** A Get Blob whose body resumes up to `resumes` times. */
export function getBlob(getOnce: GetOnce, options: GetOptions, resumes: number): Promise<GetBlobResponse> {
  // A promise handler rather than an async function: one frame less on every Get Blob.
  let pending: Promise<Response>;
  try {
    pending = getOnce(options);
  } catch (err) {
    return Promise.reject(err);
  }
  return pending.then((first) => {
    const head = parseGetBlobResponse(first);
    const selector = options.selector ?? {};
    const conditions = options.conditions ?? {};
    const firstBody = chunksOf(first);
    const response = new GetBlobResponse(head, NO_BODY);
    setDirect(response, {
      first: firstBody,
      whole: () => resumingBody(getOnce, head, selector, firstBody, resumes, conditions),
      from: (received, cause) => resumingBody(getOnce, head, selector, NO_BODY, resumes, conditions, received, cause),
    });
    return response;
  });
}

async function* resumingBody(
  getOnce: GetOnce,
  head: GetBlobHead,
  selector: BlobSelector,
  firstBody: AsyncIterable<Uint8Array>,
  resumes: number,
  firstConditions: Conditions,
  startAt = 0,
  firstCause: unknown = undefined,
): AsyncGenerator<Uint8Array> {
  const start = head.range?.[0] ?? 0;
  const expected = head.bodyLength;
  const etag = head.properties.etag;
  // `bytes()` may have read the first answer itself: then this starts after it, with its failure if any.
  let received = startAt;
  let left = resumes;
  let body = firstBody;
  let inheritedCause = firstCause;
  for (;;) {
    let cause: unknown = inheritedCause;
    inheritedCause = undefined;
    try {
      for await (const chunk of body) {
        if (chunk.length === 0) continue;
        if (received + chunk.length > expected) throw longerThanAnnounced(expected);
        received += chunk.length;
        yield chunk;
      }
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      cause = err;
    }
    if (received >= expected) return;
    if (left === 0) {
      throw errorOfKind("Transport", {
        message: `the body ${cause ? "broke off" : "ended early"} after ${received} of ${expected} bytes, and was resumed ${resumes} times`,
        operation: "GetBlob",
        cause,
      });
    }
    left -= 1;
    const asked = BlobRange.of(start + received, expected - received);
    let response: Response;
    try {
      // The lease and tag conditions are asked again, so a resumed body meets them as the first did.
      const conditions: Conditions = { ifMatch: etag };
      if (firstConditions.leaseId !== undefined) conditions.leaseId = firstConditions.leaseId;
      if (firstConditions.ifTags !== undefined) conditions.ifTags = firstConditions.ifTags;
      response = await getOnce({ range: asked, selector, conditions });
    } catch (err) {
      if (err instanceof AzblobError && err.kind === "PreconditionFailed") {
        throw errorOfKind("PreconditionFailed", {
          message: "the blob changed while its body was read; nothing of the new one was mixed in",
          operation: "GetBlob",
          status: err.status,
          errorCode: err.errorCode,
          requestId: err.requestId,
          cause: err,
        });
      }
      throw err;
    }
    const resumed = parseGetBlobResponse(response);
    checkRange(resumed, asked);
    if (resumed.properties.contentLength !== head.properties.contentLength) {
      throw errorOfKind("InvalidResponse", {
        message: "the blob's size changed while its body was read",
        operation: "GetBlob",
      });
    }
    body = chunksOf(response);
  }
}
