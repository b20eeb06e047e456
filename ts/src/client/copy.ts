// Server-side copies: where a copy reads from (CopySource), and the poller of
// an asynchronous copy (CopyOperation).

import { inspect } from "node:util";
import { Sas } from "../auth/sas/sas.js";
import { STORAGE_SCOPE } from "../auth/token.js";
import { AzblobError } from "../errors/azblob-error.js";
import { errorOfKind } from "../errors/kinds.js";
import { isTerminal } from "../ops/copy-state.js";
import type { CopyState } from "../ops/list-models.js";
import { blobUrl } from "../ops/names.js";
import type { BlobSelector } from "../ops/selector.js";
import { applySelector } from "../ops/selector.js";
import { redactUrl } from "../redact/url.js";
import type { BlobClient } from "./blob-client.js";
import { INNER, SOURCE_BLOB } from "./service-inner.js";

/** How long the read SAS of a synchronous copy's source lives. */
const SYNC_SOURCE_SAS_LIFETIME_MS = 15 * 60 * 1000;
/** How long the read SAS of an asynchronous copy's source lives. */
const ASYNC_SOURCE_SAS_LIFETIME_MS = 24 * 3600 * 1000;
/** How far back the SAS starts, for clocks that disagree. */
const SAS_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Where a copy reads from: a blob (or its snapshot or version) of a client, or any URL. */
export class CopySource {
  readonly #blob: BlobClient | undefined;
  readonly #selector: BlobSelector;
  readonly #url: URL | undefined;

  private constructor(blob: BlobClient | undefined, selector: BlobSelector, url: URL | undefined) {
    this.#blob = blob;
    this.#selector = selector;
    this.#url = url;
  }

  /** The current version of `blob`, authorized from its client's credential. */
  static blob(blob: BlobClient): CopySource {
    return new CopySource(blob, {}, undefined);
  }

  /** One snapshot of `blob`. */
  static snapshot(blob: BlobClient, snapshot: string): CopySource {
    return new CopySource(blob, { snapshot }, undefined);
  }

  /** One version of `blob`. */
  static version(blob: BlobClient, versionId: string): CopySource {
    return new CopySource(blob, { versionId }, undefined);
  }

  /** Any URL, sent as given (with its own SAS, if it needs one). */
  static url(url: string | URL): CopySource {
    return new CopySource(undefined, {}, new URL(url));
  }

