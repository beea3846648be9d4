import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Receiver } from '../helpers/receiver.js';
import { adminTokenForTests, startHookyardProcess, type HookyardProcess } from '../helpers/processes.js';

/**
 * A cluster of real Hookyard processes on one database: what they share (database, Redis prefix, main key, admin
 * token) and what each has of its own (port, data dir, role).
 */
export class TestCluster {
  readonly processes: HookyardProcess[] = [];
  readonly shared: Record<string, string>;
  private readonly dirs: string[] = [];

  constructor(options: { databaseUrl: string; redisUrl?: string; redisKeyPrefix?: string; env?: Record<string, string> }) {
    this.shared = {
      HOOKYARD_DATABASE_URL: options.databaseUrl,
      ...(options.redisUrl ? { HOOKYARD_REDIS_URL: options.redisUrl, HOOKYARD_REDIS_KEY_PREFIX: options.redisKeyPrefix ?? 'hookyard:' } : {}),
      // Every process must decrypt the secrets the others stored.
      HOOKYARD_MAIN_KEY: randomBytes(32).toString('base64'),
      HOOKYARD_ADMIN_TOKEN: adminTokenForTests(),
      HOOKYARD_HOST: '127.0.0.1',
      HOOKYARD_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32',
      HOOKYARD_LOG_LEVEL: 'warn',
      HOOKYARD_DATABASE_POOL_SIZE: '6',
      // Short lease and timeout: a killed process's claims come back within seconds, not the default minute.
      HOOKYARD_DELIVERY_LEASE_MS: '3000',
      HOOKYARD_REQUEST_TIMEOUT_MS: '1000',
      HOOKYARD_RETRY_SCHEDULE: '0.2,0.5,1,2',
      ...options.env,
    };
  }

  /** Starts `count` processes at once (so they also race to migrate and bootstrap), each with `env` on top. */
  async start(count: number, env: Record<string, string> = {}): Promise<HookyardProcess[]> {
    const started = await Promise.all(
      Array.from({ length: count }, async () => {
        const dataDir = await mkdtemp(join(tmpdir(), 'hookyard-node-'));
        this.dirs.push(dataDir);
        return startHookyardProcess({ ...this.shared, HOOKYARD_DATA_DIR: dataDir, HOOKYARD_PORT: '0', ...env });
      }),
    );
    this.processes.push(...started);
    return started;
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((node) => node.kill('SIGKILL')));
    await Promise.all(this.dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** Publishes `count` messages to one endpoint, spread round-robin over `via`, 16 requests at a time. */
export async function publishMany(via: HookyardProcess[], appId: string, count: number, eventType = 'load.test'): Promise<Set<string>> {
  const accepted = new Set<string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const i = next++;
        const node = via[i % via.length]!;
        accepted.add((await node.api('POST', `/api/v1/app/${appId}/msg`, { eventType, payload: { i } })).id);
      }
    }),
  );
  return accepted;
}

export function webhookIds(receiver: Receiver): string[] {
  return receiver.requests.map((request) => String(request.headers['webhook-id']));
}

export function allArrived(receiver: Receiver, accepted: Set<string>): () => boolean {
  return () => {
    const seen = new Set(webhookIds(receiver));
    return [...accepted].every((id) => seen.has(id));
  };
}
