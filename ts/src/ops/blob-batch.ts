// Blob Batch: many Delete Blob or Set Blob Tier sub-requests in one `multipart/mixed` POST.
// https://learn.microsoft.com/rest/api/storageservices/blob-batch
//
// The body is a list of complete HTTP requests, each authorized on its own
// (the sign policy signs them on every attempt, then calls encodeBatchBody);
// the answer is a list of complete HTTP responses, matched by `Content-ID`.

import { randomBytes } from "node:crypto";
import { invalidInput, invalidResponse } from "../errors/kinds.js";
import { newRequest, type Request } from "../wire/request.js";
import { addQuery } from "./request-util.js";

/** The most sub-requests one batch carries. */
export const MAX_BATCH_SIZE = 256;

const CRLF = "\r\n";

/** A fresh boundary: `batch_` and 32 random hex digits. */
export function newBoundary(): string {
  return `batch_${randomBytes(16).toString("hex")}`;
}

/** Encodes the (signed) sub-requests as the batch's body. */
export function encodeBatchBody(boundary: string, subRequests: readonly Request[]): Uint8Array {
  if (subRequests.length === 0 || subRequests.length > MAX_BATCH_SIZE) {
    throw invalidInput(`a batch carries 1 to ${MAX_BATCH_SIZE} sub-requests, got ${subRequests.length}`);
  }
  let out = "";
  subRequests.forEach((request, id) => {
    out += `--${boundary}${CRLF}Content-Type: application/http${CRLF}Content-Transfer-Encoding: binary${CRLF}`;
    out += `Content-ID: ${id}${CRLF}${CRLF}`;
    out += `${request.method} ${request.url.pathname}${request.url.search} HTTP/1.1${CRLF}`;
    for (const [name, value] of request.headers) {
      if (!/^[\t\x20-\x7e]*$/.test(value)) throw invalidInput(`the batch sub-request header ${name} is not text`);
      out += `${name}: ${value}${CRLF}`;
    }
    out += `content-length: 0${CRLF}${CRLF}`;
  });
  out += `--${boundary}--${CRLF}`;
  return new TextEncoder().encode(out);
}

/**
 * Builds the batch POST. Each sub-request is harmless to repeat and is signed
 * afresh on every attempt, so the whole POST may be retried; a repeated batch
 * answers 404 for the blobs the lost first attempt deleted, read as deleted.
 */
export function buildBatchRequest(containerUrl: URL, boundary: string, body: Uint8Array): Request {
  const request = newRequest("BlobBatch", "POST", containerUrl);
  addQuery(request, "restype", "container");
  addQuery(request, "comp", "batch");
  request.headers.set("content-type", `multipart/mixed; boundary=${boundary}`);
  request.idempotent = true;
  // 256 short sub-responses need a few hundred KiB.
  request.maxResponseBytes = 4 * 1024 * 1024;
  request.body = body;
  return request;
}

/** One part of a batch's answer. */
export interface SubResponse {
  contentId: number | undefined;
  status: number;
  headers: Map<string, string>;
  body: Uint8Array;
}

/** Splits a batch answer into its parts. */
export function parseBatchResponse(contentType: string, body: Uint8Array): SubResponse[] {
  const boundary = contentType
    .split(";")
    .map((p) => p.trim())
    .find((p) => p.startsWith("boundary="))
    ?.slice("boundary=".length)
    .replace(/^"|"$/g, "");
  if (!boundary) {
    throw invalidResponse(`the batch answer's Content-Type names no boundary: ${JSON.stringify(contentType)}`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw invalidResponse("the batch answer is not UTF-8");
  }
  const parts = text.split(`--${boundary}`).slice(1);
  const out: SubResponse[] = [];
  for (const part of parts) {
    if (part.startsWith("--")) break;
    out.push(parsePart(part));
  }
  return out;
}

function parsePart(raw: string): SubResponse {
  const bad = (why: string): Error => invalidResponse(`malformed batch sub-response: ${why}`);
  const trimmed = raw.replace(/^[ \t]+/, "");
  const part = trimmed.startsWith(CRLF) ? trimmed.slice(2) : raw;
  const split = part.indexOf("\r\n\r\n");
  if (split < 0) throw bad("no blank line after the part headers");
  const mime = part.slice(0, split);
  const http = part.slice(split + 4);
  let contentId: number | undefined;
  for (const line of mime.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon >= 0 && line.slice(0, colon).trim().toLowerCase() === "content-id") {
      const value = line.slice(colon + 1).trim();
      if (!/^\d+$/.test(value)) throw bad("Content-ID is not a number");
      contentId = Number(value);
    }
  }
  const headEnd = http.indexOf("\r\n\r\n");
  const head = headEnd < 0 ? http.replace(/(\r\n)+$/, "") : http.slice(0, headEnd);
  const bodyText = headEnd < 0 ? "" : http.slice(headEnd + 4).replace(/(\r\n)+$/, "");
  const [statusLine, ...lines] = head.split(CRLF);
  const status = Number(statusLine?.split(/\s+/)[1]);
  if (!Number.isInteger(status) || status < 100 || status > 999) throw bad("no status code");
  const headers = new Map<string, string>();
  for (const line of lines.filter((l) => l.trim() !== "")) {
    const colon = line.indexOf(":");
    if (colon < 0) throw bad("a header line without ':'");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  return { contentId, status, headers, body: new TextEncoder().encode(bodyText) };
}
