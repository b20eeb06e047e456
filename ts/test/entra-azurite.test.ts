// Microsoft Entra ID end to end, as crates/azblob/tests/entra_azurite.rs does
// it in Rust: bearer tokens from the local token server (support/token-server.ts,
// the Rust server's answers) against Azurite with `--oauth basic` over TLS,
// trusting the emulator's fresh certificate. Azurite in this mode checks a
// token's claims (audience, issuer, lifetime) but not its signature. This
// process starts its own OAuth emulator, as the harness's have OAuth off;
// no test reaches a Microsoft endpoint. Every test and hook has a timeout
// (node:test has none by default), so a stuck emulator fails the run.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  type AzblobError,
  type BlobServiceClient,
  ClientBuilder,
  ClientCredential,
  type ContainerClient,
  DEV_ACCOUNT,
  DEV_ACCOUNT_KEY,
  type Next,
  Sas,
  SasToken,
  StaticTokenCredential,
} from "../src/index.js";
import { createContainer } from "./conformance/suite.js";
import { startOAuthEmulator, type TlsEmulator } from "./support/azurite.js";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  mintJwt,
  OBJECT_ID,
  STORAGE_AUDIENCE,
  TENANT,
  TokenServer,
} from "./support/token-server.js";

let emulator: TlsEmulator;
const servers: TokenServer[] = [];
/** The most a test (or a hook) may take. */
const TIMEOUT = { timeout: 120_000 };

before(async () => {
  emulator = await startOAuthEmulator();
}, TIMEOUT);
after(() => {
  emulator?.stop();
  for (const server of servers) server.stop();
});

async function tokenServer(): Promise<TokenServer> {
  const server = await TokenServer.start();
  servers.push(server);
  return server;
}

/** The emulator over HTTPS, its certificate trusted, without retries (a refusal shows at once). */
function builder(): ClientBuilder {
  return new ClientBuilder().endpoint(emulator.endpoint).rootCertificatePem(emulator.caPem).retry({ maxRetries: 0 });
}

/** A client authorized by the client secret flow against `server`. */
function tokenClient(server: TokenServer): BlobServiceClient {
  const credential = new ClientCredential({
    tenantId: TENANT,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    authorityHost: server.url,
  });
  return builder().tokenCredential(credential).build();
}

/** Creates a container with the token client (setup only: the library does not create containers). */
function newContainer(client: BlobServiceClient, prefix: string): Promise<ContainerClient> {
  return createContainer(client, `${prefix}-${randomBytes(4).toString("hex")}`);
}

async function names(container: ContainerClient): Promise<string[]> {
  const out: string[] = [];
  for await (const item of container.listBlobs()) out.push(item.name);
  return out;
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("utf8");

test("put, upload, get, list and delete with a bearer token over TLS (Azurite --oauth basic)", TIMEOUT, async () => {
  const server = await tokenServer();
  const client = tokenClient(server);
  assert.ok(emulator.endpoint.startsWith("https://"));
  const container = await newContainer(client, "entra");
  const blob = container.blob("dir/token.txt");
  await blob.put("authorized by Entra ID");
  assert.equal(text(await blob.download()), "authorized by Entra ID");
  assert.equal((await blob.properties()).contentLength, 22);
  // A block upload and a ranged download: every Put Block, the commit and every range carry the token.
  const data = randomBytes(300 * 1024);
  const report = await container
    .blob("dir/blocks.bin")
    .uploadOpts(data, { blockSize: 64 * 1024, singlePutMax: 0, concurrency: 2 });
  assert.equal(report.blocks, 5);
  const back = await container.blob("dir/blocks.bin").downloadOpts({ chunkSize: 64 * 1024, concurrency: 2 });
  assert.ok(Buffer.from(back).equals(data), "byte-exact over TLS");
  assert.deepEqual(await names(container), ["dir/blocks.bin", "dir/token.txt"]);
  await blob.delete();
  assert.equal(await blob.exists(), false);
  assert.deepEqual(await names(container), ["dir/blocks.bin"]);
  assert.equal(server.count, 1, "one token for every request");
});

test("a user delegation SAS works without any other credential", TIMEOUT, async () => {
  const server = await tokenServer();
  const client = tokenClient(server);
  const container = await newContainer(client, "udsas");
  await container.blob("report.txt").put("delegated");

  const now = Date.now();
  const key = await client.userDelegationKey(new Date(now - 60_000), new Date(now + 3_600_000));
  assert.deepEqual([key.signedOid, key.signedTid, key.signedService], [OBJECT_ID, TENANT, "b"]);
  const hour = new Date(now + 3_600_000);
  const sasClient = (token: SasToken): BlobServiceClient => builder().sasToken(token.toQuery()).build();

  // A blob SAS for reading: reads work, writes are refused.
  const read = Sas.blob(container.name, "report.txt", "r", hour).signUserDelegation(DEV_ACCOUNT, key);
  const reader = sasClient(read);
  assert.equal(text(await reader.blob(container.name, "report.txt").download()), "delegated");
  await assert.rejects(reader.blob(container.name, "report.txt").put("overwrite"), (err: AzblobError) =>
    ["PermissionDenied", "Unauthenticated"].includes(err.kind),
  );

  // A container SAS for creating and writing.
  const write = Sas.container(container.name, "cw", hour).signUserDelegation(DEV_ACCOUNT, key);
  await sasClient(write).blob(container.name, "new.txt").put("via user delegation");
  assert.equal(text(await container.blob("new.txt").download()), "via user delegation");

  // A tampered SAS is refused.
  const tampered = SasToken.parse(read.toQuery().replace("sp=r", "sp=rw"));
  await assert.rejects(sasClient(tampered).blob(container.name, "report.txt").put("x"), { status: 403 });
});

/** A client with one fixed token the credential believes valid for an hour; only the service knows better. */
function staticToken(audience: string, lifetimeSecs: number): BlobServiceClient {
  const token = mintJwt(audience, Math.floor(Date.now() / 1000), lifetimeSecs, 0);
  return builder()
    .tokenCredential(new StaticTokenCredential(token, new Date(Date.now() + 3_600_000)))
    .build();
}

test("expired tokens and wrong audiences are refused with a typed error", TIMEOUT, async () => {
  const server = await tokenServer();
  const container = await newContainer(tokenClient(server), "reject");
  await container.blob("b").put("x");

  for (const [client, what] of [
    [staticToken(STORAGE_AUDIENCE, -600), "expired"],
    [staticToken("https://management.azure.com", 3600), "wrong audience"],
  ] as const) {
    await assert.rejects(
      client.blob(container.name, "b").download(),
      { kind: "Unauthenticated", status: 403, errorCode: "AuthenticationFailed" },
      what,
    );
  }
  // Tokens from the flow with a wrong audience fail the same way.
  const fresh = await tokenServer();
  fresh.audience = "https://vault.azure.net";
  await assert.rejects(tokenClient(fresh).blob(container.name, "b").download(), { kind: "Unauthenticated" });
  assert.equal(fresh.count, 1, "the flow asked its server");
});

test("a user delegation key needs a token: a Shared Key client is refused unsent", TIMEOUT, async () => {
  const client = builder().sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY).build();
  const now = Date.now();
  await assert.rejects(client.userDelegationKey(new Date(now), new Date(now + 60_000)), { kind: "InvalidInput" });
});

