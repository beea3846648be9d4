import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiver saw it, recorded once its body has fully arrived and before it is answered. */
export interface ReceivedRequest {
  method: string;
  /** Path with query string, as sent on the request line. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body's exact bytes. */
  raw: Buffer;
  receivedAt: number;
}

export interface ReceiverResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering: for request-timeout tests. */
  delayMs?: number;
}

/** 'destroy' drops the connection without answering, as a crashed receiver would. */
export type Responder = (req: ReceivedRequest, index: number) => ReceiverResponse | 'destroy';

export interface Receiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  respondWith(fn: Responder): void;
  /** Resolves once `predicate(requests)` holds; rejects after `timeoutMs` saying what did arrive. */
  waitFor(predicate: (requests: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const POLL_MS = 10;

function summarise(requests: readonly ReceivedRequest[]): string {
  if (requests.length === 0) return 'no requests arrived';
  const shown = requests.slice(-5).map((r) => `${r.method} ${r.path} (${r.body.length} bytes)`);
  const omitted = requests.length - shown.length;
  return `${requests.length} request(s) arrived: ${omitted > 0 ? `…${omitted} earlier, ` : ''}${shown.join(', ')}`;
}

export async function startReceiver(handler?: Responder): Promise<Receiver> {
  let responder: Responder = handler ?? (() => ({ status: 200 }));
  const requests: ReceivedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        raw: Buffer.concat(chunks),
        receivedAt: Date.now(),
      };
      const index = requests.push(received) - 1;
      let answer: ReceiverResponse | 'destroy';
      try {
        answer = responder(received, index);
      } catch (error) {
        // A throwing responder is a bug in the test; a 500 with the message makes it visible in the attempt record.
        answer = { status: 500, body: `receiver responder threw: ${(error as Error).message}` };
      }
      if (answer === 'destroy') {
        req.socket.destroy();
        return;
      }
      const { status, headers = {}, body = '', delayMs = 0 } = answer;
      const send = () => {
        // The sender may have given up (timeout) while this response was delayed.
        if (res.destroyed || res.writableEnded) return;
        res.writeHead(status, headers);
        res.end(body);
      };
      if (delayMs <= 0) return send();
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, delayMs);
      timers.add(timer);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    respondWith(fn) {
      responder = fn;
    },
    waitFor(predicate, timeoutMs = 5000) {
      const started = Date.now();
      return new Promise<void>((resolve, reject) => {
        const poll = () => {
          let satisfied: boolean;
          try {
            satisfied = predicate(requests);
          } catch (error) {
            reject(error);
            return;
          }
          if (satisfied) return resolve();
          if (Date.now() - started >= timeoutMs) {
            return reject(new Error(`receiver.waitFor: condition not met within ${timeoutMs} ms; ${summarise(requests)}`));
          }
          setTimeout(poll, POLL_MS);
        };
        poll();
      });
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      // Keep-alive sockets from the sender's agent would otherwise hold close() open until they time out.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/**
 * A loopback port with nothing listening, for connection-refused tests and servers that must come back on the same
 * port (free when returned; nothing reserves it). Taken below Linux's ephemeral range (32768 and up), from which
 * the kernel hands out the local ports of outgoing connections: a port the kernel picked, then freed, could be
 * taken by the next outgoing connection before the server meant for it binds.
 */
export async function unusedPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }
}
