import { inspect } from "node:util";
import { invalidInput } from "../../errors/kinds.js";

const pairsOf = new WeakMap<SasToken, ReadonlyArray<readonly [string, string]>>();

/**
 * A SAS token: the query string that authorizes requests (`sv=...&sig=...`),
 * given or signed. It prints every field but the signature.
 */
export class SasToken {
  private constructor(pairs: Array<[string, string]>) {
    pairsOf.set(this, pairs);
  }

  /** Parses a SAS token, with or without its leading `?`; throws `InvalidInputError` without `sig` or `sv`. */
  static parse(token: string): SasToken {
    const text = token.trim().replace(/^\?+/, "");
    const pairs = [...new URLSearchParams(text)];
    const has = (name: string): boolean => pairs.some(([k, v]) => k === name && v !== "");
    if (!has("sig")) throw invalidInput("the SAS token has no signature (sig)");
    if (!has("sv")) throw invalidInput("the SAS token has no signed version (sv)");
    return new SasToken(pairs);
  }

  /** A token from fields a signer produced, signature included. */
  static fromPairs(pairs: Array<[string, string]>): SasToken {
    return new SasToken(pairs);
  }

  /** The token's fields in order, including the signature; keep it out of logs. */
  pairs(): ReadonlyArray<readonly [string, string]> {
    return pairsOf.get(this) ?? [];
  }

  /** The value of one field, e.g. `se` or `sp`. */
  get(name: string): string | undefined {
    return this.pairs().find(([k]) => k === name)?.[1];
  }

  /** The token as a query string without `?`; it contains the signature. */
  toQuery(): string {
    return new URLSearchParams(this.pairs().map(([k, v]): [string, string] => [k, v])).toString();
  }

  /** Appends the token's fields to `url`'s query. */
  apply(url: URL): void {
    for (const [k, v] of this.pairs()) url.searchParams.append(k, v);
  }

  /** The fields, the signature redacted. */
  private shown(): Record<string, string> {
    return Object.fromEntries(this.pairs().map(([k, v]) => [k, k === "sig" ? "REDACTED" : v]));
  }

  toString(): string {
    return `SasToken ${JSON.stringify(this.shown())}`;
  }

  toJSON(): object {
    return this.shown();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Which protocols a SAS allows (`spr`): HTTPS only, or HTTPS and HTTP (emulators). */
export type SasProtocol = "https" | "https,http";
