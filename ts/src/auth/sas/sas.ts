// `Sas`: what a shared access signature grants, for every kind of SAS, and the
// two ways to sign it (an account key or a user delegation key).

import { invalidInput } from "../../errors/kinds.js";
import { DEFAULT_API_VERSION } from "../../headers.js";
import type { UserDelegationKey } from "../delegation-key.js";
import { SharedKeyCredential } from "../shared-key.js";
import { check } from "./check.js";
import { type SasProtocol, SasToken } from "./sas-token.js";
import { accountString, queryPairs, serviceString, userDelegationString } from "./string-to-sign.js";

/** What the SAS grants access to. */
export type SasScope =
  | { kind: "container"; container: string }
  | { kind: "blob"; container: string; blob: string }
  | { kind: "account"; resourceTypes: string };

/** The settings every kind of SAS shares; all optional but the scope's. */
export interface SasSettings {
  /** The first instant the SAS is valid (`st`). */
  start?: Date;
  /** An IP address or an inclusive range allowed (`sip`). */
  ip?: string;
  /** The protocols allowed (`spr`). */
  protocol?: SasProtocol;
  /** The signed version (`sv`), 2020-12-06 or later; defaults to the library's API version. */
  version?: string;
  /** A stored access policy (`si`), for a service SAS. */
  identifier?: string;
  /** Narrows a blob SAS to one snapshot (`sr=bs`). */
  snapshot?: string;
  /** Narrows a blob SAS to one version (`sr=bv`). */
  blobVersion?: string;
  /** Response header overrides (`rscc`, `rscd`, `rsce`, `rscl`, `rsct`). */
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  contentType?: string;
}

/**
 * A shared access signature to sign: a service SAS ({@link Sas.container},
 * {@link Sas.blob}) or an account SAS ({@link Sas.account}), signed with the
 * account key by {@link Sas.sign}, or a user delegation SAS signed by
 * {@link Sas.signUserDelegation}. Nothing is checked until it is signed, which
 * throws `InvalidInputError` for bad input, as in Rust.
 */
export class Sas {
  readonly scope: SasScope;
  readonly permissions: string;
  readonly expiry: Date;
  readonly settings: Readonly<SasSettings>;

  constructor(scope: SasScope, permissions: string, expiry: Date, settings: SasSettings = {}) {
    this.scope = scope;
    this.permissions = permissions;
    this.expiry = expiry;
    this.settings = { version: DEFAULT_API_VERSION, ...settings };
  }

  /** A SAS for a whole container, e.g. `permissions = "rl"` (letters of `racwdxyltmeopi`). */
  static container(container: string, permissions: string, expiry: Date, settings: SasSettings = {}): Sas {
    return new Sas({ kind: "container", container }, permissions, expiry, settings);
  }

  /** A SAS for one blob, e.g. `permissions = "r"`. */
  static blob(container: string, blob: string, permissions: string, expiry: Date, settings: SasSettings = {}): Sas {
    return new Sas({ kind: "blob", container, blob }, permissions, expiry, settings);
  }

  /** An account SAS for the blob service (`ss=b`): `resourceTypes` letters of `sco`, permissions of `rwdxylacuptfi`. */
  static account(resourceTypes: string, permissions: string, expiry: Date, settings: SasSettings = {}): Sas {
    return new Sas({ kind: "account", resourceTypes }, permissions, expiry, settings);
  }

  /** Signs a service or account SAS with the account key. */
  sign(key: SharedKeyCredential): SasToken {
    const kind = this.scope.kind === "account" ? "account" : "service";
    const checked = check(this, kind, key.account);
    const text = kind === "account" ? accountString(checked) : serviceString(checked);
    return SasToken.fromPairs(queryPairs(checked, undefined, key.sign(text)));
  }

  /** Signs a user delegation SAS for `account` with `key` (from Get User Delegation Key). */
  signUserDelegation(account: string, key: UserDelegationKey): SasToken {
    if (this.scope.kind === "account") {
      throw invalidInput("an account SAS is signed with the account key, not a user delegation key");
    }
    const checked = check(this, "user-delegation", account);
    let signer: SharedKeyCredential;
    try {
      signer = new SharedKeyCredential(account, key.value.expose().trim());
    } catch {
      throw invalidInput("the user delegation key's value is not base64");
    }
    return SasToken.fromPairs(queryPairs(checked, key, signer.sign(userDelegationString(checked, key))));
  }
}
