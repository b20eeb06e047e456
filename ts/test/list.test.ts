// The List Blobs builder and parser on the XML fixtures the Rust parser's tests read (testdata/xml/).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { BlobItem, ListItem } from "../src/index.js";
import { buildListBlobsRequest, parseListBlobsResponse } from "../src/ops/list-blobs.js";
import { testdata } from "./support/paths.js";

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(testdata("xml", name)));
const url = new URL("http://127.0.0.1:10000/devstoreaccount1/c1");

function blob(item: ListItem | undefined): BlobItem {
  assert.ok(item && item.kind === "blob", JSON.stringify(item));
  return item;
}

test("builds the query with every option", () => {
  const r = buildListBlobsRequest(
    url,
    {
      prefix: "logs/2026/",
      delimiter: "/",
      maxResults: 100,
      include: { metadata: true, snapshots: true, versions: true },
    },
    "2!100!MDAw",
  );
  assert.equal(r.method, "GET");
  const q = r.url.searchParams;
  assert.deepEqual(
    ["restype", "comp", "prefix", "delimiter", "marker", "maxresults", "include"].map((k) => q.get(k)),
    ["container", "list", "logs/2026/", "/", "2!100!MDAw", "100", "metadata,snapshots,versions"],
  );
  assert.equal(r.idempotent, true);
  assert.equal(buildListBlobsRequest(url).url.search, "?restype=container&comp=list");
});

test("refuses bad options before sending", () => {
  for (const maxResults of [0, 5001, 1.5]) {
    assert.throws(() => buildListBlobsRequest(url, { maxResults }), { kind: "InvalidInput" });
  }
  assert.throws(() => buildListBlobsRequest(url, { delimiter: "" }), { kind: "InvalidInput" });
});

test("parses the service's versions answer", () => {
  const page = parseListBlobsResponse(fixture("list-blobs-versions.xml"));
  assert.equal(page.nextMarker, undefined, "<NextMarker /> means the last page");
  const blobs = page.items.map(blob);
  assert.equal(blobs.length, 3);
  assert.ok(blobs.every((b) => b.name === "blob159218742269309927"));
  assert.equal(blobs[0]?.versionId, "2020-06-15T02:17:02.7893828Z");
  assert.equal(blobs[0]?.isCurrentVersion, undefined);
  const last = blobs[2];
  assert.ok(last);
  assert.equal(last.isCurrentVersion, true);
  assert.equal(last.contentLength, 11);
  assert.equal(blobs[1]?.contentLength, 0);
  assert.equal(last.etag, '"0x8D810D231BF43D7"');
  assert.equal(last.content.contentType, "application/octet-stream");
  assert.equal(last.content.contentEncoding, undefined, "empty elements are absent");
  assert.equal(last.content.contentMd5?.length, 16);
  assert.deepEqual([last.blobType, last.accessTier, last.accessTierInferred], ["BlockBlob", "Hot", true]);
  assert.ok(last.lastModified && last.createdOn);
  assert.deepEqual(last.metadata, {});
});

test("parses the documented body with prefixes, copies and tags", () => {
  const page = parseListBlobsResponse(fixture("list-blobs-documented.xml"));
  assert.equal(
    page.nextMarker,
    "2!92!MDAwMDE4IWRpci9ibG9iLTIudHh0ITAwMDAyOCE5OTk5LTEyLTMxVDIzOjU5OjU5Ljk5OTk5OTlaIQ--",
  );
  assert.deepEqual(
    page.items.map((i) => i.name),
    ["dir/blob-1.txt", "dir/blob-1.txt", "dir/odd\u0001name", "dir/sub/"],
  );
  const first = blob(page.items[0]);
  assert.equal(first.snapshot, "2026-11-20T10:00:00.0000000Z");
  assert.equal(first.metadata.project, "alpha");
  assert.equal(first.tags.team, "storage");
  assert.equal(first.accessTier, "Cool");
  assert.equal(first.copy?.status, "pending");
  assert.deepEqual(first.copy?.progress, [1024, 4096]);
  const second = blob(page.items[1]);
  assert.equal(second.deleted, true);
  assert.equal(second.versionId, "2026-11-21T10:00:00.0000000Z");
  assert.equal(second.isCurrentVersion, true);
  assert.deepEqual(page.items[3], { kind: "prefix", name: "dir/sub/" });
});

test("a listed copy source loses its SAS signature", () => {
  const body =
    "<EnumerationResults><Blobs><Blob><Name>b</Name><Properties><CopyId>id</CopyId>" +
    "<CopyStatus>success</CopyStatus><CopySource>https://a.blob.core.windows.net/c/s?sv=2023-11-03&amp;" +
    "sig=c2VjcmV0LXNpZw%3D%3D</CopySource></Properties></Blob></Blobs></EnumerationResults>";
  const item = blob(parseListBlobsResponse(new TextEncoder().encode(body)).items[0]);
  assert.equal(item.copy?.source, "https://a.blob.core.windows.net/c/s?sv=2023-11-03&sig=REDACTED");
});

test("parses an Azurite page, virtual directories first", () => {
  const page = parseListBlobsResponse(fixture("list-blobs-azurite-page.xml"));
  assert.equal(page.nextMarker, "dir/sub/c.txt");
  assert.deepEqual(page.items[0], { kind: "prefix", name: "dir/sub/" });
  const base = blob(page.items[1]);
  assert.deepEqual([base.name, base.snapshot], ["dir/a.txt", undefined]);
  assert.equal(base.metadata.owner, "ana");
  assert.equal(base.contentLength, 5);
  assert.equal(blob(page.items[2]).snapshot, "2026-11-23T23:01:38.9320000Z");
});

test("garbage is an invalid response", () => {
  for (const body of [
    "",
    "not xml",
    "<EnumerationResults><Blobs><Blob><Name>a</Name><Properties><Content-Length>x</Content-Length></Properties></Blob></Blobs></EnumerationResults>",
  ]) {
    assert.throws(() => parseListBlobsResponse(new TextEncoder().encode(body)), { kind: "InvalidResponse" }, body);
  }
  const empty = parseListBlobsResponse(
    new TextEncoder().encode("<EnumerationResults><Blobs /><NextMarker /></EnumerationResults>"),
  );
  assert.deepEqual(empty, { items: [], nextMarker: undefined });
});
