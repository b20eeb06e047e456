import { invalidInput } from "../errors/kinds.js";

/** A snapshot or a version of a blob instead of the current one. */
export interface BlobSelector {
  /** A snapshot's timestamp (`snapshot=`). */
  snapshot?: string | undefined;
  /** A version id (`versionid=`). */
  versionId?: string | undefined;
}

/** Adds `snapshot=` or `versionid=`; refuses both at once and empty values (the service would read "current"). */
export function applySelector(url: URL, selector: BlobSelector = {}): void {
  if (selector.snapshot !== undefined && selector.versionId !== undefined) {
    throw invalidInput("a request can select a snapshot or a version, not both");
  }
  // Checked one by one, not through a list of pairs: every read goes through here.
  if (selector.snapshot !== undefined && selector.snapshot.trim() === "") {
    throw invalidInput("the snapshot to select is empty");
  }
  if (selector.versionId !== undefined && selector.versionId.trim() === "") {
    throw invalidInput("the version id to select is empty");
  }
  if (selector.snapshot !== undefined) url.searchParams.append("snapshot", selector.snapshot);
  if (selector.versionId !== undefined) url.searchParams.append("versionid", selector.versionId);
}

/** Whether neither a snapshot nor a version is selected. */
export function isCurrent(selector: BlobSelector = {}): boolean {
  return selector.snapshot === undefined && selector.versionId === undefined;
}
