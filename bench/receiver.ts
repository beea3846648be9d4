import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * The webhook consumer of every scenario: answers 200 at once, and notes when each message (by the `seq` at the start
 * of its JSON body) first arrived and on which path. It can be taken down (connections refused) and brought back.
 */
export class BenchReceiver {
  /** First receipt time (performance.now()) per seq and path. */
  readonly firstSeen = new Map<string, number>();
  deliveries = 0;
  private server: Server | null = null;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const at = performance.now();
        const body = Buffer.concat(chunks).toString('utf8', 0, 64);
        const match = /"seq":(\d+)/.exec(body);
        this.deliveries += 1;
        if (match) {
          const key = `${request.url}#${match[1]}`;
          if (!this.firstSeen.has(key)) this.firstSeen.set(key, at);
        }
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Stops listening (new connections are refused) and drops open ones, as a crashed consumer would. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async restart(): Promise<void> {
    await this.start(this.port);
  }

  reset(): void {
    this.firstSeen.clear();
    this.deliveries = 0;
  }
}
