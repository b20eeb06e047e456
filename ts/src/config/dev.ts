/** The development storage (Azurite) account name. */
export const DEV_ACCOUNT = "devstoreaccount1";
/** The development storage account's well-known key; public, not a secret. */
export const DEV_ACCOUNT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/** The development storage blob endpoint. */
export const DEV_BLOB_ENDPOINT = "http://127.0.0.1:10000/devstoreaccount1";
