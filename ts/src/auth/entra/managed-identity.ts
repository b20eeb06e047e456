// ManagedIdentityCredential: tokens from the Azure host itself, from the
// instance metadata service (VMs, scale sets, AKS nodes) or the local
// identity endpoint of App Service, Functions and Container Apps.
// https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token#get-a-token-using-http
// https://learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference

import { inspect } from "node:util";
import { errorOfKind, invalidInput } from "../../errors/kinds.js";
import { isLoopback } from "../../net.js";
import { Secret } from "../../redact/secret.js";
import { nodeWire } from "../../wire/node-wire.js";
import { compose, type Next } from "../../wire/policy.js";
import { newRequest } from "../../wire/request.js";
import { type Clock, DEFAULT_RETRY, MATH_RNG, retryPolicy, SYSTEM_CLOCK } from "../../wire/retry.js";
import type { AccessToken, TokenCredential } from "../token.js";
import { TokenCache } from "./cache.js";
import { parseTokenResponse, tokenError } from "./client-credential.js";

/** The instance metadata service's token endpoint. */
export const IMDS_ENDPOINT = "http://169.254.169.254/metadata/identity/oauth2/token";

/** Where a `ManagedIdentityCredential` asks, and for which identity. */
export interface ManagedIdentityOptions {
  /** App Service's `IDENTITY_ENDPOINT`, with its `identityHeader`; without it, IMDS. */
  endpoint?: string;
  identityHeader?: string;
  /** IMDS elsewhere (`AZURE_POD_IDENTITY_AUTHORITY_HOST`, tests). */
  imdsEndpoint?: string;
  /** A user-assigned identity's client id. */
  clientId?: string;
  wire?: Next;
  clock?: Clock;
}

function checked(text: string, what: string, linkLocalToo: boolean): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidInput(`${what} is not a URL`);
  }
  const plainOk = isLoopback(url) || (linkLocalToo && /^169\.254\.\d+\.\d+$/.test(url.hostname));
  if (url.protocol !== "https:" && !(url.protocol === "http:" && plainOk)) {
    throw invalidInput(`${what} must be https:// (or http:// on this host)`);
  }
  return url;
}

/** A `TokenCredential` for the Azure host's managed identity. */
export class ManagedIdentityCredential implements TokenCredential {
  readonly #endpoint: URL;
  readonly #header: Secret | undefined;
  readonly #clientId: string | undefined;
  readonly #probe: Next;
  readonly #send: Next;
  readonly #cache = new TokenCache();
  /** Until IMDS has answered once, a request is a probe: no retries, so off Azure a chain moves on at once. */
  #reachable = false;

  constructor(options: ManagedIdentityOptions = {}) {
    if (options.endpoint !== undefined) {
      if (options.identityHeader === undefined) throw invalidInput("IDENTITY_ENDPOINT needs IDENTITY_HEADER");
      this.#endpoint = checked(options.endpoint, "IDENTITY_ENDPOINT", false);
      this.#header = new Secret(options.identityHeader);
    } else {
      this.#endpoint = checked(options.imdsEndpoint ?? IMDS_ENDPOINT, "the IMDS endpoint", true);
    }
    this.#clientId = options.clientId;
    // The endpoints are on the host or link-local: a connection either opens at once or not at all.
    const wire = options.wire ?? nodeWire({ inactivityTimeoutMs: 1000 });
    this.#probe = wire;
    this.#send = compose([retryPolicy(DEFAULT_RETRY, options.clock ?? SYSTEM_CLOCK, MATH_RNG)], wire);
  }

  /** From `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`, else IMDS (moved by `AZURE_POD_IDENTITY_AUTHORITY_HOST`). */
  static fromVars(get: (name: string) => string | undefined, clientId?: string): ManagedIdentityCredential {
    const endpoint = get("IDENTITY_ENDPOINT");
    const identityHeader = get("IDENTITY_HEADER");
    const pod = get("AZURE_POD_IDENTITY_AUTHORITY_HOST");
    const options: ManagedIdentityOptions = {};
    if (endpoint !== undefined && identityHeader !== undefined) {
      options.endpoint = endpoint;
      options.identityHeader = identityHeader;
    } else if (pod !== undefined) {
      options.imdsEndpoint = `${pod.replace(/\/+$/, "")}/metadata/identity/oauth2/token`;
    }
    if (clientId !== undefined) options.clientId = clientId;
    return new ManagedIdentityCredential(options);
  }

  getToken(scopes: readonly string[]): Promise<AccessToken> {
    return this.#cache.get(() => this.#fetch(scopes));
  }

  async #fetch(scopes: readonly string[]): Promise<AccessToken> {
    if (scopes.length !== 1) {
      throw invalidInput(`managed identity credential: exactly one scope is supported, got ${scopes.length}`);
    }
    // These endpoints take the resource, which is the scope without `/.default`.
    const resource = (scopes[0] ?? "").replace(/\/\.default$/, "");
    const url = new URL(this.#endpoint.href);
    url.searchParams.append("api-version", this.#header ? "2019-08-01" : "2018-02-01");
    url.searchParams.append("resource", resource);
    if (this.#clientId !== undefined) url.searchParams.append("client_id", this.#clientId);
    const request = newRequest("GetToken", "GET", url);
    request.idempotent = true;
    if (this.#header) request.headers.set("x-identity-header", this.#header.expose());
    else request.headers.set("metadata", "true");
    const probing = !this.#header && !this.#reachable;
    let response: Awaited<ReturnType<Next>>;
    try {
      response = await (probing ? this.#probe : this.#send)(request);
    } catch (err) {
      throw errorOfKind("Transport", {
        message: `the managed identity endpoint ${this.#endpoint.host} did not answer`,
        operation: "GetToken",
        cause: err,
      });
    }
    this.#reachable = true;
    if (response.status < 200 || response.status > 299) throw tokenError(response.status, response.body);
    return parseTokenResponse(response.body, Date.now());
  }

  toJSON(): object {
    return {
      endpoint: this.#endpoint.href,
      clientId: this.#clientId,
      identityHeader: this.#header ? "Secret(***)" : undefined,
    };
  }

  [inspect.custom](): string {
    return `ManagedIdentityCredential ${inspect(this.toJSON())}`;
  }
}