  /**
   * The source URL, authorized for reading only: a Shared Key client's key
   * never travels, a one-blob read SAS made from it does; a SAS client's SAS
   * and (for a synchronous copy) a token stay with their account.
   */
  async resolve(sync: boolean, destination: URL): Promise<{ url: URL; bearer: string | undefined }> {
    if (this.#url) return { url: new URL(this.#url.href), bearer: undefined };
    const blob = this.#blob as BlobClient;
    const service = blob[INNER]();
    const credential = service.credential;
    if (credential.kind === "sas" || (credential.kind === "token" && sync)) {
      try {
        service.scope.check(credential, destination);
      } catch (err) {
        if (!(err instanceof AzblobError)) throw err;
        throw errorOfKind("InvalidInput", {
          message: `the copy source's credential stays with its account; pass a source URL with its own SAS: ${err.detail}`,
        });
      }
    }
    const url = blobUrl(service.endpoint, blob.containerName, blob.name);
    applySelector(url, this.#selector);
    switch (credential.kind) {
      case "shared-key": {
        const now = Date.now();
        const lifetime = sync ? SYNC_SOURCE_SAS_LIFETIME_MS : ASYNC_SOURCE_SAS_LIFETIME_MS;
        const settings: { start: Date; snapshot?: string; blobVersion?: string } = {
          start: new Date(now - SAS_CLOCK_SKEW_MS),
        };
        if (this.#selector.snapshot !== undefined) settings.snapshot = this.#selector.snapshot;
        if (this.#selector.versionId !== undefined) settings.blobVersion = this.#selector.versionId;
        const sas = Sas.blob(blob.containerName, blob.name, "r", new Date(now + lifetime), settings);
        sas.sign(credential.key).apply(url);
        return { url, bearer: undefined };
      }
      case "sas":
        credential.token.apply(url);
        return { url, bearer: undefined };
      case "token":
        if (!sync) return { url, bearer: undefined };
        return { url, bearer: (await credential.source.getToken([STORAGE_SCOPE])).token.expose() };
      default:
        return { url, bearer: undefined };
    }
  }

  /** @internal The source blob and its selector, when the source is a blob of a client (the block copy reads its properties). */
  [SOURCE_BLOB](): { blob: BlobClient; selector: BlobSelector } | undefined {
    return this.#blob ? { blob: this.#blob, selector: { ...this.#selector } } : undefined;
  }

  toJSON(): object {
    return this.#url ? { url: redactUrl(this.#url) } : { blob: this.#blob?.name, selector: this.#selector };
  }

  [inspect.custom](): string {
    return `CopySource ${inspect(this.toJSON())}`;
  }
}

/** Options of {@link CopyOperation.waitOpts}. */
export interface WaitOptions {
  /** Give up (with `TimeoutError`) after this many ms; none by default. */
  timeoutMs?: number;
  /** The first pause between polls, in ms (default 500); each next one doubles. */
  pollIntervalMs?: number;
  /** The longest pause between polls, in ms (default 5,000). */
  maxPollIntervalMs?: number;
  /** Called with each state polled. */
  onProgress?: (state: CopyState) => void;
}

const MIN_FIRST_POLL_MS = 1;
const MIN_LONGEST_POLL_MS = 100;

/** An asynchronous copy in progress: poll it, wait for it, abort it. */
export class CopyOperation {
  /** The destination blob. */
  readonly blob: BlobClient;
  /** The copy's id. */
  readonly copyId: string;
  /** The destination's lease id the copy was started under, resent by {@link abort}. */
  readonly #leaseId: string | undefined;
  #last: CopyState;

  /** @internal Made by `BlobClient.startCopy`. */
  constructor(blob: BlobClient, copyId: string, status: string, leaseId?: string) {
    this.blob = blob;
    this.copyId = copyId;
    this.#leaseId = leaseId;
    this.#last = {
      id: copyId,
      status,
      progress: undefined,
      source: undefined,
      statusDescription: undefined,
      completedOn: undefined,
    };
  }

  /** The state last seen (at the start, or at the last poll). */
  lastState(): CopyState {
    return this.#last;
  }

  /** Reads the destination's copy state; another copy's id there is a `ConflictError`. */
  async poll(): Promise<CopyState> {
    const props = await this.blob.properties();
    const state = props.copy;
    if (!state) {
      throw errorOfKind("InvalidResponse", {
        message: "the copy's destination reports no copy",
        operation: "GetBlobProperties",
      });
    }
    if (state.id !== this.copyId) {
      throw errorOfKind("Conflict", { message: `copy ${this.copyId} was replaced by copy ${state.id}` });
    }
    this.#last = state;
    return state;
  }

  /** Polls until the copy ends or `timeoutMs` passes. */
  wait(timeoutMs: number): Promise<CopyState> {
    return this.waitOpts({ timeoutMs });
  }

  /** {@link wait} with poll intervals and a progress callback; pauses on the client's clock. */
  async waitOpts(options: WaitOptions): Promise<CopyState> {
    const clock = this.blob[INNER]().pipeline.clock;
    const started = clock.now();
    const deadline = options.timeoutMs === undefined ? undefined : started + options.timeoutMs;
    let pause = Math.max(options.pollIntervalMs ?? 500, MIN_FIRST_POLL_MS);
    const maxPause = Math.max(options.maxPollIntervalMs ?? 5000, MIN_LONGEST_POLL_MS, pause);
    for (;;) {
      const state = await this.poll();
      options.onProgress?.(state);
      if (isTerminal(state.status)) return state;
      const now = clock.now();
      if (deadline !== undefined && now >= deadline) {
        const progress = state.progress ? ` (${state.progress[0]}/${state.progress[1]} bytes)` : "";
        throw errorOfKind("Timeout", {
          message: `copy ${this.copyId} still pending after ${options.timeoutMs} ms${progress}`,
        });
      }
      await clock.sleep(deadline === undefined ? pause : Math.min(pause, deadline - now));
      pause = Math.min(pause * 2, maxPause);
    }
  }

  /** Aborts the copy (Abort Copy Blob), naming the lease the copy was started under, if any. */
  abort(): Promise<void> {
    return this.blob.abortCopyOpts(this.copyId, this.#leaseId === undefined ? {} : { leaseId: this.#leaseId });
  }
}
