// Get Blob's body read by `bytes()` (which reads the first answer itself) and
// through `body` (the resuming generator) must behave alike: the same
// resumes, the same errors. A scripted `getOnce` stands in for the pipeline.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { GetOptions } from "../src/ops/get-blob.js";
import { getBlob } from "../src/transfer/get-stream.js";
import { newResponse, type Response } from "../src/wire/request.js";
import { WireError } from "../src/wire/wire-error.js";

const BLOB = "helloworld";

/** An answer for bytes `start..` of BLOB whose stream yields `parts`, then fails if `breakOff`. */
function answer(start: number, parts: string[], breakOff: boolean, announced = BLOB.length - start): Response {
  const headers: Array<[string, string]> = [
    ["etag", '"e1"'],
    ["last-modified", "Mon, 23 Nov 2026 10:00:00 GMT"],
    ["x-ms-blob-type", "BlockBlob"],
    ["content-length", String(announced)],
  ];
  if (start > 0) headers.push(["content-range", `bytes ${start}-${start + announced - 1}/${BLOB.length}`]);
  const response = newResponse(start > 0 ? 206 : 200, headers);
  response.stream = (async function* () {
    for (const part of parts) yield new TextEncoder().encode(part);
    if (breakOff) throw new WireError("io", "the response body broke off");
  })();
  return response;
}

/** A getOnce serving `script` in turn, recording what each call asked. */
function scripted(script: Response[]) {
  const asked: GetOptions[] = [];
  const getOnce = async (options: GetOptions): Promise<Response> => {
    asked.push(options);
    const next = script.shift();
    if (!next) throw new Error("no more answers");
    return next;
  };
  return { getOnce, asked };
}

async function viaBody(response: Awaited<ReturnType<typeof getBlob>>): Promise<string> {
  let text = "";
  for await (const chunk of response.body) text += new TextDecoder().decode(chunk);
  return text;
}

for (const way of ["bytes", "body"] as const) {
  const read = async (response: Awaited<ReturnType<typeof getBlob>>) =>
    way === "bytes" ? new TextDecoder().decode(await response.bytes()) : viaBody(response);

  test(`${way}: a break is resumed from the next byte under If-Match`, async () => {
    const { getOnce, asked } = scripted([answer(0, ["hel", "lo"], true), answer(5, ["world"], false)]);
    assert.equal(await read(await getBlob(getOnce, {}, 3)), BLOB);
    assert.equal(asked.length, 2);
    assert.equal(asked[1]?.range?.offset, 5);
    assert.equal(asked[1]?.range?.length, 5);
    assert.equal(asked[1]?.conditions?.ifMatch, '"e1"');
  });

  test(`${way}: a short body with no resume left says it ended early`, async () => {
    const { getOnce } = scripted([answer(0, ["hello"], false)]);
    await assert.rejects(read(await getBlob(getOnce, {}, 0)), {
      kind: "Transport",
      message: /ended early after 5 of 10 bytes, and was resumed 0 times/,
    });
  });

  test(`${way}: a break with no resume left says it broke off`, async () => {
    const { getOnce } = scripted([answer(0, ["hel"], true)]);
    await assert.rejects(read(await getBlob(getOnce, {}, 0)), {
      kind: "Transport",
      message: /broke off after 3 of 10/,
    });
  });

  test(`${way}: a body longer than announced is a Transport error`, async () => {
    const { getOnce } = scripted([answer(0, ["hello", "world!"], false)]);
    await assert.rejects(read(await getBlob(getOnce, {}, 3)), {
      kind: "Transport",
      message: /longer than the 10 bytes its headers announced/,
    });
  });
}

test("body after bytes() has nothing left, and bytes() after body finds the body read", async () => {
  const first = await getBlob(scripted([answer(0, [BLOB], false)]).getOnce, {}, 3);
  assert.equal(new TextDecoder().decode(await first.bytes()), BLOB);
  assert.equal(await viaBody(first), "");
  const second = await getBlob(scripted([answer(0, [BLOB], false)]).getOnce, {}, 3);
  assert.equal(await viaBody(second), BLOB);
  await assert.rejects(second.bytes(), { kind: "Transport", message: /ended after 0 of the 10 bytes/ });
});
