// A forward HTTP proxy that lets the first `pass` Put Block requests through
// and holds every later one, unanswered, until the test releases the gate;
// from then on it closes them unanswered. A test that interrupts a process
// (SIGINT) after a known number of blocks thus knows how many the service
// staged, however slowly the signal lands on a loaded machine: the process
// cannot stage another block in the meantime. The `azblob` CLI goes through it
// with `--proxy`, which applies to loopback targets too (no NO_PROXY rules).

import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** Headers of one hop, not forwarded (RFC 9110, 7.6.1), and the proxy's own credentials. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer", "upgrade"];

function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out = { ...headers };
  for (const name of HOP_BY_HOP) delete out[name];
  return out;
}

/** Whether an absolute-form request target is a Put Block (`?comp=block`, not `blocklist`). */
function isPutBlock(method: string | undefined, target: URL): boolean {
  return method === "PUT" && target.searchParams.get("comp") === "block";
}

/** The running proxy; `url` is what to pass as `--proxy`. */
export class PutBlockGate {
  readonly #server: Server;
  readonly #pass: number;
  readonly #held: Socket[] = [];
  #released = false;
  #waiters: Array<() => void> = [];
  /** Put Block requests forwarded to the service. */
  #forwarded = 0;

  private constructor(server: Server, pass: number) {
    this.#server = server;
    this.#pass = pass;
  }

  /** Starts a gate that forwards `pass` Put Blocks, on a free loopback port. */
  static async start(pass: number): Promise<PutBlockGate> {
    let self: PutBlockGate | undefined;
    const server = createServer((req, res) => self?.handle(req, res));
    self = new PutBlockGate(server, pass);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const target = new URL(req.url ?? "");
    if (isPutBlock(req.method, target) && this.#forwarded >= this.#pass) {
      if (this.#released) {
        req.socket.destroy();
      } else {
        this.#held.push(req.socket);
        for (const wake of this.#waiters.splice(0)) wake();
      }
      return;
    }
    if (isPutBlock(req.method, target)) this.#forwarded += 1;
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers: forwardable(req.headers),
        agent: false,
      },
      (answer) => {
        const headers = forwardable(answer.headers);
        // Node frames the body again itself (length or chunks) for the client.
        delete headers["transfer-encoding"];
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.on("error", () => upstream.destroy());
    req.pipe(upstream);
  }

  /** Resolves once a Put Block beyond the first `pass` is held: the client has sent all it may. */
  async waitForHeld(): Promise<void> {
    while (this.#held.length === 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Closes the held requests unanswered, and every later Put Block beyond `pass` too. */
  release(): void {
    this.#released = true;
    for (const socket of this.#held.splice(0)) socket.destroy();
  }

  stop(): void {
    this.release();
    this.#server.close();
    this.#server.closeAllConnections();
  }
}
