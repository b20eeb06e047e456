import type { Secret } from "../redact/secret.js";

/** A key from Get User Delegation Key, for signing user delegation SAS. */
export interface UserDelegationKey {
  signedOid: string;
  signedTid: string;
  signedStart: string;
  signedExpiry: string;
  signedService: string;
  signedVersion: string;
  /** The base64 key itself. */
  value: Secret;
}
