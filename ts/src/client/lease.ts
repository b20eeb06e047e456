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
  /** The fixed duration in milliseconds; undefined for an infinite lease. */
  readonly #durationMs: number | undefined;
  /** When the last successful renewal (or the acquisition) was sent, in `Date.now()` milliseconds. */
  #lastRenewed: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #failure: AzblobError | undefined;

  private constructor(blob: LeasedBlob, id: string, durationMs: number | undefined, sent: number) {
    this.#blob = blob;
    this.#id = id;
    this.#durationMs = durationMs;
    this.#lastRenewed = sent;
  }

  /** Acquires the blob's lease and, for a fixed duration, starts renewing it. */
  static acquire(blob: LeasedBlob, duration: LeaseDuration): Promise<Lease> {
    return Lease.acquireOpts(blob, duration, {});
  }

  /** {@link acquire} with a proposed id or under conditions. */
  static async acquireOpts(blob: LeasedBlob, duration: LeaseDuration, options: AcquireLeaseOptions): Promise<Lease> {
    const sent = Date.now();
    const granted = await blob.acquireLeaseOpts(duration, options);
    const durationMs = duration === "infinite" ? undefined : duration * 1000;
    const lease = new Lease(blob, granted.leaseId, durationMs, sent);
    if (durationMs !== undefined) lease.#schedule(durationMs / 3);
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
   * Why the lease may no longer be held, or undefined while it is: the kind
   * of the error the service answered a renewal with (the lease was broken,
   * or taken after it ran out), or `"Timeout"` once the lease's duration has
   * passed since its last successful renewal (the service did not answer in
   * time, or renewals kept failing until it ran out).
   */
  renewalError(): ErrorKind | undefined {
    if (this.#failure) return this.#failure.kind;
    const expires = this.expiresAt();
    return expires !== undefined && Date.now() >= expires ? "Timeout" : undefined;
  }

  /**
   * When the lease runs out unless it is renewed again, in `Date.now()`
   * milliseconds: its duration after the last successful renewal was sent.
   * Undefined for an infinite lease. The service may hold it a little longer
   * (it starts the duration when the request arrives), never less.
   */
  expiresAt(): number | undefined {
    return this.#durationMs === undefined ? undefined : this.#lastRenewed + this.#durationMs;
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
   * Renews the lease every third of its duration until it is lost: the
   * service refused a renewal, or none succeeded before the lease would have
   * run out. Each renewal may only take the time the lease has left, since a
   * renewal answered after that cannot have kept it; one that failed for a
   * passing reason (no answer, a busy service) is tried again after a pause.
   */
  #schedule(wait: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#renew();
    }, wait);
    this.#timer.unref?.();
  }

  async #renew(): Promise<void> {
    const durationMs = this.#durationMs ?? 0;
    const sent = Date.now();
    const left = this.#lastRenewed + durationMs - sent;
    if (left <= 0) return this.#lapsed();
    let timeout: ReturnType<typeof setTimeout> | undefined;
    const outOfTime = new Promise<"lapsed">((resolve) => {
      timeout = setTimeout(() => resolve("lapsed"), left);
      timeout.unref?.();
    });
    try {
      const outcome = await Promise.race([this.#blob.renewLease(this.#id).then(() => "renewed" as const), outOfTime]);
      if (outcome === "lapsed") return this.#lapsed();
      this.#lastRenewed = sent;
      this.#schedule(durationMs / 3);
    } catch (err) {
      if (refused(err)) {
        this.#failure =
          err instanceof AzblobError
            ? err
            : errorOfKind("Transport", { message: `renewing the lease failed: ${String(err)}`, cause: err });
        return;
      }
      this.#schedule(Math.min(RENEWAL_RETRY_PAUSE_MS, left));
    } finally {
      clearTimeout(timeout);
    }
  }

  /** Records that the lease ran out before a renewal succeeded. */
  #lapsed(): void {
    const seconds = (this.#durationMs ?? 0) / 1000;
    this.#failure = errorOfKind("Timeout", {
      message: `the lease ran out: no renewal succeeded within its ${seconds} s duration`,
    });
  }
}

/** The wait before trying a failed renewal again, so a service that refuses connections is not hammered. */
const RENEWAL_RETRY_PAUSE_MS = 1000;

/**
 * Whether the service answered a renewal with a refusal that trying again
 * cannot change (a broken lease, another lease id, a deleted blob), as
 * opposed to no answer, a timeout or a busy service.
 */
function refused(err: unknown): boolean {
  return err instanceof AzblobError && err.status !== undefined && !err.isRetryable;
}
