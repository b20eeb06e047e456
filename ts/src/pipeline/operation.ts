// The operation span: the outermost policy. It stamps `x-ms-version` and
// turns a wire failure (no answer) into a typed AzblobError of the operation.

import { AzblobError } from "../errors/azblob-error.js";
import { errorOfKind } from "../errors/kinds.js";
import type { Policy } from "../wire/policy.js";
import { withOwnHeaders } from "../wire/request.js";
import { WireError } from "../wire/wire-error.js";

/**
 * The operation span policy, stamping `apiVersion`; with `deadlineMs`, every
 * attempt and every pause between them must end within that time of the start.
 */
export function operationPolicy(apiVersion: string, deadlineMs?: number): Policy {
  return async (original, next) => {
    // Only headers change here and the sign policy copies the URL before a SAS changes it.
    const request = withOwnHeaders(original);
    request.headers.set("x-ms-version", apiVersion);
    if (deadlineMs !== undefined) request.signal = AbortSignal.timeout(deadlineMs);
    try {
      return await next(request);
    } catch (err) {
      if (err instanceof AzblobError) throw err;
      if (err instanceof WireError) {
        const kind =
          err.transportKind === "timeout"
            ? "Timeout"
            : err.transportKind === "too-long"
              ? "InvalidResponse"
              : "Transport";
        throw errorOfKind(kind, { message: err.message, operation: request.operation, cause: err });
      }
      throw errorOfKind("Other", {
        message: err instanceof Error ? err.message : String(err),
        operation: request.operation,
        cause: err,
      });
    }
  };
}
