import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { httpPublisher, payloadOf, type Publisher } from '../load.js';
import { startProcess, type ServerProcess } from './process.js';
import type { Stack } from './stack.js';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function registerTarget(origin: string, destinations: string[]): Promise<string> {
  const response = await request(`${origin}/targets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ destinations }) });
  return ((await response.body.json()) as { id: string }).id;
}

function publisherFor(origin: string, target: string, connections: number): Publisher {
  return httpPublisher(origin, `/publish/${target}`, (seq) => JSON.stringify({ eventType: 'invoice.paid', payload: payloadOf(seq) }), {}, connections);
}

/** Fastify + BullMQ on Redis + a BullMQ worker process: the in-house design most Node teams build. */
export class ReferenceStack implements Stack {
  readonly name = 'reference';
  private api: ServerProcess | null = null;
  private worker: ServerProcess | null = null;
  private readonly prefix = `hybench${randomBytes(4).toString('hex')}`;
  private redisPid: number | null = null;

  constructor(private readonly backoffMs = 5000) {}

  async start(): Promise<void> {
    const env = { BENCH_QUEUE: 'webhooks', BENCH_PREFIX: this.prefix, BENCH_BACKOFF_MS: String(this.backoffMs) };
    const tsx = ['--import', 'tsx'];
    [this.api, this.worker] = await Promise.all([
      startProcess([...tsx, 'bench/stacks/reference-api.ts'], env, /reference api listening on (\S+)/),
      startProcess([...tsx, 'bench/stacks/reference-worker.ts'], env, /reference worker listening on (\S+)/),
    ]);
  }

  async target(destinations: string[], connections: number): Promise<Publisher> {
    return publisherFor(this.api!.url, await registerTarget(this.api!.url, destinations), connections);
  }

  pids(): number[] {
    return [this.api?.child.pid, this.worker?.child.pid].filter((pid): pid is number => pid !== undefined);
  }

  /** The Redis server the queue lives in (nothing else uses it while the benchmark runs). */
  async servicePids(): Promise<number[]> {
    if (this.redisPid === null) {
      const redis = new Redis(REDIS_URL);
      const info = await redis.info('server');
      redis.disconnect();
      this.redisPid = Number(/process_id:(\d+)/.exec(info)?.[1] ?? Number.NaN);
    }
    return Number.isFinite(this.redisPid) ? [this.redisPid] : [];
  }

  async stop(): Promise<void> {
    await Promise.all([this.api?.stop(), this.worker?.stop()]);
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${this.prefix}:*`);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    redis.disconnect();
  }
}

/** The no-storage limit: forward before answering, nothing kept. */
export class LimitStack implements Stack {
  readonly name = 'limit';
  private server: ServerProcess | null = null;

  async start(): Promise<void> {
    this.server = await startProcess(['--import', 'tsx', 'bench/stacks/limit-server.ts'], {}, /limit listening on (\S+)/);
  }

  async target(destinations: string[], connections: number): Promise<Publisher> {
    return publisherFor(this.server!.url, await registerTarget(this.server!.url, destinations), connections);
  }

  pids(): number[] {
    return this.server?.child.pid ? [this.server.child.pid] : [];
  }

  async servicePids(): Promise<number[]> {
    return [];
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }
}
