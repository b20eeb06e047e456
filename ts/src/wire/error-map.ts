// The one place where a service response becomes an ErrorKind (Rust `wire/error_map.rs`).
// https://learn.microsoft.com/rest/api/storageservices/blob-service-error-codes

import { XMLParser } from "fast-xml-parser";
import type { AzblobError } from "../errors/azblob-error.js";
import type { ErrorKind } from "../errors/error-kind.js";
import { errorOfKind } from "../errors/kinds.js";
import { origin } from "../net.js";
import type { Response } from "./request.js";

/** Error bodies are small; a longer one is garbage and is cut here. */
const MAX_ERROR_BODY = 64 * 1024;

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  411: "Length Required",
  412: "Precondition Failed",
  413: "Payload Too Large",
  416: "Range Not Satisfiable",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** The error for a non-2xx `response` of `operation`. */
export function errorFromResponse(response: Response, operation: string): AzblobError {
  const redirect = redirectError(response.status, response.headers.get("location"));
  if (redirect) return redirect;
  return errorFromParts(
    response.status,
    response.headers.get("x-ms-error-code"),
    response.headers.get("x-ms-request-id"),
    response.body.subarray(0, MAX_ERROR_BODY),
    operation,
  );
}

/**
 * The error for a redirect (a 3xx other than 304), or `undefined`. The library
 * never follows redirects (they would carry credentials and bodies elsewhere);
 * the message names the target by origin only, as a `Location` may carry a SAS.
 */
export function redirectError(status: number, location: string | undefined): AzblobError | undefined {
  if (status < 300 || status > 399 || status === 304) return undefined;
  let target: string;
  if (location === undefined) {
    target = "without a Location";
  } else {
    try {
      const url = new URL(location);
      target = url.host ? `to ${origin(url)}` : "to a location without a host";
    } catch {
      target = "to a relative or malformed location";
    }
  }
  return errorOfKind("InvalidResponse", {
    message: `the server redirected (HTTP ${status}) ${target}; redirects are never followed`,
    status,
  });
}

/** The pure part of {@link errorFromResponse}. */
export function errorFromParts(
  status: number,
  headerCode: string | undefined,
  requestId: string | undefined,
  body: Uint8Array,
  operation: string,
): AzblobError {
  const parsed = parseErrorBody(body);
  const code = headerCode ?? parsed?.code;
  const message = parsed?.message?.split(/\r?\n/)[0]?.trim() ?? REASONS[status] ?? "";
  return errorOfKind(classify(status, code), { message, operation, status, errorCode: code, requestId });
}

/** Maps a status and the service's error code to a kind: codes first, then statuses. */
export function classify(status: number, code: string | undefined): ErrorKind {
  switch (code) {
    case "BlobAlreadyExists":
    case "ContainerAlreadyExists":
      return "AlreadyExists";
    case "AuthenticationFailed":
    case "InvalidAuthenticationInfo":
    case "NoAuthenticationInformation":
      return "Unauthenticated";
    case "Md5Mismatch":
    case "Crc64Mismatch":
    case "InvalidMd5":
      return "IntegrityMismatch";
    case "ServerBusy":
      return "ServerBusy";
    // Reading an archived blob: a 409 that needs a rehydration, not a retry.
    case "BlobArchived":
      return "Archived";
    case "OperationTimedOut":
      return "Timeout";
  }
  switch (status) {
    case 401:
      return "Unauthenticated";
    case 403:
      return "PermissionDenied";
    case 404:
      return "NotFound";
    case 409:
      return "Conflict";
    case 304:
    case 412:
      return "PreconditionFailed";
    case 416:
      return "InvalidRange";
    case 429:
      return "Throttled";
    case 408:
    case 504:
      return "Timeout";
    case 500:
    case 502:
    case 503:
      return "ServerBusy";
  }
  return status >= 400 && status <= 499 ? "BadRequest" : "InvalidResponse";
}

const parser = new XMLParser({ parseTagValue: false, trimValues: false });

/** Parses `<Error><Code>..</Code><Message>..</Message></Error>`; `undefined` for anything else. */
function parseErrorBody(body: Uint8Array): { code?: string; message?: string } | undefined {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
  text = text.replace(/^\uFEFF/, "");
  if (!text.trimStart().startsWith("<")) return undefined;
  try {
    const doc = parser.parse(text) as { Error?: { Code?: unknown; Message?: unknown } };
    const error = doc.Error;
    if (!error || typeof error !== "object") return undefined;
    const result: { code?: string; message?: string } = {};
    if (typeof error.Code === "string") result.code = error.Code;
    if (typeof error.Message === "string") result.message = error.Message;
    return result;
  } catch {
    return undefined;
  }
}
