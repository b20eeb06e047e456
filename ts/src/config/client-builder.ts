// ClientBuilder: account, endpoint, credential, API version, retry, wire and
// simulation; `build` resolves the endpoint, makes the security checks and
// assembles the pipeline (operation span → retry → sign → trace → simulation → wire).

import { inspect } from "node:util";
import { ANONYMOUS, type Credential } from "../auth/credential.js";
import { SasToken } from "../auth/sas/sas-token.js";
import { CredentialScope } from "../auth/scope.js";
import { SharedKeyCredential } from "../auth/shared-key.js";
import type { TokenCredential } from "../auth/token.js";
import { BlobServiceClient } from "../client/blob-service-client.js";
import { invalidInput } from "../errors/kinds.js";
import { DEFAULT_API_VERSION } from "../headers.js";
import { isLoopback, origin } from "../net.js";
import { validateAccountName } from "../ops/names.js";
import { operationPolicy } from "../pipeline/operation.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { signPolicy } from "../pipeline/sign.js";
import { type AttemptRecord, tracePolicy } from "../pipeline/trace.js";
import { redactUrlText } from "../redact/url.js";
import { SeededRng } from "../sim/seeded-rng.js";
import { Simulation, type SimulationOptions } from "../sim/simulation.js";
import { nodeWire } from "../wire/node-wire.js";
import { compose, type Next } from "../wire/policy.js";
import { ProxyConfig } from "../wire/proxy.js";
import {
  type Clock,
  DEFAULT_RETRY,
  MATH_RNG,
  type RetryOptions,
  type RetryRng,
  retryPolicy,
  SYSTEM_CLOCK,
} from "../wire/retry.js";
import { BlobUrl } from "./blob-url.js";
import { builderFromConnectionString } from "./connection-string.js";
import { builderFromEnv, type FromEnvOptions } from "./env.js";

/** Configures and builds a {@link BlobServiceClient}. Setters change this builder and return it. */
export class ClientBuilder {
  #account: string | undefined;
  #endpoint: string | undefined;
  #credential: Credential = ANONYMOUS;
  #apiVersion = DEFAULT_API_VERSION;
  #retry: RetryOptions = { ...DEFAULT_RETRY };
  #allowHttp = false;
  #trustedSuffixes: string[] = [];
  #wire: Next | undefined;
  #clock: Clock | undefined;
  #rng: RetryRng | undefined;
  #simulation: SimulationOptions | undefined;
  #onAttempt: ((attempt: AttemptRecord) => void) | undefined;
  #inactivityTimeoutMs = 60_000;
  #deadlineMs: number | undefined;
  /** `undefined` reads the process environment at `build`. */
  #proxy: ProxyConfig | undefined;
  #rootCertificatesPem: string[] = [];

  /** A builder from a connection string (including `UseDevelopmentStorage=true`). */
  static fromConnectionString(connectionString: string): ClientBuilder {
    return builderFromConnectionString(connectionString);
  }

  /** A builder from `AZURE_STORAGE_CONNECTION_STRING`, `AZURE_STORAGE_ACCOUNT`, `_KEY`, `_SAS_TOKEN`, `_BLOB_ENDPOINT`. */
  static fromEnv(options: FromEnvOptions = {}): ClientBuilder {
    return builderFromEnv(options);
  }

  /** A builder for the account of an account, container or blob URL, with the URL's SAS if it has one. */
  static fromUrl(url: string): ClientBuilder {
    const parsed = BlobUrl.parse(url);
    const builder = new ClientBuilder().endpoint(parsed.endpoint.href).account(parsed.account);
    return parsed.sas ? builder.sasToken(parsed.sas.expose()) : builder;
  }

  /** The storage account name (else taken from the endpoint). */
  account(account: string): this {
    this.#account = account;
    return this;
  }

  /** The blob endpoint, e.g. `http://127.0.0.1:10000/devstoreaccount1` (else `https://{account}.blob.core.windows.net`). */
  endpoint(endpoint: string): this {
    this.#endpoint = endpoint;
    return this;
  }

  /** Shared Key authorization; also sets the account. Throws `InvalidInputError` for a key that is not base64. */
  sharedKey(account: string, key: string): this {
    const credential = new SharedKeyCredential(account, key);
    this.#account = credential.account;
    this.#credential = { kind: "shared-key", key: credential };
    return this;
  }

  /** SAS authorization from a token (with or without `?`). */
  sasToken(token: string): this {
    this.#credential = { kind: "sas", token: SasToken.parse(token) };
    return this;
  }

