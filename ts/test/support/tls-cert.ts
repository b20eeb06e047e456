// A fresh self-signed certificate for a test's own TLS server, made by openssl.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A key and its self-signed certificate (PEM) for `subjectAltName` (e.g. `DNS:localhost,IP:127.0.0.1`), valid a day. */
export function selfSignedCert(subjectAltName: string): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "azblob-ts-cert-"));
  try {
    const [key, cert] = [join(dir, "key.pem"), join(dir, "cert.pem")];
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=azblob-test"],
        ...["-addext", `subjectAltName=${subjectAltName}`, "-keyout", key, "-out", cert],
      ],
      { stdio: "ignore", timeout: 60_000 },
    );
    return { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
