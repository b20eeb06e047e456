// Microsoft Entra ID, the OAuth 2.0 client credentials grant: a client secret,
// or a federated token file (workload identity), exchanged for a token that is
// cached, refreshed 5 minutes ahead, one request at a time.
// https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow

import { readFile } from "node:fs/promises";
import { inspect } from "node:util";
import type { AzblobError } from "../../errors/azblob-error.js";
import type { ErrorKind } from "../../errors/error-kind.js";
import { errorOfKind, invalidInput, invalidResponse } from "../../errors/kinds.js";
import { isLoopback } from "../../net.js";
import { Secret } from "../../redact/secret.js";
import { classify } from "../../wire/error-map.js";
import { nodeWire } from "../../wire/node-wire.js";
import { compose, type Next } from "../../wire/policy.js";
import { newRequest } from "../../wire/request.js";
import { type Clock, DEFAULT_RETRY, MATH_RNG, type RetryOptions, retryPolicy, SYSTEM_CLOCK } from "../../wire/retry.js";
import type { AccessToken, TokenCredential } from "../token.js";
import { TokenCache } from "./cache.js";

/** The public cloud's authority host. */
export const DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com";
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** How a `ClientCredential` proves itself, and where it asks. */
export interface ClientCredentialOptions {
  tenantId: string;
  clientId: string;
  /** A client secret; or */
  clientSecret?: string;
  /** a file holding a federated token (workload identity), read on every request for a token. */
  federatedTokenFile?: string;
  /** The authority host (default the public cloud's); `http://` only on loopback (test servers). */
  authorityHost?: string;
  /** The wire token requests take (default node:http). */
  wire?: Next;
  /** Retry settings of token requests; unset fields keep their defaults. */
  retry?: Partial<RetryOptions>;
  /** The clock token retries sleep on. */
  clock?: Clock;
}

/** The token endpoint of `tenant` at `authority`, checked: a tenant is a GUID or a domain name. */
export function tokenEndpoint(authority: string, tenant: string): URL {
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(tenant)) {
    throw invalidInput(`invalid tenant id ${JSON.stringify(tenant)}: expected a GUID or a domain name`);
  }
  let url: URL;
  try {
    url = new URL(authority);
  } catch {
    throw invalidInput("the authority host is not a URL");
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url))) {
    throw invalidInput("the authority host must be https:// (or http:// on loopback)");
  }
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw invalidInput("the authority host must not have a query, fragment or user");
  }
  return new URL(`${url.origin}${url.pathname.replace(/\/+$/, "")}/${tenant}/oauth2/v2.0/token`);
}

/** Parses a token answer; the body is never echoed (it holds the token). */
export function parseTokenResponse(body: Uint8Array, nowMs: number): AccessToken {
  let parsed: { access_token?: unknown; expires_in?: unknown; expires_on?: unknown };
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw invalidResponse("the token response is not valid JSON");
  }
  if (typeof parsed.access_token !== "string" || parsed.access_token === "") {
    throw invalidResponse("the token response has no access_token");
  }
  const number = (v: unknown): number | undefined => {
    const n = typeof v === "string" ? Number(v.trim()) : typeof v === "number" ? v : Number.NaN;
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  // An absolute expiry wins: it does not depend on how long the answer travelled.
  const on = number(parsed.expires_on);
  const inSecs = number(parsed.expires_in);
  if (on === undefined && inSecs === undefined) {
    throw invalidResponse("the token response has neither expires_in nor expires_on");
  }
  const expiresOn = new Date(on !== undefined ? on * 1000 : nowMs + (inSecs ?? 0) * 1000);
  return { token: new Secret(parsed.access_token), expiresOn };
}

/** The error for a refused token request: the OAuth code and the first line of its description. */
export function tokenError(status: number, body: Uint8Array): AzblobError {
  let code: string | undefined;
  let description: string | undefined;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(body)) as { error?: unknown; error_description?: unknown };
    if (typeof parsed.error === "string") code = parsed.error;
    if (typeof parsed.error_description === "string") description = parsed.error_description.split(/\r?\n/)[0];
  } catch {
    // Not JSON: the status alone speaks.
  }
  const unauthenticated = ["invalid_client", "unauthorized_client", "invalid_grant", "invalid_request"];
  const kind: ErrorKind = code && unauthenticated.includes(code) ? "Unauthenticated" : classify(status, undefined);
  const text = [code, description?.slice(0, 300)].filter(Boolean).join(": ");
  return errorOfKind(kind, {
    message: `the identity provider refused the token request${text ? `: ${text}` : ""}`,
    operation: "GetToken",
    status,
    errorCode: code,
  });
}

/** A `TokenCredential` for an application: a client secret or a federated token. */
export class ClientCredential implements TokenCredential {
  readonly #endpoint: URL;
  readonly #clientId: string;
  readonly #secret: Secret | undefined;
  readonly #tokenFile: string | undefined;
  readonly #send: Next;
  readonly #cache = new TokenCache();

  constructor(options: ClientCredentialOptions) {
    this.#endpoint = tokenEndpoint(options.authorityHost ?? DEFAULT_AUTHORITY_HOST, options.tenantId);
    if (options.clientId === "") throw invalidInput("the client id is empty");
    if ((options.clientSecret === undefined) === (options.federatedTokenFile === undefined)) {
      throw invalidInput("a client credential takes a client secret or a federated token file, one of them");
    }
    this.#clientId = options.clientId;
    this.#secret = options.clientSecret === undefined ? undefined : new Secret(options.clientSecret);
    this.#tokenFile = options.federatedTokenFile;
    const retry = retryPolicy({ ...DEFAULT_RETRY, ...options.retry }, options.clock ?? SYSTEM_CLOCK, MATH_RNG);
    this.#send = compose([retry], options.wire ?? nodeWire());
  }

  /** The cached token, or a new one when it expires within 5 minutes; one request at a time. */
  getToken(scopes: readonly string[]): Promise<AccessToken> {
    return this.#cache.get(() => this.#request(scopes));
  }

  async #request(scopes: readonly string[]): Promise<AccessToken> {
    const form = new URLSearchParams({
      client_id: this.#clientId,
      grant_type: "client_credentials",
      scope: scopes.join(" "),
    });
    if (this.#secret) {
      form.append("client_secret", this.#secret.expose());
    } else {
      let assertion: string;
      try {
        assertion = (await readFile(this.#tokenFile ?? "", "utf8")).trim();
      } catch (err) {
        throw errorOfKind("Io", { message: `cannot read the federated token file ${this.#tokenFile}`, cause: err });
      }
      form.append("client_assertion_type", JWT_BEARER);
      form.append("client_assertion", assertion);
    }
    const request = newRequest("GetToken", "POST", this.#endpoint);
    request.headers.set("content-type", "application/x-www-form-urlencoded");
    request.headers.set("accept", "application/json");
    request.body = new TextEncoder().encode(form.toString());
    // Asking for a token twice has no effect beyond the second token.
    request.idempotent = true;
    let response: Awaited<ReturnType<Next>>;
    try {
      response = await this.#send(request);
    } catch (err) {
      throw errorOfKind("Transport", { message: "the token request got no answer", operation: "GetToken", cause: err });
    }
    if (response.status < 200 || response.status > 299) throw tokenError(response.status, response.body);
    return parseTokenResponse(response.body, Date.now());
  }

  toJSON(): object {
    return { endpoint: this.#endpoint.href, clientId: this.#clientId, proof: this.#secret ? "secret" : "token file" };
  }

  [inspect.custom](): string {
    return `ClientCredential ${inspect(this.toJSON())}`;
  }
}
