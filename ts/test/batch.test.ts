// Blob Batch: the multipart body and answer, sub-requests signed on every
// attempt, and a repeated batch's 404s read as deleted.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ClientBuilder,
  DEV_ACCOUNT,
  DEV_ACCOUNT_KEY,
  DEV_BLOB_ENDPOINT,
  type Next,
  newResponse,
  type Request,
  WireError,
} from "../src/index.js";
import { encodeBatchBody, parseBatchResponse } from "../src/ops/blob-batch.js";
import { buildDeleteBlobRequest } from "../src/ops/delete-blob.js";

const BOUNDARY = "batchresponse_1";

function answer(parts: Array<[number, number, string]>): string {
  const body = parts
    .map(
      ([id, status, code]) =>
        `--${BOUNDARY}\r\nContent-Type: application/http\r\nContent-ID: ${id}\r\n\r\nHTTP/1.1 ${status} X\r\n` +
        (code ? `x-ms-error-code: ${code}\r\n` : "") +
        "x-ms-request-id: r\r\n\r\n",
    )
    .join("");
  return `${body}--${BOUNDARY}--`;
}

test("the body holds each sub-request, the answer splits by Content-ID", () => {
  const url = new URL("http://127.0.0.1:10000/devstoreaccount1/c1c/b%202");
  const body = new TextDecoder().decode(encodeBatchBody("batch_x", [buildDeleteBlobRequest(url)]));
  assert.equal(
    body,
    "--batch_x\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 0\r\n\r\n" +
      "DELETE /devstoreaccount1/c1c/b%202 HTTP/1.1\r\ncontent-length: 0\r\n\r\n--batch_x--\r\n",
  );
  assert.throws(() => encodeBatchBody("b", []), { kind: "InvalidInput" });
  const parts = parseBatchResponse(
    `multipart/mixed; boundary=${BOUNDARY}`,
    new TextEncoder().encode(
      answer([
        [0, 202, ""],
        [1, 404, "BlobNotFound"],
      ]),
    ),
  );
  assert.deepEqual(
    parts.map((p) => [p.contentId, p.status, p.headers.get("x-ms-error-code")]),
    [
      [0, 202, undefined],
      [1, 404, "BlobNotFound"],
    ],
  );
  assert.throws(() => parseBatchResponse("multipart/mixed", new Uint8Array()), { kind: "InvalidResponse" });
});

test("a retried batch is signed afresh and its repeated 404s count as deleted", async () => {
  const bodies: string[] = [];
  let attempt = 0;
  const wire: Next = async (request: Request) => {
    bodies.push(new TextDecoder().decode(request.body));
    attempt += 1;
    // The first attempt's answer is lost after the service deleted both blobs.
    if (attempt === 1) throw new WireError("io", "connection reset");
    return newResponse(
      202,
      [["content-type", `multipart/mixed; boundary=${BOUNDARY}`]],
      new TextEncoder().encode(
        answer([
          [0, 404, "BlobNotFound"],
          [1, 404, "BlobNotFound"],
        ]),
      ),
    );
  };
  const client = new ClientBuilder()
    .endpoint(DEV_BLOB_ENDPOINT)
    .sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
    .wire(wire)
    .clock({ sleep: async () => {}, now: () => 0 })
    .build();
  const results = await client.container("c1c").deleteBlobs(["a", "b"]);
  assert.deepEqual(
    results.map((r) => [r.name, r.outcome.kind]),
    [
      ["a", "done"],
      ["b", "done"],
    ],
  );
  assert.equal(bodies.length, 2);
  for (const body of bodies) {
    assert.equal(body.match(/authorization: SharedKey devstoreaccount1:/g)?.length, 2, "each part signed");
  }
});

test("a batch that fails as a whole fails each blob, never the call; bad names are refused first", async () => {
  const wire: Next = async () => newResponse(403, [["x-ms-error-code", "AuthorizationFailure"]]);
  const client = new ClientBuilder().endpoint(DEV_BLOB_ENDPOINT).wire(wire).build();
  const results = await client.container("c1c").setBlobTiers(["a", "b"], "Cool");
  assert.deepEqual(
    results.map((r) => (r.outcome.kind === "failed" ? r.outcome.error.kind : r.outcome.kind)),
    ["PermissionDenied", "PermissionDenied"],
  );
  await assert.rejects(client.container("c1c").deleteBlobs(["ok", ""]), { kind: "InvalidInput" });
  await assert.rejects(client.container("c1c").deleteBlobsOpts(["a"], { concurrency: 0 }), { kind: "InvalidInput" });
});
