// A small XML scanner for the service's answers (List Blobs first): elements,
// their attributes and their text, nothing else. It exists because a page of
// 5,000 blobs is about 100,000 elements, and a general parser (fast-xml-parser)
// spends most of a listing's time building and walking its generic output.
// What the service sends is plain: no DTD, no namespaces that matter, no
// mixed content. Comments, processing instructions and CDATA are still read
// correctly; a DOCTYPE, an unknown entity or a tag that does not close is an
// error, never a guess.

/** An element: its name, attributes, child elements in order, and its own text (its text children joined). */
export interface XmlElement {
  name: string;
  attributes: Record<string, string> | undefined;
  /** The child elements; a leaf's is a shared, frozen empty list. */
  children: readonly XmlElement[];
  text: string;
}

/** The child list of every element without children, shared (never pushed to). */
const NO_CHILDREN: XmlElement[] = Object.freeze([]) as unknown as XmlElement[];

/** Why a text is not XML this scanner reads (the caller wraps it in its own error). */
export class XmlScanError extends Error {}

const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;

/** The predefined entities; a character reference is read by number. */
const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** `raw` with its entity and character references replaced. */
function decode(raw: string): string {
  if (raw.indexOf("&") < 0) return raw;
  let out = "";
  let from = 0;
  for (let at = raw.indexOf("&"); at >= 0; at = raw.indexOf("&", from)) {
    const end = raw.indexOf(";", at);
    if (end < 0) throw new XmlScanError(`an entity reference that does not end: ${raw.slice(at, at + 12)}`);
    const name = raw.slice(at + 1, end);
    let value: string | undefined;
    if (name.startsWith("#")) {
      const hex = name[1] === "x" || name[1] === "X";
      const digits = name.slice(hex ? 2 : 1);
      const code =
        digits !== "" && (hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits) ? parseInt(digits, hex ? 16 : 10) : NaN;
      if (!(code <= 0x10ffff)) throw new XmlScanError(`a bad character reference &${name};`);
      value = String.fromCodePoint(code);
    } else {
      value = ENTITIES[name];
      if (value === undefined) throw new XmlScanError(`an unknown entity &${name};`);
    }
    out += raw.slice(from, at) + value;
    from = end + 1;
  }
  return out + raw.slice(from);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** The attributes of a start tag's inside after its name (`a="1" b='2'`), or undefined if none. */
function attributesOf(inside: string): Record<string, string> | undefined {
  let attributes: Record<string, string> | undefined;
  let at = 0;
  const n = inside.length;
  for (;;) {
    while (at < n && isSpace(inside.charCodeAt(at))) at++;
    if (at >= n) return attributes;
    const eq = inside.indexOf("=", at);
    if (eq < 0) throw new XmlScanError(`an attribute without a value in <${inside}>`);
    const name = inside.slice(at, eq).trim();
    let q = eq + 1;
    while (q < n && isSpace(inside.charCodeAt(q))) q++;
    const quote = inside[q];
    if (quote !== '"' && quote !== "'") throw new XmlScanError(`an unquoted attribute ${name}`);
    const close = inside.indexOf(quote, q + 1);
    if (close < 0) throw new XmlScanError(`an attribute ${name} that does not end`);
    attributes ??= {};
    attributes[name] = decode(inside.slice(q + 1, close));
    at = close + 1;
  }
}

/**
 * Scans `text` into its root element. Text outside the root is ignored if
 * it is white space; any other is an error, as are a missing root, an
 * unclosed or mismatched tag, a DOCTYPE and an unknown entity.
 */
export function scanXml(text: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let at = 0;
  const n = text.length;
  while (at < n) {
    const lt = text.indexOf("<", at);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > at) {
      const top = stack[stack.length - 1];
      if (top) top.text += decode(text.slice(at, textEnd));
      else if (text.slice(at, textEnd).trim() !== "") throw new XmlScanError("text outside the root element");
    }
    if (lt < 0) break;
    const next = text.charCodeAt(lt + 1);
    if (next === BANG) {
      if (text.startsWith("<!--", lt)) {
        const end = text.indexOf("-->", lt + 4);
        if (end < 0) throw new XmlScanError("a comment that does not end");
        at = end + 3;
      } else if (text.startsWith("<![CDATA[", lt)) {
        const end = text.indexOf("]]>", lt + 9);
        if (end < 0) throw new XmlScanError("a CDATA section that does not end");
        const top = stack[stack.length - 1];
        if (!top) throw new XmlScanError("CDATA outside the root element");
        top.text += text.slice(lt + 9, end);
        at = end + 3;
      } else {
        throw new XmlScanError("a DOCTYPE or other declaration, which this scanner does not read");
      }
      continue;
    }
    if (next === QUESTION) {
      const end = text.indexOf("?>", lt + 2);
      if (end < 0) throw new XmlScanError("a processing instruction that does not end");
      at = end + 2;
      continue;
    }
    const gt = text.indexOf(">", lt + 1);
    if (gt < 0) throw new XmlScanError("a tag that does not end");
    if (next === SLASH) {
      // Compared in place (no slice per end tag): the open name, then only spaces up to ">".
      const open = stack.pop();
      let end = open ? lt + 2 + open.name.length : gt;
      if (open && text.startsWith(open.name, lt + 2)) while (end < gt && isSpace(text.charCodeAt(end))) end++;
      if (!open || end !== gt || !text.startsWith(open.name, lt + 2)) {
        const name = text.slice(lt + 2, gt).trimEnd();
        throw new XmlScanError(`</${name}> closes ${open ? `<${open.name}>` : "nothing"}`);
      }
      at = gt + 1;
      continue;
    }
    // A start tag, or an empty element when it ends with "/>".
    const selfClosing = text.charCodeAt(gt - 1) === SLASH;
    const insideEnd = selfClosing ? gt - 1 : gt;
    let nameEnd = lt + 1;
    while (nameEnd < insideEnd && !isSpace(text.charCodeAt(nameEnd))) nameEnd++;
    const name = text.slice(lt + 1, nameEnd);
    if (name === "" || name.indexOf("<") >= 0) throw new XmlScanError("a tag without a name");
    const element: XmlElement = {
      name,
      attributes: nameEnd < insideEnd ? attributesOf(text.slice(nameEnd, insideEnd)) : undefined,
      children: NO_CHILDREN,
      text: "",
    };
    const parent = stack[stack.length - 1];
    // Most elements are leaves: their list is the shared empty one until a first child comes.
    if (parent) {
      if (parent.children === NO_CHILDREN) parent.children = [element];
      else (parent.children as XmlElement[]).push(element);
    } else if (root) throw new XmlScanError("a second root element");
    else root = element;
    if (!selfClosing) stack.push(element);
    at = gt + 1;
  }
  if (stack.length > 0) throw new XmlScanError(`<${stack[stack.length - 1]?.name}> is not closed`);
  if (!root) throw new XmlScanError("no root element");
  return root;
}

/** The first child of `element` named `name`. */
export function childOf(element: XmlElement | undefined, name: string): XmlElement | undefined {
  if (!element) return undefined;
  for (const c of element.children) if (c.name === name) return c;
  return undefined;
}
