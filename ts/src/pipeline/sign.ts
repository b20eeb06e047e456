// The sign policy sits inside the retry policy, so every attempt gets a fresh
// `x-ms-date` and a fresh token. It first checks the URL against the client's
// CredentialScope and refuses anything else with InvalidInput, unsent.

import type { Credential } from "../auth/credential.js";
import type { CredentialScope } from "../auth/scope.js";
import { STORAGE_SCOPE } from "../auth/token.js";
import { invalidInput } from "../errors/kinds.js";
import { isLoopback } from "../net.js";
import type { Policy } from "../wire/policy.js";
import { cloneRequest, type Request, withOwnHeaders } from "../wire/request.js";

/** The sign policy for `credential`, limited to `scope`. */
export function signPolicy(credential: Credential, scope: CredentialScope): Policy {
  const signParts = signWithParts(credential, scope);
  return (original, next) => {
    // A token is awaited and a batch signs its parts: those take the general path.
    if (credential.kind === "token" || original.subRequests) return signParts(original, next);
    // A key, a SAS or nothing signs synchronously, so the attempt goes on with no promise of its own.
    try {
      // A SAS is added to the URL, so that credential signs a copy of it
      // (a retry starts again from the original); the others change headers only.
      const request = credential.kind === "sas" ? cloneRequest(original) : withOwnHeaders(original);
      scope.check(credential, request.url);
      authorize(request, credential, httpDateNow(), undefined);
      return next(request);
    } catch (err) {
      return Promise.reject(err);
    }
  };
}

/** The sign policy's general path: a bearer token fetched, a batch's parts checked and signed. */
function signWithParts(credential: Credential, scope: CredentialScope): Policy {
  return async (original, next) => {
    // A SAS is added to the URL, so that credential signs a copy of it
    // (a retry starts again from the original); the others change headers only.
    const request = credential.kind === "sas" ? cloneRequest(original) : withOwnHeaders(original);
    // A batch's parts are checked and signed like the request itself, on
    // every attempt, so a retry never resends stale dates, signatures or tokens.
    const parts = (request.subRequests?.parts ?? []).map(cloneRequest);
    for (const r of [request, ...parts]) {
      scope.check(credential, r.url);
      if (credential.kind === "token" && r.url.protocol !== "https:" && !isLoopback(r.url)) {
        throw invalidInput("a bearer token is only sent over https:// (or to loopback hosts)");
      }
    }
    const date = httpDateNow();
    const bearer =
      credential.kind === "token"
        ? `Bearer ${(await credential.source.getToken([STORAGE_SCOPE])).token.expose()}`
        : undefined;
    for (const part of parts) authorize(part, credential, date, bearer);
    if (request.subRequests) {
      request.body = request.subRequests.encode(request.subRequests.boundary, parts);
      request.subRequests = undefined;
    }
    authorize(request, credential, date, bearer);
    return next(request);
  };
}

/** The second `dateText` was made for, and the `x-ms-date` text of that second. */
let dateSecond = Number.NaN;
let dateText = "";

/**
 * Now as an HTTP date (`x-ms-date`). It changes once a second, so the text
 * is made once a second, not for every attempt.
 */
function httpDateNow(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateText = new Date(second * 1000).toUTCString();
    dateSecond = second;
  }
  return dateText;
}

/** Stamps the date and authorizes one (sub-)request. */
function authorize(request: Request, credential: Credential, date: string, bearer: string | undefined): void {
  request.headers.set("x-ms-date", date);
  switch (credential.kind) {
    case "shared-key":
      credential.key.authorize(request);
      break;
    case "sas":
      credential.token.apply(request.url);
      break;
    case "token":
      if (bearer) request.headers.set("authorization", bearer);
      break;
    case "anonymous":
      break;
  }
}
