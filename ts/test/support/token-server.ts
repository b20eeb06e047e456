// A local Microsoft Entra ID token endpoint with the same answers as the Rust
// tests' token server (crates/azblob/tests/token_server/mod.rs) for the
// client credentials grant: the same tenant, client, secret and object id, and
// unsigned JWTs with the claims Azurite's `--oauth basic` checks (audience,
// issuer, lifetime), which it accepts as it checks no signature.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
export const OBJECT_ID = "6f1c8a52-3d3b-4a1e-9a55-0b7d7a3c9e10";
export const CLIENT_ID = "11111111-2222-3333-4444-555555555555";
export const CLIENT_SECRET = "test-client-secret~value";
export const STORAGE_AUDIENCE = "https://storage.azure.com";

const base64url = (text: string): string => Buffer.from(text, "utf8").toString("base64url");

/** An unsigned JWT with the claims Azurite checks: `aud`, `iss`, `iat`, `nbf`, `exp`, `oid`, `tid`. */
export function mintJwt(audience: string, nowSecs: number, lifetimeSecs: number, serial: number): string {
  // nbf a little in the past: the test process and the emulator share a clock, but seconds truncate.
  const iat = nowSecs - 60;
  const claims = {
    aud: audience,
    iss: `https://sts.windows.net/${TENANT}/`,
    iat,
    nbf: iat,
    exp: nowSecs + lifetimeSecs,
    oid: OBJECT_ID,
    tid: TENANT,
    appid: CLIENT_ID,
    jti: `token-${serial}`,
  };
  const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }));
  return `${header}.${base64url(JSON.stringify(claims))}.${base64url("not-a-signature")}`;
}

/** The running server; `url` is the authority host to configure. */
export class TokenServer {
  readonly #server: Server;
  /** How many token requests arrived. */
  count = 0;
  /** The tokens handed out, in order. */
  readonly tokens: string[] = [];
  /** The audience of the tokens minted from now on. */
  audience = STORAGE_AUDIENCE;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<TokenServer> {
    let self: TokenServer | undefined;
    const server = createServer(async (req, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      const [status, json] = self
        ? self.#answer(req.method ?? "", req.url ?? "", new URLSearchParams(body))
        : [500, {}];
      res.writeHead(status, { "content-type": "application/json", connection: "close" });
      res.end(JSON.stringify(json));
    });
    self = new TokenServer(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  stop(): void {
    this.#server.close();
    this.#server.closeAllConnections();
  }

  #answer(method: string, path: string, form: URLSearchParams): [number, object] {
    const refuse = (status: number, error: string, description: string): [number, object] => [
      status,
      { error, error_description: description, correlation_id: "corr-42" },
    ];
    if (method !== "POST" || !path.endsWith("/oauth2/v2.0/token")) return [404, {}];
    this.count += 1;
    if (form.get("grant_type") !== "client_credentials" || form.get("client_id") !== CLIENT_ID) {
      return refuse(400, "invalid_request", "AADSTS900144: bad grant or client id.");
    }
    if (form.get("client_secret") !== CLIENT_SECRET) {
      return refuse(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
    }
    const lifetime = 3600;
    const token = mintJwt(this.audience, Math.floor(Date.now() / 1000), lifetime, this.count);
    this.tokens.push(token);
    return [200, { token_type: "Bearer", expires_in: lifetime, ext_expires_in: lifetime, access_token: token }];
  }
}
