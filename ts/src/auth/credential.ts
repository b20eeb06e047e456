import type { SasToken } from "./sas/sas-token.js";
import type { SharedKeyCredential } from "./shared-key.js";
import type { TokenCredential } from "./token.js";

/** How requests are authorized: nothing, Shared Key, a SAS, or a bearer token. */
export type Credential =
  | { kind: "anonymous" }
  | { kind: "shared-key"; key: SharedKeyCredential }
  | { kind: "sas"; token: SasToken }
  | { kind: "token"; source: TokenCredential };

/** The credential that authorizes nothing. */
export const ANONYMOUS: Credential = { kind: "anonymous" };
