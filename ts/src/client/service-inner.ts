import type { Credential } from "../auth/credential.js";
import type { CredentialScope } from "../auth/scope.js";
import type { Pipeline } from "../pipeline/pipeline.js";
import type { SeededRng } from "../sim/seeded-rng.js";
import type { Simulation } from "../sim/simulation.js";

/** The state every client of one service shares. */
export interface ServiceInner {
  account: string;
  endpoint: URL;
  credential: Credential;
  scope: CredentialScope;
  pipeline: Pipeline;
  /** The client's randomness (upload session ids): seeded from the cassette when simulating. */
  rng: SeededRng;
  /** How many times a broken Get Blob body is resumed (the retry count). */
  bodyResumes: number;
  simulation: Simulation | undefined;
}

/** The key of a client's internal state, for the library's own modules (not exported from the package). */
export const INNER: unique symbol = Symbol("azblob.inner");

/** The key of a `CopySource`'s blob and selector, when it is a blob of a client (internal). */
export const SOURCE_BLOB: unique symbol = Symbol("azblob.sourceBlob");

/** The key of `BlobClient`'s Put Blob and Get Blob that carry a transfer's congestion counter (internal). */
export const WITH_CONGESTION: unique symbol = Symbol("azblob.withCongestion");

/** The key of `BlobClient`'s range reader, through which a many-file download runs the download engine (internal). */
export const RANGE_READER: unique symbol = Symbol("azblob.rangeReader");
