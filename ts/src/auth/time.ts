/** `YYYY-MM-DDThh:mm:ssZ` (UTC, whole seconds), as SAS `st`/`se` fields want it. */
export function iso8601(t: Date): string {
  const secs = Math.max(0, Math.floor(t.getTime() / 1000));
  return `${new Date(secs * 1000).toISOString().slice(0, 19)}Z`;
}
