// Bearer tokens: the TokenCredential interface and a static implementation.

import { inspect } from "node:util";
import { Secret } from "../redact/secret.js";

/** The scope of a token for Azure Storage. */
export const STORAGE_SCOPE = "https://storage.azure.com/.default";

/** A bearer token and when it expires. */
export interface AccessToken {
  token: Secret;
  expiresOn: Date;
}

/**
 * A source of bearer tokens (Microsoft Entra ID). The sign policy asks it on
 * every attempt, so it should cache and refresh its tokens itself.
 */
export interface TokenCredential {
  getToken(scopes: readonly string[]): Promise<AccessToken>;
}

/** A credential that always gives the same token (tests, tokens obtained elsewhere). */
export class StaticTokenCredential implements TokenCredential {
  readonly #token: AccessToken;

  constructor(token: string, expiresOn: Date) {
    this.#token = { token: new Secret(token), expiresOn };
  }

  async getToken(_scopes: readonly string[]): Promise<AccessToken> {
    return this.#token;
  }

  toJSON(): object {
    return { token: "Secret(***)", expiresOn: this.#token.expiresOn };
  }

  [inspect.custom](): string {
    return `StaticTokenCredential { token: Secret(***), expiresOn: ${this.#token.expiresOn.toISOString()} }`;
  }
}
