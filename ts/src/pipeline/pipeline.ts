import { errorFromResponse } from "../wire/error-map.js";
import type { Next } from "../wire/policy.js";
import type { Request, Response } from "../wire/request.js";
import type { Clock } from "../wire/retry.js";

/** The composed policies of a client: `send` returns any answer, `execute` throws for a non-2xx one. */
export class Pipeline {
  readonly #next: Next;
  /** The clock retries sleep on (replays do not sleep). */
  readonly clock: Clock;

  constructor(next: Next, clock: Clock) {
    this.#next = next;
    this.clock = clock;
  }

  /** Sends `request` through every policy; resolves with the answer whatever its status. */
  send(request: Request): Promise<Response> {
    return this.#next(request);
  }

  /** Sends `request`; a non-2xx answer becomes the typed error of its operation. */
  execute(request: Request): Promise<Response> {
    // A `then` rather than an async method: one promise and one small closure per operation, not an async frame.
    let pending: Promise<Response>;
    try {
      pending = this.#next(request);
    } catch (err) {
      return Promise.reject(err);
    }
    return pending.then((response) => {
      if (response.status < 200 || response.status > 299) throw errorFromResponse(response, request.operation);
      return response;
    });
  }
}
