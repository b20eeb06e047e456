// Get User Delegation Key: a key, signed for by a bearer token, that signs user delegation SAS.
// https://learn.microsoft.com/rest/api/storageservices/get-user-delegation-key

import { XMLParser } from "fast-xml-parser";
import { decodeBase64Strict } from "../auth/base64.js";
import type { UserDelegationKey } from "../auth/delegation-key.js";
import { iso8601 } from "../auth/time.js";
import { invalidInput, invalidResponse } from "../errors/kinds.js";
import { Secret } from "../redact/secret.js";
import { newRequest, type Request } from "../wire/request.js";

/** Builds Get User Delegation Key; asking twice only yields a second key, so it is idempotent. */
export function buildUserDelegationKeyRequest(endpoint: URL, start: Date, expiry: Date): Request {
  if (!(expiry.getTime() > start.getTime())) throw invalidInput("a user delegation key must expire after it starts");
  const base = endpoint.pathname.replace(/\/+$/, "");
  const url = new URL(`${endpoint.origin}${base}/?restype=service&comp=userdelegationkey`);
  const request = newRequest("GetUserDelegationKey", "POST", url);
  request.headers.set("content-type", "application/xml");
  request.body = new TextEncoder().encode(
    `<?xml version="1.0" encoding="utf-8"?><KeyInfo><Start>${iso8601(start)}</Start><Expiry>${iso8601(expiry)}</Expiry></KeyInfo>`,
  );
  request.idempotent = true;
  return request;
}

const parser = new XMLParser({ parseTagValue: false });

/** Parses the key; an error never quotes the body, which holds the key. */
export function parseUserDelegationKey(body: Uint8Array): UserDelegationKey {
  const documented = "the user delegation key response is not the documented XML";
  let doc: { UserDelegationKey?: Record<string, unknown> };
  try {
    doc = parser.parse(new TextDecoder("utf-8", { fatal: true }).decode(body).replace(/^\uFEFF/, ""));
  } catch {
    throw invalidResponse(documented);
  }
  const k = doc.UserDelegationKey;
  const field = (name: string): string => {
    const value = k?.[name];
    if (typeof value !== "string") throw invalidResponse(documented);
    return value.trim();
  };
  const value = field("Value");
  if (!decodeBase64Strict(value)?.length) throw invalidResponse("the user delegation key's value is not base64");
  return {
    signedOid: field("SignedOid"),
    signedTid: field("SignedTid"),
    signedStart: field("SignedStart"),
    signedExpiry: field("SignedExpiry"),
    signedService: field("SignedService"),
    signedVersion: field("SignedVersion"),
    value: new Secret(value),
  };
}
