// Lease Blob: acquire, renew, change, release and break a blob's write lock.
// https://learn.microsoft.com/rest/api/storageservices/lease-blob

import { invalidInput, invalidResponse } from "../errors/kinds.js";
import { newRequest, type Request, type Response } from "../wire/request.js";
import { type Accepted, applyAccepted, type Conditions, checkLeaseId, surviveOwnWrite } from "./conditions.js";
import * as ru from "./request-util.js";

/** The shortest fixed lease, in seconds. */
export const MIN_LEASE_SECS = 15;
/** The longest fixed lease, in seconds. */
export const MAX_LEASE_SECS = 60;
/** The longest break period, in seconds. */
export const MAX_BREAK_PERIOD_SECS = 60;

/** How long an acquired lease lasts unless renewed: 15 to 60 seconds, or `"infinite"` (until released or broken). */
export type LeaseDuration = number | "infinite";

/** The `x-ms-lease-duration` value, after checking the range. */
function durationHeader(duration: LeaseDuration): string {
  if (duration === "infinite") return "-1";
  if (!Number.isInteger(duration) || duration < MIN_LEASE_SECS || duration > MAX_LEASE_SECS) {
    throw invalidInput(
      `a lease lasts ${MIN_LEASE_SECS} to ${MAX_LEASE_SECS} seconds or is infinite, got ${String(duration)} seconds`,
    );
  }
  return String(duration);
}

/** Options of `acquireLeaseOpts`. */
export interface AcquireLeaseOptions {
  /** The lease id to ask for (a GUID); with it, a repeated acquire of the same lease succeeds, so it is retried. */
  proposedLeaseId?: string;
  /** ETag, date and tag conditions on the blob (no lease id: the blob has none yet). */
  conditions?: Conditions;
}

/** Options of `breakLeaseOpts`. */
export interface BreakLeaseOptions {
  /** Seconds (0 to 60) the lease goes on before it ends; unset lets a fixed lease run out and ends an infinite one at once. */
  breakPeriod?: number;
  /** ETag, date and tag conditions on the blob. */
  conditions?: Conditions;
}

/** What acquire, renew and change return. */
export interface LeaseGranted {
  /** The lease id, to pass as `Conditions.leaseId` on writes. */
  leaseId: string;
  etag: string | undefined;
  lastModified: Date | undefined;
}

/** One Lease Blob action. */
export type LeaseAction =
  | { action: "acquire"; duration: LeaseDuration; proposed?: string | undefined }
  | { action: "renew"; leaseId: string }
  | { action: "change"; leaseId: string; proposed: string }
  | { action: "release"; leaseId: string }
  | { action: "break"; period?: number | undefined };

/** Lease Blob takes ETag, date and tag conditions; the lease id travels as the action's own argument. */
const LEASE_ACCEPTS: Accepted = { etagAndDates: true, lease: false, tags: true };

function setId(request: Request, name: string, id: string): void {
  checkLeaseId(id);
  ru.setHeader(request, name, id);
}

/** Builds one Lease Blob request. */
export function buildLeaseRequest(url: URL, action: LeaseAction, conditions: Conditions = {}): Request {
  const request = newRequest("LeaseBlob", "PUT", url);
  ru.addQuery(request, "comp", "lease");
  ru.setHeader(request, "x-ms-lease-action", action.action);
  switch (action.action) {
    case "acquire":
      ru.setHeader(request, "x-ms-lease-duration", durationHeader(action.duration));
      if (action.proposed !== undefined) setId(request, "x-ms-proposed-lease-id", action.proposed);
      break;
    case "renew":
    case "release":
      setId(request, "x-ms-lease-id", action.leaseId);
      break;
    case "change":
      setId(request, "x-ms-lease-id", action.leaseId);
      setId(request, "x-ms-proposed-lease-id", action.proposed);
      break;
    case "break":
      if (action.period !== undefined) {
        if (!Number.isInteger(action.period) || action.period < 0 || action.period > MAX_BREAK_PERIOD_SECS) {
          throw invalidInput(`a break period is 0 to ${MAX_BREAK_PERIOD_SECS} seconds, got ${action.period}`);
        }
        ru.setHeader(request, "x-ms-lease-break-period", String(action.period));
      }
      break;
  }
  applyAccepted(request, conditions, LEASE_ACCEPTS, "Lease Blob");
  // Which actions a repeat after a lost answer leaves as the first left them:
  // renewing twice renews; a change succeeds when the lease already has the
  // proposed id; breaking a breaking or broken lease is allowed; an acquire
  // with a proposed id succeeds again on the lease it took. An acquire
  // without one would collide with its own lease (409 LeaseAlreadyPresent),
  // and a repeated release finds no lease (409). A condition the action
  // invalidates would fail the repeat.
  const safe = action.action === "acquire" ? action.proposed !== undefined : action.action !== "release";
  request.idempotent = safe && surviveOwnWrite(conditions);
  return request;
}

/** Parses the answer of acquire (201), renew or change (200). */
export function parseLeaseGranted(response: Response): LeaseGranted {
  if (response.status !== 200 && response.status !== 201) {
    throw invalidResponse(`Lease Blob answered HTTP ${response.status}`);
  }
  const h = response.headers;
  const leaseId = ru.required(h, "x-ms-lease-id");
  // The id goes into every later write; an answer that is not a GUID would
  // fail them all with a confusing error.
  try {
    checkLeaseId(leaseId);
  } catch {
    throw invalidResponse(`the service answered a lease id that is not a GUID: ${JSON.stringify(leaseId)}`);
  }
  return { leaseId, etag: h.get("etag"), lastModified: ru.date(h, "last-modified") };
}

/** Parses the answer of break (202): seconds until the lease is broken. */
export function parseLeaseBroken(response: Response): number {
  if (response.status !== 202) throw invalidResponse(`Lease Blob (break) answered HTTP ${response.status}`);
  const secs = ru.num(response.headers, "x-ms-lease-time");
  if (secs === undefined) throw invalidResponse("the break answer has no x-ms-lease-time header");
  return secs;
}
