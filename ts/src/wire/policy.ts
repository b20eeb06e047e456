import type { Request, Response } from "./request.js";

/** The wire, or the rest of the pipeline below a policy: sends a request, resolves with any answer. */
export type Next = (request: Request) => Promise<Response>;

/**
 * One layer of the pipeline: it may change the request, call `next` (once,
 * several times, or not at all) and change the answer. A wire failure with no
 * answer rejects with a `WireError`; a refusal rejects with an `AzblobError`.
 */
export type Policy = (request: Request, next: Next) => Promise<Response>;

/** Composes `policies` (outermost first) over `wire` into one `Next`. */
export function compose(policies: readonly Policy[], wire: Next): Next {
  return policies.reduceRight<Next>((next, policy) => (request) => policy(request, next), wire);
}
