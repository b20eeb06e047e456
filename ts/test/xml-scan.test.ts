// The small XML scanner List Blobs reads with: what the service sends
// (entities, character references, empty elements, edge spaces, comments,
// CDATA) read exactly, and anything it does not read refused.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseListBlobsResponse } from "../src/ops/list-blobs.js";
import { childOf, scanXml, XmlScanError } from "../src/ops/xml-scan.js";

test("elements, attributes and text, entities and character references decoded", () => {
  const root = scanXml(
    '<?xml version="1.0" encoding="utf-8"?>\n<!-- a comment --><R a="1 &amp; 2" b=\'x\'><N>a &lt;b&gt; &quot;c&quot; &apos;d&apos; &#65;&#x42;&#x1F600;</N><E /><E></E><C><![CDATA[<raw> & kept]]></C></R>',
  );
  assert.equal(root.name, "R");
  assert.deepEqual(root.attributes, { a: "1 & 2", b: "x" });
  assert.equal(childOf(root, "N")?.text, "a <b> \"c\" 'd' AB\u{1F600}");
  assert.deepEqual(
    root.children.map((c) => [c.name, c.text]),
    [
      ["N", "a <b> \"c\" 'd' AB\u{1F600}"],
      ["E", ""],
      ["E", ""],
      ["C", "<raw> & kept"],
    ],
  );
  assert.equal(childOf(root, "Missing"), undefined);
});

test("white space is kept as sent", () => {
  assert.equal(childOf(scanXml("<R><N>  two edge spaces  </N></R>"), "N")?.text, "  two edge spaces  ");
});

test("what is not well-formed, or not read, is refused", () => {
  for (const text of [
    "",
    "text",
    "<R>",
    "<R></S>",
    "<R><N></R></N>",
    "<R>&bogus;</R>",
    "<R>&amp</R>",
    "<R>&#xZZ;</R>",
    "<R>&#1114112;</R>",
    '<!DOCTYPE R [<!ENTITY x "y">]><R>&x;</R>',
    "<R/><S/>",
    "<R a=1/>",
    "<R a='1/>",
    "<R><!-- open</R>",
    "<R><![CDATA[open</R>",
    "<R",
  ]) {
    assert.throws(() => scanXml(text), XmlScanError, JSON.stringify(text));
  }
});

test("a listing's names keep their edge spaces and entities; metadata and tags are read", () => {
  const body =
    '<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Blobs>' +
    "<Blob><Name> a &amp; b </Name><Properties><Content-Length>3</Content-Length><Content-Type>  </Content-Type></Properties>" +
    "<Metadata><k1>v &lt;1&gt;</k1><k2 /></Metadata>" +
    "<Tags><TagSet><Tag><Key>t</Key><Value> x </Value></Tag></TagSet></Tags></Blob>" +
    "<BlobPrefix><Name>p/</Name></BlobPrefix></Blobs><NextMarker>m</NextMarker></EnumerationResults>";
  const page = parseListBlobsResponse(new TextEncoder().encode(body));
  const item = page.items[0];
  assert.ok(item?.kind === "blob");
  assert.equal(item.name, " a & b ");
  assert.equal(item.contentLength, 3);
  assert.equal(item.content.contentType, undefined, "white space only is absent");
  assert.deepEqual(item.metadata, { k1: "v <1>", k2: "" });
  assert.deepEqual(item.tags, { t: " x " });
  assert.deepEqual(page.items[1], { kind: "prefix", name: "p/" });
  assert.equal(page.nextMarker, "m");
});

test("a listing that is not EnumerationResults, or breaks off, is an invalid response", () => {
  for (const body of ["<Other />", "<EnumerationResults><Blobs><Blob><Name>a</Name>"]) {
    assert.throws(() => parseListBlobsResponse(new TextEncoder().encode(body)), { kind: "InvalidResponse" }, body);
  }
});
