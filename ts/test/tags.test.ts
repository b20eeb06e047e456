// Blob index tags and Find Blobs by Tags: the checks, the requests and the
// parsers (mirrors the unit tests of crates/azblob/src/ops/tags.rs and find_blobs.rs).

import assert from "node:assert/strict";
import { test } from "node:test";
import { newResponse, type Tags } from "../src/index.js";
import { buildFindBlobsRequest, parseFindBlobsResponse } from "../src/ops/find-blobs.js";
import {
  buildGetTagsRequest,
  buildSetTagsRequest,
  checkSetTagsResponse,
  parseTagsBody,
  setTagsHeader,
  validateTags,
} from "../src/ops/tags.js";
import { newRequest } from "../src/wire/request.js";

const url = new URL("https://a.blob.core.windows.net/c/b");
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const LEASE = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";

test("tags are checked as the service checks them", () => {
  const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, "v"]));
  validateTags(ten);
  validateTags({ "a-Z 0+.:/=_": "" });
  const bads: Tags[] = [
    { ...ten, k10: "v" },
    { "": "v" },
    { ["k".repeat(129)]: "v" },
    { k: "v".repeat(257) },
    { k: "a<b" },
    { "k&": "v" },
    { k: "é" },
  ];
  for (const bad of bads) {
    assert.throws(() => validateTags(bad), { kind: "InvalidInput" }, JSON.stringify(bad).slice(0, 40));
  }
});

test("x-ms-tags is the tags in key order, escaped as a query", () => {
  const r = newRequest("PutBlob", "PUT", url);
  setTagsHeader(r, { stage: "prod", "run id": "a+b/c=d:e" });
  assert.equal(r.headers.get("x-ms-tags"), "run%20id=a%2Bb%2Fc%3Dd%3Ae&stage=prod");
  const empty = newRequest("PutBlob", "PUT", url);
  setTagsHeader(empty, {});
  assert.equal(empty.headers.get("x-ms-tags"), undefined);
  assert.throws(() => setTagsHeader(empty, { k: "é" }), { kind: "InvalidInput" });
});

test("Set Blob Tags: the documented body, lease and tag conditions, ETags refused", () => {
  const r = buildSetTagsRequest(
    url,
    { tag2: "value2", tag1: "value1" },
    {},
    { leaseId: LEASE, ifTags: `"stage" = 'dev'` },
  );
  assert.equal(r.method, "PUT");
  assert.equal(r.url.search, "?comp=tags");
  assert.equal(
    Buffer.from(r.body).toString("utf8"),
    '<?xml version="1.0" encoding="utf-8"?><Tags><TagSet><Tag><Key>tag1</Key><Value>value1</Value></Tag><Tag><Key>tag2</Key><Value>value2</Value></Tag></TagSet></Tags>',
  );
  assert.equal(r.headers.get("x-ms-lease-id"), LEASE);
  assert.equal(r.headers.get("x-ms-if-tags"), `"stage" = 'dev'`);
  assert.equal(r.idempotent, false, "the new tags may no longer meet the tag condition");
  assert.throws(() => buildSetTagsRequest(url, {}, {}, { ifMatch: '"0x1"' }), /Set Blob Tags/);
  assert.equal(buildSetTagsRequest(url, {}).idempotent, true);
  assert.throws(() => buildSetTagsRequest(url, {}, {}, { ifTags: " " }), { kind: "InvalidInput" });
  assert.throws(() => checkSetTagsResponse(newResponse(201)), { kind: "InvalidResponse" });
  checkSetTagsResponse(newResponse(204));
});

test("Get Blob Tags of a version; the documented answer parses, spaces kept", () => {
  const r = buildGetTagsRequest(url, { versionId: "2026-01-01T00:00:00.0000000Z" });
  assert.equal(r.method, "GET");
  assert.equal(r.url.search, "?comp=tags&versionid=2026-01-01T00%3A00%3A00.0000000Z");
  assert.equal(r.idempotent, true);
  assert.throws(() => buildGetTagsRequest(url, {}, { ifModifiedSince: new Date(0) }), { kind: "InvalidInput" });
  const body = bytes(
    '\uFEFF<?xml version="1.0" encoding="utf-8"?>\n<Tags>\n  <TagSet>\n    <Tag>\n      <Key>tag-name-1</Key>\n      <Value>tag-value-1</Value>\n    </Tag>\n    <Tag>\n      <Key>tag-name-2</Key>\n      <Value>tag-value-2</Value>\n    </Tag>\n  </TagSet>\n</Tags>',
  );
  assert.deepEqual(parseTagsBody(body), { "tag-name-1": "tag-value-1", "tag-name-2": "tag-value-2" });
  assert.deepEqual(parseTagsBody(bytes("<Tags><TagSet/></Tags>")), {});
  assert.throws(() => parseTagsBody(bytes("<Tags><TagSet>")), { kind: "InvalidResponse" });
  assert.throws(() => parseTagsBody(bytes("nope")), { kind: "InvalidResponse" });
  const spaced = parseTagsBody(bytes("<Tags><TagSet><Tag><Key>k</Key><Value> v </Value></Tag></TagSet></Tags>"));
  assert.deepEqual(spaced, { k: " v " }, "spaces are part of the value");
  assert.throws(() => parseTagsBody(bytes("<Tags><TagSet><Tag><Value>v</Value></Tag></TagSet></Tags>")), {
    kind: "InvalidResponse",
  });
});

test("Find Blobs by Tags: container and account requests, the documented page", () => {
  const container = new URL("https://a.blob.core.windows.net/c");
  let r = buildFindBlobsRequest(container, true, `"stage" = 'prod'`, { maxResults: 2 }, "m1");
  assert.equal(r.url.search, "?restype=container&comp=blobs&where=%22stage%22+%3D+%27prod%27&marker=m1&maxresults=2");
  assert.equal(r.idempotent, true);
  r = buildFindBlobsRequest(new URL("https://a.blob.core.windows.net/"), false, "x");
  assert.equal(r.url.search, "?comp=blobs&where=x");
  assert.throws(() => buildFindBlobsRequest(container, true, "  "), { kind: "InvalidInput" });
  assert.throws(() => buildFindBlobsRequest(container, true, "x", { maxResults: 0 }), { kind: "InvalidInput" });
  const page = parseFindBlobsResponse(
    bytes(
      '<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://a.blob.core.windows.net/"><Where>"stage" = \'prod\'</Where><Blobs><Blob><Name>b1</Name><ContainerName>c1</ContainerName><Tags><TagSet><Tag><Key>stage</Key><Value>prod</Value></Tag></TagSet></Tags></Blob><Blob><Name>b2</Name><ContainerName>c2</ContainerName></Blob></Blobs><NextMarker>next</NextMarker></EnumerationResults>',
    ),
  );
  assert.deepEqual(page.blobs, [
    { container: "c1", name: "b1", tags: { stage: "prod" } },
    { container: "c2", name: "b2", tags: {} },
  ]);
  assert.equal(page.nextMarker, "next");
  const last = parseFindBlobsResponse(bytes("<EnumerationResults><Blobs/><NextMarker/></EnumerationResults>"));
  assert.deepEqual([last.blobs, last.nextMarker], [[], undefined]);
  assert.throws(
    () =>
      parseFindBlobsResponse(
        bytes("<EnumerationResults><Blobs><Blob><Name>b</Name></Blob></Blobs></EnumerationResults>"),
      ),
    {
      kind: "InvalidResponse",
    },
  );
});
