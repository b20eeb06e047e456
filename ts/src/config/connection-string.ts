// Parsing of Azure Storage connection strings.
// https://learn.microsoft.com/azure/storage/common/storage-configure-connection-string

import { invalidInput } from "../errors/kinds.js";
import { validateAccountName } from "../ops/names.js";
import { ClientBuilder } from "./client-builder.js";
import { DEV_ACCOUNT, DEV_ACCOUNT_KEY, DEV_BLOB_ENDPOINT } from "./dev.js";

/** The fields of a connection string that matter to the blob service. */
interface ConnectionString {
  accountName?: string;
  accountKey?: string;
  protocol?: string;
  endpointSuffix?: string;
  blobEndpoint?: string;
  sas?: string;
  development: boolean;
}

/** Keys of other services' settings, accepted and ignored. */
const IGNORED_KEYS = ["queueendpoint", "tableendpoint", "fileendpoint", "dfsendpoint", "queuesecondaryendpoint"];

/**
 * How an error names the key of segment `index`: the key itself when it looks
 * like a setting's name, else only its position. A key pasted without
 * `AccountKey=` splits at its base64 padding, so what sits before the first
 * `=` is most of the secret; it must not be printed.
 */
function shownKey(key: string, index: number): string {
  return /^[A-Za-z]{1,32}$/.test(key) ? key : `key of segment ${index + 1}`;
}

function parse(text: string): ConnectionString {
  const cs: ConnectionString = { development: false };
  const seen: string[] = [];
  text.split(";").forEach((raw, index) => {
    const segment = raw.trim();
    if (segment === "") return;
    // Values (keys, signatures) may contain '='; split at the first one.
    const eq = segment.indexOf("=");
    if (eq < 0) throw invalidInput(`connection string segment ${index + 1} is not Key=Value`);
    const key = segment.slice(0, eq).trim();
    const shown = shownKey(key, index);
    const lower = key.toLowerCase();
    if (seen.includes(lower)) throw invalidInput(`connection string sets ${shown} twice`);
    seen.push(lower);
    const value = segment.slice(eq + 1).trim();
    if (value === "") throw invalidInput(`connection string has an empty ${shown}`);
    switch (lower) {
      case "accountname":
        cs.accountName = value;
        break;
      case "accountkey":
        cs.accountKey = value;
        break;
      case "defaultendpointsprotocol":
        cs.protocol = value.toLowerCase();
        break;
      case "endpointsuffix":
        cs.endpointSuffix = value;
        break;
      case "blobendpoint":
        cs.blobEndpoint = value;
        break;
      case "sharedaccesssignature":
        cs.sas = value;
        break;
      case "usedevelopmentstorage":
        if (value.toLowerCase() !== "true") throw invalidInput("UseDevelopmentStorage must be true when present");
        cs.development = true;
        break;
      case "developmentstorageproxyuri":
        throw invalidInput("DevelopmentStorageProxyUri is not supported");
      default:
        if (!IGNORED_KEYS.includes(lower)) throw invalidInput(`unknown connection string key ${shown}`);
    }
  });
  if (seen.length === 0) throw invalidInput("the connection string is empty");
  return cs;
}

/** A builder configured from a connection string, with the same checks and errors as Rust. */
export function builderFromConnectionString(text: string): ClientBuilder {
  const cs = parse(text);
  if (cs.development) {
    return new ClientBuilder().endpoint(cs.blobEndpoint ?? DEV_BLOB_ENDPOINT).sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY);
  }
  if (cs.accountKey !== undefined && cs.sas !== undefined) {
    throw invalidInput("the connection string has both AccountKey and SharedAccessSignature; keep one");
  }
  if (cs.protocol !== undefined && cs.protocol !== "http" && cs.protocol !== "https") {
    throw invalidInput(`DefaultEndpointsProtocol must be http or https, got ${JSON.stringify(cs.protocol)}`);
  }
  let endpoint: string;
  if (cs.blobEndpoint !== undefined) {
    endpoint = cs.blobEndpoint;
  } else if (cs.accountName !== undefined) {
    validateAccountName(cs.accountName);
    endpoint = `${cs.protocol ?? "https"}://${cs.accountName}.blob.${cs.endpointSuffix ?? "core.windows.net"}`;
  } else {
    throw invalidInput("the connection string needs AccountName or BlobEndpoint");
  }
  let builder = new ClientBuilder().endpoint(endpoint);
  // An explicit http protocol is the user's consent to plain HTTP.
  if (cs.protocol === "http") builder = builder.allowHttp(true);
  if (cs.accountName !== undefined) builder = builder.account(cs.accountName);
  if (cs.accountKey !== undefined) {
    if (cs.accountName === undefined) throw invalidInput("the connection string has AccountKey but no AccountName");
    return builder.sharedKey(cs.accountName, cs.accountKey);
  }
  if (cs.sas !== undefined) return builder.sasToken(cs.sas);
  return builder;
}
