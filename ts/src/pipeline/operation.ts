// The operation span: the outermost policy. It stamps `x-ms-version` and
// turns a wire failure (no answer) into a typed AzblobError of the operation.

import { AzblobError } from "../errors/azblob-error.js";
import { errorOfKind } from "../errors/kinds.js";
import type { Policy } from "../wire/policy.js";
import { type Request, type Response, withOwnHeaders } from "../wire/request.js";
import { WireError } from "../wire/wire-error.js";

/**
 * The operation span policy, stamping `apiVersion`; with `deadlineMs`, every
 * attempt and every pause between them must end within that time of the start.
 */
export function operationPolicy(apiVersion: string, deadlineMs?: number): Policy {
  return (original, next) => {
    let request: Request;
    try {
      // Only headers change here and the sign policy copies the URL before a SAS changes it.
      request = withOwnHeaders(original);
      request.headers.set("x-ms-version", apiVersion);
      if (deadlineMs !== undefined) request.signal = AbortSignal.timeout(deadlineMs);
    } catch (err) {
      return Promise.reject(err);
    }
    // A `then` for the failures rather than an async function: no async frame per operation.
    let pending: Promise<Response>;
    try {
      pending = next(request);
    } catch (err) {
      return Promise.reject(typedFailure(err, request));
    }
    return pending.then(undefined, (err: unknown) => {
      throw typedFailure(err, request);
    });
  };
}

/** A failure of the rest of the pipeline as the operation's typed error: an `AzblobError` stays as it is. */
function typedFailure(err: unknown, request: Request): unknown {
  if (err instanceof AzblobError) return err;
  if (err instanceof WireError) {
    const kind =
      err.transportKind === "timeout" ? "Timeout" : err.transportKind === "too-long" ? "InvalidResponse" : "Transport";
    return errorOfKind(kind, { message: err.message, operation: request.operation, cause: err });
  }
  return errorOfKind("Other", {
    message: err instanceof Error ? err.message : String(err),
    operation: request.operation,
    cause: err,
  });
}
