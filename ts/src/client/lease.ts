// Lease, a guard that keeps a blob's lease renewed in the background while
// it lives (the five Lease Blob actions are BlobClient's methods).
// https://learn.microsoft.com/rest/api/storageservices/lease-blob

import { AzblobError } from "../errors/azblob-error.js";
import type { ErrorKind } from "../errors/error-kind.js";
import { errorOfKind } from "../errors/kinds.js";
import type { Conditions } from "../ops/conditions.js";
import type { AcquireLeaseOptions, LeaseDuration, LeaseGranted } from "../ops/lease.js";

/** What the guard needs of its blob: the lease actions. */
interface LeasedBlob {
  readonly name: string;
  acquireLeaseOpts(duration: LeaseDuration, options: AcquireLeaseOptions): Promise<LeaseGranted>;
  renewLease(leaseId: string): Promise<LeaseGranted>;
  releaseLease(leaseId: string): Promise<void>;
}

/**
 * A blob's lease, renewed in the background while the guard lives, so one
 * writer can own a blob (a manifest, a "latest" pointer) for as long as it
 * needs.
 *
 * A fixed lease is renewed every third of its duration on a timer the guard
 * owns (unreferenced: it does not keep the process alive); an infinite one
 * needs no renewal. Writes name the lease through {@link conditions}.
 *
 * Disposing the guard (`using lease = ...`, or `lease[Symbol.dispose]()`)
 * stops the renewals but does not release the lease: disposal cannot wait
 * for a request, and a lease left behind behaves like that of a writer that
 * crashed, ending within its duration. Call {@link release} to end it at once.
 *
 * ```ts
 * const lease = await Lease.acquire(blob, 30);
 * await blob.putOpts("v2", { conditions: lease.conditions() });
 * await lease.release();
 * ```
 */
export class Lease {
  readonly #blob: LeasedBlob;
  readonly #id: string;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #failure: AzblobError | undefined;

  private constructor(blob: LeasedBlob, id: string) {
    this.#blob = blob;
    this.#id = id;
  }

  /** Acquires the blob's lease and, for a fixed duration, starts renewing it. */
  static acquire(blob: LeasedBlob, duration: LeaseDuration): Promise<Lease> {
    return Lease.acquireOpts(blob, duration, {});
  }

  /** {@link acquire} with a proposed id or under conditions. */
  static async acquireOpts(blob: LeasedBlob, duration: LeaseDuration, options: AcquireLeaseOptions): Promise<Lease> {
    const granted = await blob.acquireLeaseOpts(duration, options);
    const lease = new Lease(blob, granted.leaseId);
    if (duration !== "infinite") lease.#schedule((duration * 1000) / 3);
    return lease;
  }

  /** The lease id. */
  id(): string {
    return this.#id;
  }

  /** Conditions that name this lease, for the writes made under it. */
  conditions(): Conditions {
    return { leaseId: this.#id };
  }

  /**
   * The kind of the error that stopped the background renewals (the lease was
   * broken, or renewals kept failing until it ran out), or undefined while they go on.
   */
  renewalError(): ErrorKind | undefined {
    return this.#failure?.kind;
  }

  /** Stops the renewals and releases the lease, so another client may acquire it at once. */
  async release(): Promise<void> {
    this.#stop();
    await this.#blob.releaseLease(this.#id);
  }

  /** Stops the renewals without releasing the lease (see the class's documentation). */
  [Symbol.dispose](): void {
    this.#stop();
  }

  #stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Renews the lease every `interval` until a renewal fails for good: the
   * pipeline already retried it, so a failure means the lease is lost
   * (broken, taken after it ran out) or the service has been unreachable for
   * longer than the retries.
   */
  #schedule(interval: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#blob.renewLease(this.#id).then(
        () => this.#schedule(interval),
        (err: unknown) => {
          this.#failure =
            err instanceof AzblobError
              ? err
              : errorOfKind("Transport", { message: `renewing the lease failed: ${String(err)}`, cause: err });
        },
      );
    }, interval);
    this.#timer.unref?.();
  }
}
