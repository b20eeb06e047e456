import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AzblobError,
  errorOfKind,
  isAzblobError,
  isNotFound,
  isPreconditionFailed,
  NotFoundError,
  PreconditionFailedError,
} from "../src/index.js";
import { classify, errorFromParts, redirectError } from "../src/wire/error-map.js";

const NOT_FOUND =
  '\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>BlobNotFound</Code>' +
  "<Message>The specified blob does not exist.\nRequestId:0bd4ee\nTime:2026-11-23T10:00:00.000Z</Message></Error>";

function error(status: number, header: string | undefined, body: string): AzblobError {
  return errorFromParts(status, header, "rid-1", new TextEncoder().encode(body), "GetBlob");
}

test("the message names operation, status, code and request id as Rust's Display does", () => {
  const err = errorOfKind("NotFound", {
    message: "The specified blob does not exist.",
    operation: "GetBlob",
    status: 404,
    errorCode: "BlobNotFound",
    requestId: "req-1",
  });
  assert.equal(
    err.message,
    "GetBlob: not found (HTTP 404 BlobNotFound): The specified blob does not exist. [request id req-1]",
  );
  assert.ok(err instanceof NotFoundError && err instanceof AzblobError && err instanceof Error);
  assert.equal(err.name, "NotFoundError");
  assert.ok(isNotFound(err) && isAzblobError(err) && !isPreconditionFailed(err));
  assert.equal(err.isRetryable, false);
  assert.equal(errorOfKind("ServerBusy").isRetryable, true);
});

test("an XML body gives the code and the first line of the message", () => {
  const err = error(404, undefined, NOT_FOUND);
  assert.equal(err.kind, "NotFound");
  assert.equal(err.errorCode, "BlobNotFound");
  assert.equal(err.requestId, "rid-1");
  assert.ok(err.message.includes("The specified blob does not exist."), err.message);
  assert.ok(!err.message.includes("RequestId:0bd4ee"), err.message);
});

test("header-only errors, as for HEAD", () => {
  const err = error(404, "BlobNotFound", "");
  assert.deepEqual([err.kind, err.errorCode], ["NotFound", "BlobNotFound"]);
  assert.ok(error(412, "ConditionNotMet", "") instanceof PreconditionFailedError);
});

test("codes refine statuses", () => {
  const cases: Array<[number, string, string]> = [
    [409, "BlobAlreadyExists", "AlreadyExists"],
    [409, "LeaseIdMissing", "Conflict"],
    [409, "BlobArchived", "Archived"],
    [409, "SnapshotsPresent", "Conflict"],
    [403, "AuthenticationFailed", "Unauthenticated"],
    [403, "AuthorizationPermissionMismatch", "PermissionDenied"],
    [400, "Md5Mismatch", "IntegrityMismatch"],
    [503, "ServerBusy", "ServerBusy"],
    [500, "OperationTimedOut", "Timeout"],
  ];
  for (const [status, code, kind] of cases) assert.equal(error(status, code, "").kind, kind, `${status} ${code}`);
});

test("statuses without codes", () => {
  const cases: Array<[number, string]> = [
    [400, "BadRequest"],
    [401, "Unauthenticated"],
    [403, "PermissionDenied"],
    [412, "PreconditionFailed"],
    [304, "PreconditionFailed"],
    [416, "InvalidRange"],
    [429, "Throttled"],
    [408, "Timeout"],
    [502, "ServerBusy"],
    [504, "Timeout"],
    [418, "BadRequest"],
    [600, "InvalidResponse"],
  ];
  for (const [status, kind] of cases) assert.equal(classify(status, undefined), kind, `status ${status}`);
});

test("redirects name the host but not the query", () => {
  const err = redirectError(307, "https://evil.example:8443/c/b?sv=1&sig=secret");
  assert.ok(err);
  assert.deepEqual([err.kind, err.status], ["InvalidResponse", 307]);
  assert.ok(err.message.includes("https://evil.example:8443") && err.message.includes("307"), err.message);
  assert.ok(!err.message.includes("secret") && !err.message.includes("/c/b"), err.message);
  assert.ok(redirectError(302, "/elsewhere?sig=x")?.message.includes("relative"));
  assert.equal(redirectError(304, undefined), undefined);
  assert.equal(redirectError(200, undefined), undefined);
});

test("garbage bodies still give a typed error", () => {
  const err = error(500, undefined, "<html><body>Bad gateway \u{1F4A5}</body>");
  assert.equal(err.kind, "ServerBusy");
  assert.equal(err.errorCode, undefined);
  const binary = errorFromParts(403, undefined, undefined, new Uint8Array([0, 1, 0xff]), "GetBlob");
  assert.equal(binary.kind, "PermissionDenied");
  assert.ok(binary.message.includes("Forbidden"), binary.message);
});
