import { inspect } from "node:util";
import type { Credential } from "../auth/credential.js";
import type { UserDelegationKey } from "../auth/delegation-key.js";
import { AzblobError } from "../errors/azblob-error.js";
import { errorOfKind, invalidInput } from "../errors/kinds.js";
import type { FindBlobsByTagsOptions, TaggedBlob } from "../ops/find-blobs.js";
import { buildUserDelegationKeyRequest, parseUserDelegationKey } from "../ops/user-delegation-key.js";
import { SeededRng } from "../sim/seeded-rng.js";
import type { SimulationStats } from "../sim/simulation.js";
import type { Request, Response } from "../wire/request.js";
import type { BlobClient } from "./blob-client.js";
import { ContainerClient } from "./container-client.js";
import type { ServiceInner } from "./service-inner.js";
import { taggedBlobs } from "./tags.js";

/** A client of one storage account's Blob service; make it with `ClientBuilder`. */
export class BlobServiceClient {
  readonly #inner: ServiceInner;

  /** @internal Made by `ClientBuilder.build`. */
  constructor(inner: ServiceInner) {
    this.#inner = inner;
  }

  /** The storage account name. */
  get account(): string {
    return this.#inner.account;
  }

  /** The blob endpoint. */
  get endpoint(): URL {
    return new URL(this.#inner.endpoint.href);
  }

  /** The credential requests are authorized with (anonymous for a replaying client built with a token). */
  get credential(): Credential {
    return this.#inner.credential;
  }

  /**
   * Every blob of the account whose index tags match `expression`, with
   * [Find Blobs by Tags](https://learn.microsoft.com/rest/api/storageservices/find-blobs-by-tags),
   * page after page; see `ContainerClient.findBlobsByTags`.
   */
  findBlobsByTags(expression: string): AsyncIterable<TaggedBlob> {
    return this.findBlobsByTagsOpts(expression, {});
  }

  /** {@link findBlobsByTags} with a page size. */
  findBlobsByTagsOpts(expression: string, options: FindBlobsByTagsOptions): AsyncIterable<TaggedBlob> {
    return taggedBlobs(this.#inner, () => this.endpoint, false, expression, options);
  }

  /** A client for one container; the name is checked when a request is made. */
  container(name: string): ContainerClient {
    return new ContainerClient(this.#inner, name);
  }

  /** A client for one blob; shorthand for `container(c).blob(b)`. */
  blob(container: string, blob: string): BlobClient {
    return this.container(container).blob(blob);
  }

  /**
   * Sends a request the library does not model (e.g. Create Container in test
   * setup) through the whole pipeline; a non-2xx answer throws its typed error.
   */
  sendRaw(request: Request): Promise<Response> {
    return this.#inner.pipeline.execute(request);
  }

  /**
   * [Get User Delegation Key](https://learn.microsoft.com/rest/api/storageservices/get-user-delegation-key),
   * valid from `start` to `expiry` (at most seven days from now), for signing
   * user delegation SAS with `Sas.signUserDelegation`. Only a client with a
   * bearer-token credential can ask for one.
   */
  async userDelegationKey(start: Date, expiry: Date): Promise<UserDelegationKey> {
    if (this.#inner.credential.kind !== "token") {
      throw invalidInput("Get User Delegation Key needs a bearer-token (Microsoft Entra ID) credential");
    }
    const response = await this.#inner.pipeline.execute(
      buildUserDelegationKeyRequest(this.#inner.endpoint, start, expiry),
    );
    try {
      return parseUserDelegationKey(response.body);
    } catch (err) {
      if (!(err instanceof AzblobError)) throw err;
      throw errorOfKind(err.kind, { message: err.detail, operation: "GetUserDelegationKey" });
    }
  }

  /**
   * Replaces the cassette with the one at `path`: later requests replay from
   * it (or are recorded into it), and the client's randomness is reseeded from its seed.
   */
  loadRecordings(path: string): void {
    if (!this.#inner.simulation) throw invalidInput("the client is not simulating; build it with simulation()");
    this.#inner.simulation.load(path);
    this.#inner.rng = new SeededRng(this.#inner.simulation.seed);
  }

  /** How much of a replayed cassette was used (`undefined` without a simulation). */
  simulationStats(): SimulationStats | undefined {
    return this.#inner.simulation?.stats();
  }

  /** Writes a recording client's cassette; throws `InvalidInputError` if it still holds a secret. */
  saveRecordings(): void {
    if (!this.#inner.simulation) throw invalidInput("the client is not recording");
    this.#inner.simulation.save();
  }

  toJSON(): object {
    return { account: this.account, endpoint: this.#inner.endpoint.href, credential: this.#inner.credential.kind };
  }

  [inspect.custom](): string {
    return `BlobServiceClient ${inspect(this.toJSON())}`;
  }
}
