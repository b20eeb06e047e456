// Validation of a Sas before signing, into the text of every field. Every kind
// goes through the same checks, so that none signs what another would refuse.

import { isIP } from "node:net";
import { invalidInput } from "../../errors/kinds.js";
import { iso8601 } from "../time.js";
import type { Sas } from "./sas.js";

const SERVICE_PERMISSIONS = "racwdxyltmeopi";
const ACCOUNT_PERMISSIONS = "rwdxylacuptfi";
/** The oldest signed version whose string-to-sign is built here. */
const FIRST_VERSION = "2020-12-06";
/** The first version whose user delegation string-to-sign has more fields, not built here. */
const NEXT_USER_DELEGATION_VERSION = "2025-07-05";

/** Which string-to-sign and which query fields a SAS gets. */
export type SasKind = "service" | "account" | "user-delegation";

/** A checked SAS: the text of each field as it is signed and sent; an unused field is empty. */
export interface Checked {
  account: string;
  permissions: string;
  start: string;
  expiry: string;
  ip: string;
  protocol: string;
  version: string;
  /** `sr`: `c`, `b`, `bs` or `bv`; empty for an account SAS. */
  resource: string;
  resourceTypes: string;
  /** `/blob/account/container[/blob]`, URL-decoded. */
  canonical: string;
  snapshot: string;
  identifier: string;
  /** `rscc`, `rscd`, `rsce`, `rscl`, `rsct`. */
  headers: [string, string, string, string, string];
}

/** Checks `sas` for a `kind` and `account`; throws `InvalidInputError` for what cannot be signed. */
export function check(sas: Sas, kind: SasKind, account: string): Checked {
  const s = sas.settings;
  if (!/^[A-Za-z0-9_-]+$/.test(account)) throw invalidInput(`invalid storage account name ${JSON.stringify(account)}`);
  const version = checkVersion(s.version ?? "", kind);
  if (s.start && sas.expiry.getTime() <= s.start.getTime()) throw invalidInput("a SAS must expire after it starts");
  const checked: Checked = {
    account,
    permissions: "",
    start: s.start ? iso8601(s.start) : "",
    expiry: iso8601(sas.expiry),
    ip: s.ip === undefined ? "" : checkIp(s.ip),
    protocol: s.protocol ?? "",
    version,
    resource: "",
    resourceTypes: "",
    canonical: "",
    snapshot: "",
    identifier: "",
    headers: ["", "", "", "", ""],
  };
  const point = s.snapshot !== undefined || s.blobVersion !== undefined;
  const anyHeader = [s.cacheControl, s.contentDisposition, s.contentEncoding, s.contentLanguage, s.contentType].some(
    (v) => v !== undefined,
  );
  const scope = sas.scope;
  if (scope.kind === "account") {
    try {
      checked.resourceTypes = normalize(scope.resourceTypes, "sco");
    } catch {
      throw invalidInput('account SAS resource types must be a non-empty subset of "sco"');
    }
    checked.permissions = normalize(sas.permissions, ACCOUNT_PERMISSIONS);
    if (point) {
      throw invalidInput(
        "an account SAS cannot be narrowed to a snapshot or version; it reaches them through its permissions",
      );
    }
    if (anyHeader) throw invalidInput("an account SAS cannot set response headers");
  } else if (scope.kind === "container") {
    checked.permissions = normalize(sas.permissions, SERVICE_PERMISSIONS);
    checked.canonical = `/blob/${account}/${nonEmpty(scope.container, "container")}`;
    checked.resource = "c";
    if (point) throw invalidInput("a snapshot or version SAS needs a blob, not a container");
  } else {
    checked.permissions = normalize(sas.permissions, SERVICE_PERMISSIONS);
    checked.canonical = `/blob/${account}/${nonEmpty(scope.container, "container")}/${nonEmpty(scope.blob, "blob")}`;
    if (s.snapshot !== undefined && s.blobVersion !== undefined) {
      throw invalidInput("a SAS can be narrowed to a snapshot or a version, not both");
    }
    if (s.snapshot !== undefined) {
      checked.resource = "bs";
      checked.snapshot = nonEmpty(s.snapshot, "snapshot");
    } else if (s.blobVersion !== undefined) {
      checked.resource = "bv";
      checked.snapshot = nonEmpty(s.blobVersion, "version id");
    } else {
      checked.resource = "b";
    }
  }
  if (s.identifier !== undefined) {
    if (kind !== "service") throw invalidInput("only a service SAS can name a stored access policy (identifier)");
    checked.identifier = nonEmpty(s.identifier, "stored access policy identifier");
  }
  checked.headers = [
    s.cacheControl ?? "",
    s.contentDisposition ?? "",
    s.contentEncoding ?? "",
    s.contentLanguage ?? "",
    s.contentType ?? "",
  ];
  return checked;
}

function checkVersion(version: string, kind: SasKind): string {
  const shape = /^\d{4}-\d{2}-\d{2}$/.test(version);
  // Dates of one shape compare as text.
  const tooNew = kind === "user-delegation" && version >= NEXT_USER_DELEGATION_VERSION;
  if (!shape || version < FIRST_VERSION || tooNew) {
    const upper = kind === "user-delegation" ? ` and before ${NEXT_USER_DELEGATION_VERSION}` : "";
    throw invalidInput(
      `SAS signed version ${JSON.stringify(version)} is not supported (a date from ${FIRST_VERSION}${upper})`,
    );
  }
  return version;
}

/** An IP address as a number, for ordering a range's ends; `undefined` if it is not one. */
function ipValue(text: string): { family: number; value: bigint } | undefined {
  const family = isIP(text);
  if (family === 4) {
    return { family, value: text.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n) };
  }
  if (family === 6) {
    const [head = "", tail = ""] = text.split("::");
    const groups = (s: string): string[] => (s === "" ? [] : s.split(":"));
    const h = groups(head);
    const t = text.includes("::") ? groups(tail) : [];
    const all = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
    return { family, value: all.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n) };
  }
  return undefined;
}

/** An IP address or an inclusive range `low-high` of one family. */
function checkIp(text: string): string {
  const dash = text.indexOf("-");
  let valid: boolean;
  if (dash < 0) {
    valid = isIP(text) !== 0;
  } else {
    const low = ipValue(text.slice(0, dash));
    const high = ipValue(text.slice(dash + 1));
    valid = low !== undefined && high !== undefined && low.family === high.family && low.value <= high.value;
  }
  if (!valid) throw invalidInput(`SAS IP range ${JSON.stringify(text)} is not an address or a range low-high`);
  return text;
}

function nonEmpty(value: string, what: string): string {
  if (value === "") throw invalidInput(`a SAS needs a non-empty ${what}`);
  return value;
}

/** Validates `given` against `allowed` and returns it in the documented order. */
function normalize(given: string, allowed: string): string {
  if (given === "") throw invalidInput("a SAS needs at least one permission");
  const bad = [...given].find((c) => !allowed.includes(c));
  if (bad !== undefined) throw invalidInput(`unknown SAS permission '${bad}' (allowed: ${allowed})`);
  return [...allowed].filter((c) => given.includes(c)).join("");
}
