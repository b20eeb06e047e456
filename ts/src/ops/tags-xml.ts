// The XML of tag sets (Get Blob Tags) and of Find Blobs by Tags, read with
// order and whitespace kept: a tag value may start or end with a space
// (" prod" and "prod" are different tags), so nothing is trimmed.

import { XMLParser } from "fast-xml-parser";
import { invalidResponse } from "../errors/kinds.js";
import type { Tags } from "./tags.js";

/** A node of fast-xml-parser's ordered output: `{ tag: children }` or `{ "#text": text }`. */
export type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
});

/** The top-level nodes of `body`, or `InvalidResponseError` naming `what`. */
export function parseOrdered(body: Uint8Array, what: string): XmlNode[] {
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(body).replace(/^\uFEFF/, "");
    const nodes = parser.parse(text, true) as XmlNode[];
    if (!Array.isArray(nodes)) throw new Error("no elements");
    return nodes;
  } catch (err) {
    throw invalidResponse(`the ${what} answer is not the documented XML: ${(err as Error).message}`);
  }
}

/** The element name of a node (undefined for text). */
export function tagOf(node: XmlNode): string | undefined {
  return Object.keys(node).find((k) => k !== ":@" && k !== "#text");
}

/** The child nodes of an element. */
export function children(node: XmlNode): XmlNode[] {
  const tag = tagOf(node);
  const value = tag === undefined ? undefined : node[tag];
  return Array.isArray(value) ? (value as XmlNode[]) : [];
}

/** The first child element named `name`. */
export function child(node: XmlNode, name: string): XmlNode | undefined {
  return children(node).find((c) => tagOf(c) === name);
}

/** The text directly inside an element, untrimmed; an empty element gives "". */
export function textOf(node: XmlNode): string {
  return children(node)
    .map((c) => (c["#text"] === undefined ? "" : String(c["#text"])))
    .join("");
}

/** The tags of a `<TagSet>` element; a repeated key keeps its last value, as a map does. */
export function tagSetOf(tagSet: XmlNode | undefined, what: string): Tags {
  const tags: Tags = {};
  for (const tag of tagSet ? children(tagSet) : []) {
    if (tagOf(tag) !== "Tag") continue;
    const key = child(tag, "Key");
    if (key === undefined) throw invalidResponse(`the ${what} answer has a <Tag> without a <Key>`);
    const value = child(tag, "Value");
    tags[textOf(key)] = value === undefined ? "" : textOf(value);
  }
  return tags;
}