  /** Bearer-token authorization (Microsoft Entra ID). */
  tokenCredential(credential: TokenCredential): this {
    this.#credential = { kind: "token", source: credential };
    return this;
  }

  /** The kind of credential configured so far. */
  credentialKind(): Credential["kind"] {
    return this.#credential.kind;
  }

  /** The `x-ms-version` sent (default 2023-11-03). */
  apiVersion(version: string): this {
    this.#apiVersion = version;
    return this;
  }

  /** Retry settings; unset fields keep their defaults. */
  retry(options: Partial<RetryOptions>): this {
    this.#retry = { ...DEFAULT_RETRY, ...options };
    return this;
  }

  /** Allows plain `http://` to hosts other than loopback. */
  allowHttp(allow: boolean): this {
    this.#allowHttp = allow;
    return this;
  }

  /** Trusts `https://` hosts under these Azure storage suffixes with the bearer token. */
  trustedSuffixes(suffixes: Iterable<string>): this {
    this.#trustedSuffixes.push(...suffixes);
    return this;
  }

  /** Replaces the node:http(s) wire (a test double, a fault injector); the policies above stay. */
  wire(wire: Next): this {
    this.#wire = wire;
    return this;
  }

  /** How long the default wire waits for a silent connection, in ms (default 60,000). */
  inactivityTimeout(ms: number): this {
    this.#inactivityTimeoutMs = ms;
    return this;
  }

  /** An overall deadline per operation, in ms: attempts and the pauses between them; past it, a `TimeoutError`. */
  deadline(ms: number): this {
    if (!Number.isFinite(ms) || ms <= 0) throw invalidInput(`the deadline must be a positive number of ms, got ${ms}`);
    this.#deadlineMs = ms;
    return this;
  }

  /** Sends every request through the proxy at `url` (`http://[user:password@]host:port`). */
  proxy(url: string): this {
    this.#proxy = ProxyConfig.explicit(url);
    return this;
  }

  /** Connects directly, whatever the proxy variables say. */
  noProxy(): this {
    this.#proxy = ProxyConfig.off();
    return this;
  }

  /** Reads the proxy variables through `get` instead of the process environment. */
  proxyFromVars(get: (name: string) => string | undefined): this {
    this.#proxy = ProxyConfig.fromVars(get);
    return this;
  }

  /** Trusts a root certificate (PEM) besides the system's, for a private endpoint or an emulator over TLS. */
  rootCertificatePem(pem: string): this {
    this.#rootCertificatesPem.push(pem);
    return this;
  }

  /** The clock retries sleep on. */
  clock(clock: Clock): this {
    this.#clock = clock;
    return this;
  }

  /** The randomness of retry jitter. */
  retryRng(rng: RetryRng): this {
    this.#rng = rng;
    return this;
  }

  /** Records to or replays from a cassette (`azblob-cassette/1`). */
  simulation(options: SimulationOptions): this {
    this.#simulation = options;
    return this;
  }

  /** Reports every attempt (operation, method, redacted URL, status, request id, duration). */
  onAttempt(hook: (attempt: AttemptRecord) => void): this {
    this.#onAttempt = hook;
    return this;
  }

