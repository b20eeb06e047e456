// The three documented strings-to-sign (version 2020-12-06 and later) and the
// query fields of the signed token, from one set of checked fields.
// Service SAS: https://learn.microsoft.com/rest/api/storageservices/create-service-sas#version-2020-12-06-and-later
// Account SAS: https://learn.microsoft.com/rest/api/storageservices/create-account-sas#version-2020-12-06-and-later
// User delegation SAS: https://learn.microsoft.com/rest/api/storageservices/create-user-delegation-sas#version-2020-12-06-and-later

import type { UserDelegationKey } from "../delegation-key.js";
import type { Checked } from "./check.js";

/** A service SAS: 16 fields joined by newlines; the snapshot field holds a `bs`/`bv` point. */
export function serviceString(c: Checked): string {
  const fields = [
    c.permissions,
    c.start,
    c.expiry,
    c.canonical,
    c.identifier,
    c.ip,
    c.protocol,
    c.version,
    c.resource,
    c.snapshot,
    "", // signedEncryptionScope
  ];
  return [...fields, ...c.headers].join("\n");
}

/** A user delegation SAS: 24 fields joined by newlines, the key's six among them. */
export function userDelegationString(c: Checked, key: UserDelegationKey): string {
  const fields = [
    c.permissions,
    c.start,
    c.expiry,
    c.canonical,
    key.signedOid,
    key.signedTid,
    key.signedStart,
    key.signedExpiry,
    key.signedService,
    key.signedVersion,
    "", // signedAuthorizedUserObjectId (saoid)
    "", // signedUnauthorizedUserObjectId (suoid)
    "", // signedCorrelationId (scid)
    c.ip,
    c.protocol,
    c.version,
    c.resource,
    c.snapshot,
    "", // signedEncryptionScope
  ];
  return [...fields, ...c.headers].join("\n");
}

/** An account SAS for the blob service: every field ends with a newline. */
export function accountString(c: Checked): string {
  const fields = [c.account, c.permissions, "b", c.resourceTypes, c.start, c.expiry, c.ip, c.protocol, c.version, ""];
  return fields.map((f) => `${f}\n`).join("");
}

/** The token's query fields, the signature last; empty fields are left out. */
export function queryPairs(c: Checked, key: UserDelegationKey | undefined, sig: string): Array<[string, string]> {
  const fields: Array<[string, string]> = [["sv", c.version]];
  if (c.resourceTypes !== "") fields.push(["ss", "b"], ["srt", c.resourceTypes]);
  fields.push(["st", c.start], ["se", c.expiry], ["sr", c.resource], ["sp", c.permissions], ["si", c.identifier]);
  if (key) {
    fields.push(
      ["skoid", key.signedOid],
      ["sktid", key.signedTid],
      ["skt", key.signedStart],
      ["ske", key.signedExpiry],
      ["sks", key.signedService],
      ["skv", key.signedVersion],
    );
  }
  fields.push(["spr", c.protocol], ["sip", c.ip]);
  const names = ["rscc", "rscd", "rsce", "rscl", "rsct"];
  c.headers.forEach((value, i) => {
    fields.push([names[i] ?? "", value]);
  });
  const pairs = fields.filter(([, v]) => v !== "");
  pairs.push(["sig", sig]);
  return pairs;
}
