/**
 * Why no (usable) response came: the connection was never made, timed out,
 * broke, the answer was longer than the request allows (`too-long`), or something else.
 */
export type WireErrorKind = "connect" | "timeout" | "io" | "too-long" | "other";

/**
 * The failure of a wire that got no response at all; a 404 or a 503 is a
 * response, never this. The retry policy decides on `transportKind` only.
 */
export class WireError extends Error {
  readonly transportKind: WireErrorKind;

  constructor(transportKind: WireErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WireError";
    this.transportKind = transportKind;
  }

  /** Whether the request certainly never left the client (a connection that could not be made). */
  get isConnect(): boolean {
    return this.transportKind === "connect";
  }
}
