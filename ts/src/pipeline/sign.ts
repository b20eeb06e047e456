// The sign policy sits inside the retry policy, so every attempt gets a fresh
// `x-ms-date` and a fresh token. It first checks the URL against the client's
// CredentialScope and refuses anything else with InvalidInput, unsent.

import type { Credential } from "../auth/credential.js";
import type { CredentialScope } from "../auth/scope.js";
import { STORAGE_SCOPE } from "../auth/token.js";
import { invalidInput } from "../errors/kinds.js";
import { isLoopback } from "../net.js";
import type { Policy } from "../wire/policy.js";
import { cloneRequest } from "../wire/request.js";

/** The sign policy for `credential`, limited to `scope`. */
export function signPolicy(credential: Credential, scope: CredentialScope): Policy {
  return async (original, next) => {
    const request = cloneRequest(original);
    scope.check(credential, request.url);
    if (credential.kind === "token" && request.url.protocol !== "https:" && !isLoopback(request.url)) {
      throw invalidInput("a bearer token is only sent over https:// (or to loopback hosts)");
    }
    request.headers.set("x-ms-date", new Date().toUTCString());
    switch (credential.kind) {
      case "shared-key":
        credential.key.authorize(request);
        break;
      case "sas":
        credential.token.apply(request.url);
        break;
      case "token": {
        const token = await credential.source.getToken([STORAGE_SCOPE]);
        request.headers.set("authorization", `Bearer ${token.token.expose()}`);
        break;
      }
      case "anonymous":
        break;
    }
    return next(request);
  };
}
