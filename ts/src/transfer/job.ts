// What a many-file job shares with each of its files' transfers (the twin of
// Rust's `BlobTarget::counting(job tally)` and `BlobTarget::paced`): a
// pipeline over the client's in which every request's tally also counts in
// the job's (`Tally.join`), so a 429, a 503 or a timeout met by any file
// halves the job's limit, and, with a rate cap, every request body and every
// Get body pays into the job's `Pacer`: a ranged Get's range before it is
// sent, so its answer is read as it arrives rather than left waiting.

import { Pipeline } from "../pipeline/pipeline.js";
import type { Request, Response } from "../wire/request.js";
import type { Tally } from "../wire/tally.js";
import type { Pacer } from "./pacer.js";

/** `base`, its requests counted in `tally` too and, with a pacer, their bytes paced. */
export function jobPipeline(base: Pipeline, tally: Tally, pacer: Pacer | undefined): Pipeline {
  const next = async (request: Request): Promise<Response> => {
    if (request.congestion) request.congestion.join(tally);
    else request.congestion = tally;
    if (!pacer) return base.send(request);
    const asked = request.method === "GET" ? rangeLength(request) : undefined;
    await pacer.pay(request.body.length + (asked ?? 0));
    const response = await base.send(request);
    const got = response.status >= 200 && response.status <= 299 ? contentLength(response) : 0;
    if (asked !== undefined) {
      // The blob may end before the range (or the Get failed): the rest is given back.
      pacer.refund(asked - got);
    } else if (request.method === "GET") {
      // An open range's length is known only from its head; paid before the body is read, so it is read no faster.
      await pacer.pay(got);
    }
    return response;
  };
  return new Pipeline(next, base.clock);
}

/** The length of the range a Get asks for in `x-ms-range` (the header `ops/get-blob.ts` sets), `undefined` when it asks none or an open one. */
export function rangeLength(request: Request): number | undefined {
  const match = /^bytes=(\d+)-(\d+)$/.exec(request.headers.get("x-ms-range") ?? "");
  if (!match) return undefined;
  const [start, end] = [Number(match[1]), Number(match[2])];
  const length = end - start + 1;
  return Number.isSafeInteger(start) && Number.isSafeInteger(end) && length > 0 ? length : undefined;
}

/** An answer's `Content-Length`, 0 when absent or unreadable. */
function contentLength(response: Response): number {
  const value = Number(response.headers.get("content-length"));
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}
