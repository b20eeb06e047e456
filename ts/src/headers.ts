/** The REST API version every request is stamped with (`x-ms-version`). */
export const DEFAULT_API_VERSION = "2023-11-03";
