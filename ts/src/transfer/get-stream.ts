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

/** A Get Blob answer: its head, and its body as it arrives (resumed if it breaks off). */
export class GetBlobResponse {
  readonly head: GetBlobHead;
  readonly body: AsyncIterable<Uint8Array>;

  constructor(head: GetBlobHead, body: AsyncIterable<Uint8Array>) {
    this.head = head;
    this.body = body;
  }

  /**
   * The whole body, in one buffer of the length the headers announced,
   * each chunk copied to its place as it arrives (no chunk list, no join).
   */
  async bytes(): Promise<Uint8Array> {
    const length = this.head.bodyLength;
    let first: Uint8Array | undefined;
    let out: Uint8Array | undefined;
    let at = 0;
    for await (const chunk of this.body) {
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
    }
    if (at !== length) throw shortBody(at, length);
    return out ?? first ?? new Uint8Array(0);
  }
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
    return new GetBlobResponse(
      head,
      resumingBody(getOnce, head, options.selector ?? {}, chunksOf(first), resumes, options.conditions ?? {}),
    );
  });
}

async function* resumingBody(
  getOnce: GetOnce,
  head: GetBlobHead,
  selector: BlobSelector,
  firstBody: AsyncIterable<Uint8Array>,
  resumes: number,
  firstConditions: Conditions,
): AsyncGenerator<Uint8Array> {
  const start = head.range?.[0] ?? 0;
  const expected = head.bodyLength;
  const etag = head.properties.etag;
  let received = 0;
  let left = resumes;
  let body = firstBody;
  for (;;) {
    let cause: unknown;
    try {
      for await (const chunk of body) {
        if (chunk.length === 0) continue;
        if (received + chunk.length > expected) {
          throw errorOfKind("Transport", {
            message: `the body is longer than the ${expected} bytes its headers announced`,
            operation: "GetBlob",
          });
        }
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
