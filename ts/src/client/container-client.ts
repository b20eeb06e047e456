import { containerUrl } from "../ops/names.js";
import { BlobClient } from "./blob-client.js";
import type { ServiceInner } from "./service-inner.js";

/** A client for one container. */
export class ContainerClient {
  readonly #inner: ServiceInner;
  /** The container's name. */
  readonly name: string;

  /** @internal Made by `BlobServiceClient.container`. */
  constructor(inner: ServiceInner, name: string) {
    this.#inner = inner;
    this.name = name;
  }

  /** The container's URL; throws `InvalidInputError` for an invalid name. */
  url(): URL {
    return containerUrl(this.#inner.endpoint, this.name);
  }

  /** A client for one blob of this container. */
  blob(name: string): BlobClient {
    return new BlobClient(this.#inner, this.name, name);
  }
}
