// Secret detection before a cassette is saved (docs/cassette-format.md,
// "Secret detection"): deliberately broader than the sanitizer, so a secret
// the sanitizer misses is refused rather than written.

const ABSENT = new Set(["", "REDACTED", "None", "null"]);
const END = "[^\\s\\x00-\\x1f\"'&;,<>\\\\)\\]}]*";

const SHAPES: Array<[string, RegExp, (m: RegExpExecArray) => boolean]> = [
  [
    "account key",
    /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]+={1,2}(?![A-Za-z0-9+/=])/g,
    (m) => m[0].length >= 86 && m[0].length <= 88,
  ],
  ["SAS signature", new RegExp(`sig=(${END})`, "gi"), (m) => !ABSENT.has(m[1] ?? "")],
  [
    "Shared Key signature",
    new RegExp(`SharedKey(?:Lite)?[ \\t]+[^\\s:]*:(${END})`, "gi"),
    (m) => !ABSENT.has(m[1] ?? ""),
  ],
  ["bearer token", /bearer\s+(\S{8,})/gi, (m) => !(m[1] ?? "").startsWith("REDACTED")],
  ["JWT", /(?<![A-Za-z0-9_\-.])eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){2,}/g, (m) => m[0].length >= 16],
  ["JWT", /(?<![A-Za-z0-9_\-.])eyJ[A-Za-z0-9_-]{8,}\./g, () => true],
  [
    "named credential",
    new RegExp(
      `(?<![A-Za-z0-9_-])(?:AccountKey|SharedAccessSignature|client_secret|client_assertion|access_token|refresh_token|id_token|password|x-ms-encryption-key|x-ms-source-encryption-key)(?![A-Za-z0-9_-])"?[ \\t]*[=:][ \\t]*"?[ \\t]*(${END})`,
      "gi",
    ),
    (m) => !ABSENT.has(m[1] ?? ""),
  ],
];

const CREDENTIAL_HEADERS = [
  "authorization",
  "proxy-authorization",
  "x-ms-copy-source-authorization",
  "x-ms-encryption-key",
  "x-ms-source-encryption-key",
];

/** The name of the first secret shape in `text` (or its percent-decoded form), or `undefined`. */
export function findSecret(text: string): string | undefined {
  let decoded = text;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    // Text that is not valid percent-encoding is checked as it is.
  }
  for (const candidate of decoded === text ? [text] : [text, decoded]) {
    for (const [name, pattern, counts] of SHAPES) {
      pattern.lastIndex = 0;
      for (let m = pattern.exec(candidate); m !== null; m = pattern.exec(candidate)) {
        if (counts(m)) return name;
      }
    }
  }
  return undefined;
}

/** Whether a header of this name holds a credential that is not redacted. */
export function isUnredactedCredentialHeader(name: string, value: string): boolean {
  return CREDENTIAL_HEADERS.includes(name) && !value.endsWith("REDACTED");
}
