// Configuration from environment variables, as the Azure CLI and SDKs read them (Rust `config/env.rs`).

import { type DefaultCredentialOptions, defaultAzureCredential } from "../auth/entra/chain.js";
import type { TokenCredential } from "../auth/token.js";
import { invalidInput } from "../errors/kinds.js";
import { ClientBuilder } from "./client-builder.js";

/** Which kind of credential {@link ClientBuilder.fromEnv} uses. */
export type EnvAuth = "auto" | "entra" | "shared-key" | "sas";

/** Options of {@link ClientBuilder.fromEnv}. */
export interface FromEnvOptions {
  /** Which credential to use (default `auto`: the key or SAS if configured, else Microsoft Entra ID). */
  auth?: EnvAuth;
  /** Reads a variable (default: `process.env`, empty values as absent). */
  vars?: (name: string) => string | undefined;
  /**
   * The Microsoft Entra ID credential to use where the configuration means
   * Entra ID (default: the default chain from the same variables: client
   * secret, workload identity, managed identity).
   */
  tokenCredential?: TokenCredential;
  /** Settings of the default chain, when it is used. */
  defaultCredential?: DefaultCredentialOptions;
}

function processVars(name: string): string | undefined {
  const value = process.env[name];
  return value === "" ? undefined : value;
}

/** A builder from `AZURE_STORAGE_*` variables. */
export function builderFromEnv(options: FromEnvOptions = {}): ClientBuilder {
  const get = options.vars ?? processVars;
  const auth = options.auth ?? "auto";
  const endpoint = get("AZURE_STORAGE_BLOB_ENDPOINT");
  const connectionString = get("AZURE_STORAGE_CONNECTION_STRING");
  // A connection string without a key or SAS means anonymous access; an account without one means Entra ID.
  const anonymousMeansEntra = connectionString === undefined;
  let builder: ClientBuilder;
  if (connectionString !== undefined) {
    builder = ClientBuilder.fromConnectionString(connectionString);
    if (endpoint !== undefined) builder = builder.endpoint(endpoint);
  } else {
    const account = get("AZURE_STORAGE_ACCOUNT");
    if (account === undefined && endpoint === undefined) {
      throw invalidInput(
        "no storage configuration: set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT " +
          "(with AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN, or Microsoft Entra ID variables)",
      );
    }
    builder = new ClientBuilder();
    if (account !== undefined) builder = builder.account(account);
    if (endpoint !== undefined) builder = builder.endpoint(endpoint);
    const key = get("AZURE_STORAGE_KEY");
    const sas = get("AZURE_STORAGE_SAS_TOKEN");
    if (key !== undefined && auth !== "sas") {
      if (account === undefined) throw invalidInput("AZURE_STORAGE_KEY is set but AZURE_STORAGE_ACCOUNT is not");
      builder = builder.sharedKey(account, key);
    } else if (sas !== undefined && auth !== "shared-key") {
      builder = builder.sasToken(sas);
    }
  }
  const configured = builder.credentialKind();
  const wantsEntra = auth === "entra" || (auth === "auto" && configured === "anonymous" && anonymousMeansEntra);
  if (wantsEntra) {
    return builder.tokenCredential(options.tokenCredential ?? defaultAzureCredential(get, options.defaultCredential));
  }
  if (auth === "shared-key" && configured !== "shared-key") {
    throw invalidInput(
      "Shared Key authorization needs AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY (or a connection string with AccountKey)",
    );
  }
  if (auth === "sas" && configured !== "sas") {
    throw invalidInput(
      "SAS authorization needs AZURE_STORAGE_SAS_TOKEN (or a connection string with SharedAccessSignature)",
    );
  }
  return builder;
}
