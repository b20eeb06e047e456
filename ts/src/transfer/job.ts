// What a many-file job shares with each of its files' transfers (the twin of
// Rust's `BlobTarget::counting(job tally)` and `BlobTarget::paced`): a
// pipeline over the client's in which every request's tally also counts in
// the job's (`Tally.join`), so a 429, a 503 or a timeout met by any file
// halves the job's limit, and, with a rate cap, every request body and every
// Get body pays into the job's `Pacer`.

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
    await pacer.pay(request.body.length);
    const response = await base.send(request);
    if (request.method === "GET" && response.status >= 200 && response.status <= 299) {
      // Paid before the body is read: a paced job reads it no faster.
      await pacer.pay(contentLength(response));
    }
    return response;
  };
  return new Pipeline(next, base.clock);
}

/** An answer's `Content-Length`, 0 when absent or unreadable. */
function contentLength(response: Response): number {
  const value = Number(response.headers.get("content-length"));
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}