test("a session with a token records without it and replays with no network and no credential", TIMEOUT, async () => {
  const server = await tokenServer();
  const setup = await newContainer(tokenClient(server), "entrarec");
  const dir = mkdtempSync(join(tmpdir(), "azblob-ts-entra-rec-"));
  try {
    const path = join(dir, "entra.json");
    const data = randomBytes(200 * 1024);
    const session = async (client: BlobServiceClient): Promise<[Uint8Array, string[]]> => {
      const container = client.container(setup.name);
      await container.blob("rec.bin").uploadOpts(data, { blockSize: 64 * 1024, singlePutMax: 0, concurrency: 1 });
      const back = await container.blob("rec.bin").downloadOpts({ chunkSize: 64 * 1024, concurrency: 1 });
      return [back, await names(container)];
    };
    const credential = new ClientCredential({
      tenantId: TENANT,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      authorityHost: server.url,
    });
    const recorder = builder().tokenCredential(credential).simulation({ mode: "record", path, seed: 16n }).build();
    const [recorded, listed] = await session(recorder);
    assert.ok(Buffer.from(recorded).equals(data));
    assert.deepEqual(listed, ["rec.bin"]);
    recorder.saveRecordings();
    const cassette = readFileSync(path, "utf8");
    assert.equal(server.tokens.length, 2, "the setup's client and the recorder each took one token");
    for (const token of server.tokens) {
      for (const part of token.split(".").slice(0, 2)) assert.ok(!cassette.includes(part), "no token in the cassette");
    }
    assert.ok(!/bearer/i.test(cassette), "no Authorization header in the cassette");
    // The client secret travels only to the token server (not recorded), as
    // itself or form-encoded; neither spelling may reach the cassette.
    for (const spelling of [CLIENT_SECRET, new URLSearchParams({ s: CLIENT_SECRET }).toString().slice(2)]) {
      assert.ok(!cassette.includes(spelling), `no client secret (${spelling}) in the cassette`);
    }

    const noNetwork: Next = async () => assert.fail("a replay reached the network");
    const replayer = new ClientBuilder()
      .endpoint(emulator.endpoint)
      .wire(noNetwork)
      .simulation({ mode: "replay", path })
      .build();
    const [replayed, relisted] = await session(replayer);
    assert.ok(Buffer.from(replayed).equals(data), "byte-exact from the cassette");
    assert.deepEqual(relisted, ["rec.bin"]);
    const stats = replayer.simulationStats();
    assert.ok(stats && stats.used === stats.interactions && stats.interactions >= 8, JSON.stringify(stats));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
