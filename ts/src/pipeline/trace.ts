import { redactUrl } from "../redact/url.js";
import type { Policy } from "../wire/policy.js";

/** One attempt as the trace policy reports it; the URL is redacted, no header is included. */
export interface AttemptRecord {
  operation: string;
  method: string;
  url: string;
  status: number | undefined;
  requestId: string | undefined;
  durationMs: number;
  error: string | undefined;
}

/** The trace policy: reports every attempt (below retry and signing) to `onAttempt`. */
export function tracePolicy(onAttempt: ((attempt: AttemptRecord) => void) | undefined): Policy {
  // Without a hook the policy is a plain hand-over: no async frame, no extra promise per attempt.
  if (!onAttempt) return (request, next) => next(request);
  return async (request, next) => {
    const started = performance.now();
    const base = { operation: request.operation, method: request.method, url: redactUrl(request.url) };
    try {
      const response = await next(request);
      onAttempt({
        ...base,
        status: response.status,
        requestId: response.headers.get("x-ms-request-id"),
        durationMs: performance.now() - started,
        error: undefined,
      });
      return response;
    } catch (err) {
      const error = err instanceof Error ? err.name : "error";
      onAttempt({ ...base, status: undefined, requestId: undefined, durationMs: performance.now() - started, error });
      throw err;
    }
  };
}
