// The state of a blob's last copy: the `x-ms-copy-*` headers (their List Blobs twins are in list-blobs.ts).
// https://learn.microsoft.com/rest/api/storageservices/get-blob-properties#response-headers

import { invalidResponse } from "../errors/kinds.js";
import { redactUrlText } from "../redact/url.js";
import type { CopyState } from "./list-models.js";
import { date } from "./request-util.js";

/** Whether a copy status is final: `success`, `aborted` or `failed`. */
export function isTerminal(status: string): boolean {
  return status === "success" || status === "aborted" || status === "failed";
}

/** Parses `bytes copied/bytes in all`. */
export function parseProgress(value: string): [number, number] {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw invalidResponse(`malformed copy progress ${JSON.stringify(value)}`);
  return [Number(m[1]), Number(m[2])];
}

/** The copy state in a Get Blob Properties or Get Blob answer; `undefined` if the blob was never a copy's target. */
export function parseCopyHeaders(h: Map<string, string>): CopyState | undefined {
  const id = h.get("x-ms-copy-id");
  const status = h.get("x-ms-copy-status");
  if (id === undefined || status === undefined) return undefined;
  const progress = h.get("x-ms-copy-progress");
  const source = h.get("x-ms-copy-source");
  return {
    id,
    status,
    progress: progress === undefined ? undefined : parseProgress(progress),
    // The service echoes the source URL, SAS included: keep it without its signature.
    source: source === undefined ? undefined : redactUrlText(source),
    statusDescription: h.get("x-ms-copy-status-description"),
    completedOn: date(h, "x-ms-copy-completion-time"),
  };
}
