// ChainedTokenCredential: the first credential of a list that gives a token,
// remembered; and the default chain built from the environment's variables:
// client secret, workload identity, managed identity, Azure CLI.

import { inspect } from "node:util";
import { AzblobError } from "../../errors/azblob-error.js";
import { errorOfKind } from "../../errors/kinds.js";
import type { AccessToken, TokenCredential } from "../token.js";
import { AzureCliCredential, type AzureCliOptions } from "./azure-cli.js";
import { ClientCredential } from "./client-credential.js";
import { ManagedIdentityCredential } from "./managed-identity.js";

/** A link: a credential, or why it could not be set up (errors still name it). */
type Link = { name: string; credential: TokenCredential } | { name: string; unavailable: string };

/** The first credential that gives a token wins, and is used from then on. */
export class ChainedTokenCredential implements TokenCredential {
  readonly #links: Link[] = [];
  #chosen: TokenCredential | undefined;

  /** Appends a credential named `name` (the name appears in errors). */
  link(name: string, credential: TokenCredential): this {
    this.#links.push({ name, credential });
    return this;
  }

  /** Appends a link that could not be set up, so that errors still mention it. */
  unavailable(name: string, reason: string): this {
    this.#links.push({ name, unavailable: reason });
    return this;
  }

  /** The names of the links, in order. */
  linkNames(): string[] {
    return this.#links.map((l) => l.name);
  }

  async getToken(scopes: readonly string[]): Promise<AccessToken> {
    if (this.#chosen) return this.#chosen.getToken(scopes);
    const failures: string[] = [];
    for (const link of this.#links) {
      if ("unavailable" in link) {
        failures.push(`${link.name}: ${link.unavailable}`);
        continue;
      }
      try {
        const token = await link.credential.getToken(scopes);
        this.#chosen = link.credential;
        return token;
      } catch (err) {
        failures.push(
          `${link.name}: ${err instanceof AzblobError || err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    if (failures.length === 0) failures.push("the chain has no credentials");
    throw errorOfKind("Unauthenticated", { message: `no credential produced a token (${failures.join("; ")})` });
  }

  [inspect.custom](): string {
    return `ChainedTokenCredential ${inspect(this.linkNames())}`;
  }
}

/** Settings of the default chain. */
export interface DefaultCredentialOptions {
  /** The Azure CLI link's settings, or `false` to leave it out. */
  azureCli?: AzureCliOptions | false;
}

/** The default chain from `get` (the process environment, or a map in tests). */
export function defaultAzureCredential(
  get: (name: string) => string | undefined,
  options: DefaultCredentialOptions = {},
): ChainedTokenCredential {
  const chain = new ChainedTokenCredential();
  const tenantId = get("AZURE_TENANT_ID");
  const clientId = get("AZURE_CLIENT_ID");
  const authority = get("AZURE_AUTHORITY_HOST");
  const link = (name: string, make: () => TokenCredential, missing: string | undefined): void => {
    if (missing) {
      chain.unavailable(name, missing);
      return;
    }
    try {
      chain.link(name, make());
    } catch (err) {
      chain.unavailable(name, (err as Error).message);
    }
  };
  const secret = get("AZURE_CLIENT_SECRET");
  link(
    "environment (client secret)",
    () =>
      new ClientCredential({
        tenantId: tenantId ?? "",
        clientId: clientId ?? "",
        clientSecret: secret ?? "",
        ...(authority !== undefined ? { authorityHost: authority } : {}),
      }),
    tenantId && clientId && secret
      ? undefined
      : "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET are not all set",
  );
  const tokenFile = get("AZURE_FEDERATED_TOKEN_FILE");
  link(
    "workload identity",
    () =>
      new ClientCredential({
        tenantId: tenantId ?? "",
        clientId: clientId ?? "",
        federatedTokenFile: tokenFile ?? "",
        ...(authority !== undefined ? { authorityHost: authority } : {}),
      }),
    tenantId && clientId && tokenFile
      ? undefined
      : "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE are not all set",
  );
  link("managed identity", () => ManagedIdentityCredential.fromVars(get, clientId), undefined);
  if (options.azureCli !== false) {
    const cli: AzureCliOptions = { ...(tenantId !== undefined ? { tenantId } : {}), ...options.azureCli };
    link("Azure CLI", () => new AzureCliCredential(cli), undefined);
  }
  return chain;
}
