// TokenCache: a token reused until 5 minutes before it expires, one refresh
// at a time for every caller, and a still-valid token kept when a refresh fails.

import type { AccessToken } from "../token.js";

/** A token is refreshed this long before it expires. */
export const REFRESH_AHEAD_MS = 5 * 60 * 1000;

/** A cached token and the single request in flight that refreshes it. */
export class TokenCache {
  #cached: AccessToken | undefined;
  #inFlight: Promise<AccessToken> | undefined;

  /** The cached token, or `fetch`'s when it expires within 5 minutes; callers share one fetch. */
  async get(fetch: () => Promise<AccessToken>): Promise<AccessToken> {
    if (this.#cached && this.#cached.expiresOn.getTime() - Date.now() > REFRESH_AHEAD_MS) return this.#cached;
    this.#inFlight ??= fetch().finally(() => {
      this.#inFlight = undefined;
    });
    try {
      this.#cached = await this.#inFlight;
      return this.#cached;
    } catch (err) {
      // A refresh that fails keeps a token that is still valid.
      if (this.#cached && this.#cached.expiresOn.getTime() > Date.now()) return this.#cached;
      throw err;
    }
  }
}
