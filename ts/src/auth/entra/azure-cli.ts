// AzureCliCredential: tokens of the developer signed in with `az login`. It
// runs `az account get-access-token --output json --resource ...` without a
// shell, under a timeout, and reads `accessToken` and `expires_on` (a Unix
// time, printed by Azure CLI 2.54 and later).
// https://learn.microsoft.com/cli/azure/account#az-account-get-access-token

import { execFile } from "node:child_process";
import { inspect } from "node:util";
import { errorOfKind, invalidInput, invalidResponse } from "../../errors/kinds.js";
import { Secret } from "../../redact/secret.js";
import type { AccessToken, TokenCredential } from "../token.js";
import { TokenCache } from "./cache.js";

const FLOW = "Azure CLI credential";

/** Which `az`, for which tenant, how long to wait. */
export interface AzureCliOptions {
  /** The program (default `az`, `az.cmd` on Windows). */
  program?: string;
  tenantId?: string;
  /** How long `az` may take, in ms (default 10,000). */
  timeoutMs?: number;
}

/** The arguments of `az account get-access-token` for one scope; values starting with '-' are refused. */
export function azArguments(scopes: readonly string[], tenantId: string | undefined): string[] {
  if (scopes.length !== 1) throw invalidInput(`${FLOW}: exactly one scope is supported, got ${scopes.length}`);
  const scope = scopes[0] ?? "";
  const resource = scope.replace(/\/\.default$/, "");
  // No shell is involved, but a value starting with '-' would still read as an option.
  const safe = (v: string): boolean => v !== "" && !v.startsWith("-") && /^[\x21-\x7e]+$/.test(v);
  if (!safe(resource)) throw invalidInput(`${FLOW}: invalid scope ${JSON.stringify(scope)}`);
  const args = ["account", "get-access-token", "--output", "json", "--resource", resource];
  if (tenantId !== undefined) {
    if (!safe(tenantId)) throw invalidInput(`${FLOW}: invalid tenant id ${JSON.stringify(tenantId)}`);
    args.push("--tenant", tenantId);
  }
  return args;
}

/** Parses the output of `az`; it is never echoed (it holds the token). */
export function parseAzOutput(stdout: string): AccessToken {
  let parsed: { accessToken?: unknown; expires_on?: unknown };
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw invalidResponse(`${FLOW}: the output of az is not the expected JSON`);
  }
  if (typeof parsed.accessToken !== "string" || parsed.accessToken === "") {
    throw invalidResponse(`${FLOW}: the output of az has no accessToken`);
  }
  // `expiresOn` is a local time without a zone; only `expires_on` is unambiguous.
  const on = typeof parsed.expires_on === "string" ? Number(parsed.expires_on.trim()) : parsed.expires_on;
  if (typeof on !== "number" || !Number.isFinite(on) || on < 0) {
    throw invalidResponse(`${FLOW}: the output of az has no expires_on; Azure CLI 2.54 or later is needed`);
  }
  return { token: new Secret(parsed.accessToken), expiresOn: new Date(on * 1000) };
}

/** A `TokenCredential` from the Azure CLI's signed-in account. */
export class AzureCliCredential implements TokenCredential {
  readonly #program: string;
  readonly #tenantId: string | undefined;
  readonly #timeoutMs: number;
  readonly #cache = new TokenCache();

  constructor(options: AzureCliOptions = {}) {
    this.#program = options.program ?? (process.platform === "win32" ? "az.cmd" : "az");
    this.#tenantId = options.tenantId;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  getToken(scopes: readonly string[]): Promise<AccessToken> {
    return this.#cache.get(() => this.#fetch(scopes));
  }

  #fetch(scopes: readonly string[]): Promise<AccessToken> {
    const args = azArguments(scopes, this.#tenantId);
    return new Promise((resolve, reject) => {
      // A timed-out CLI is killed, not left running.
      execFile(this.#program, args, { timeout: this.#timeoutMs, windowsHide: true }, (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { killed?: boolean };
          if (e.code === "ENOENT") {
            reject(errorOfKind("Unauthenticated", { message: `${FLOW}: ${this.#program} is not installed` }));
          } else if (e.killed) {
            reject(errorOfKind("Timeout", { message: `${FLOW}: az did not answer within ${this.#timeoutMs} ms` }));
          } else {
            // stderr says why (e.g. "Please run 'az login'"); stdout is never shown, it may hold a token.
            const reason =
              stderr
                .split("\n")
                .map((l) => l.trim())
                .find((l) => l !== "") ?? "no message";
            reject(errorOfKind("Unauthenticated", { message: `${FLOW}: az exited with ${e.code}: ${reason}` }));
          }
          return;
        }
        try {
          resolve(parseAzOutput(stdout));
        } catch (parseErr) {
          reject(parseErr);
        }
      });
    });
  }

  [inspect.custom](): string {
    return `AzureCliCredential { program: ${JSON.stringify(this.#program)} }`;
  }
}