  /**
   * This builder for the account at `endpoint` (a URL a user typed), keeping
   * its credential only where it belongs. Its own endpoint, or a path under
   * it, keeps the credential (replaced by `sas` if given); any other endpoint
   * gets `sas`, else the bearer token if its host is under a trusted suffix,
   * else no credential at all. Every other setting carries over.
   */
  forEndpoint(endpoint: string, sas?: string): this {
    const target = new ClientBuilder().endpoint(endpoint).#resolveEndpoint();
    let own: URL | undefined;
    try {
      own = this.#resolveEndpoint();
    } catch {
      own = undefined;
    }
    if (own && new CredentialScope(own).covers(target)) {
      // The caller splits its URL after `endpoint`; the account stays the configured one.
      this.#account ??= accountFromEndpoint(own);
    } else {
      const trusts = new CredentialScope(target).trustSuffixes(this.#trustedSuffixes);
      const keepToken = this.#credential.kind === "token" && trusts.trustsWithToken(target);
      if (!keepToken) this.#credential = ANONYMOUS;
      this.#account = undefined;
    }
    this.#endpoint = endpoint;
    return sas === undefined ? this : this.sasToken(sas);
  }

  /** Validates the configuration and assembles the pipeline. */
  build(): BlobServiceClient {
    const endpoint = this.#resolveEndpoint();
    const account = this.#account ?? accountFromEndpoint(endpoint);
    const proxy = this.#proxy ?? ProxyConfig.fromEnv();
    this.#checkSecurity(endpoint, account, proxy);
    const scope = new CredentialScope(endpoint).trustSuffixes(this.#trustedSuffixes);
    if (!/^[\x21-\x7e]+$/.test(this.#apiVersion)) throw invalidInput("the API version is not valid header text");
    const simulation = this.#simulation ? Simulation.open(this.#simulation, account) : undefined;
    // A replay needs no credential: a token would have to come from the network first.
    const signing: Credential =
      this.#credential.kind === "token" && simulation?.isReplay ? ANONYMOUS : this.#credential;
    const wire =
      this.#wire ??
      nodeWire({
        inactivityTimeoutMs: this.#inactivityTimeoutMs,
        proxy,
        rootCertificatesPem: this.#rootCertificatesPem,
      });
    const clock = this.#clock ?? simulation?.clock() ?? SYSTEM_CLOCK;
    const policies = [
      operationPolicy(this.#apiVersion, this.#deadlineMs),
      retryPolicy(this.#retry, clock, this.#rng ?? MATH_RNG),
      signPolicy(signing, scope),
      tracePolicy(this.#onAttempt),
      ...(simulation ? [simulation.policy()] : []),
    ];
    const pipeline = new Pipeline(compose(policies, wire), clock);
    const rng = simulation ? new SeededRng(simulation.seed) : SeededRng.fresh();
    return new BlobServiceClient({
      account,
      endpoint,
      credential: signing,
      scope,
      pipeline,
      rng,
      simulation,
      bodyResumes: this.#retry.maxRetries,
    });
  }

  #resolveEndpoint(): URL {
    let text: string;
    if (this.#endpoint !== undefined) {
      text = this.#endpoint;
    } else if (this.#account !== undefined) {
      // The account becomes the host name, so it must be one the service could have issued.
      validateAccountName(this.#account);
      text = `https://${this.#account}.blob.core.windows.net`;
    } else {
      throw invalidInput("set an endpoint or an account name");
    }
    // The text may carry a SAS or a password, which this refuses: never echo them.
    const shown = JSON.stringify(redactUrlText(text));
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw invalidInput(`invalid endpoint ${shown}: not a URL`);
    }
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
      throw invalidInput(`invalid endpoint ${shown}: expected http(s)://host[/account]`);
    }
    if (url.username !== "" || url.password !== "") {
      throw invalidInput("the endpoint must not carry a user name or password");
    }
    if (url.search !== "" || url.hash !== "" || text.includes("?") || text.includes("#")) {
      throw invalidInput("the endpoint must not carry a query or fragment; pass a SAS with sasToken()");
    }
    return url;
  }

  /** Refuses what would send a credential or data where it could be read. */
  #checkSecurity(endpoint: URL, account: string, proxy: ProxyConfig): void {
    const loopback = isLoopback(endpoint);
    if (endpoint.protocol === "http:" && !loopback && !this.#allowHttp) {
      throw invalidInput(
        `plain http:// is only allowed for loopback (emulator) endpoints; use https:// or allowHttp(true) for ${endpoint.hostname}`,
      );
    }
    if (this.#credential.kind === "token" && endpoint.protocol === "http:" && !loopback) {
      throw invalidInput("bearer tokens are only sent over https:// (or to loopback hosts)");
    }
    // The endpoint may be plain http only on loopback, but a proxy elsewhere would still read every request.
    if (this.#credential.kind === "token" && this.#wire === undefined && proxy.exposesPlainHttp(endpoint)) {
      throw invalidInput(
        "bearer tokens are not sent over plain http:// through a proxy on another host; use https://, a proxy on this machine, noProxy() or NO_PROXY",
      );
    }
    if (this.#credential.kind === "shared-key" && this.#credential.key.account !== account) {
      throw invalidInput(
        `the shared key is for account ${JSON.stringify(this.#credential.key.account)} but the client is for ${JSON.stringify(account)}`,
      );
    }
  }

  toJSON(): object {
    return { account: this.#account, endpoint: this.#endpoint, credential: this.#credential.kind };
  }

  [inspect.custom](): string {
    return `ClientBuilder ${inspect(this.toJSON())}`;
  }
}

/** The account name from a host-style or path-style endpoint. */
export function accountFromEndpoint(url: URL): string {
  const first = url.pathname.split("/")[1];
  if (first) return first;
  if (url.hostname.includes(".") && !/^[\d.]+$/.test(url.hostname)) return url.hostname.split(".")[0] ?? "";
  throw invalidInput(`cannot tell the account name from endpoint ${origin(url)}; set it with account()`);
}
