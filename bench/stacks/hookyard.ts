import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { request } from 'undici';
import { httpPublisher, payloadOf, type Publisher } from '../load.js';
import { startProcess, type ServerProcess } from './process.js';
import type { Stack } from './stack.js';

const POSTGRES_ADMIN_URL = process.env.HOOKYARD_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface HookyardStackOptions {
  store: 'sqlite' | 'postgres';
  /** Extra settings (retry schedule for the recovery scenario, …). */
  env?: Record<string, string>;
  /** Write a CPU profile of the Hookyard process into this directory. */
  profileDir?: string;
  /** Another checkout of Hookyard to run instead of this one (a before/after comparison). */
  root?: string;
  /** The name it reports under. */
  name?: string;
}

/** Whether PostgreSQL answers, for the scenarios run on it too. */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Hookyard as users run it: `hookyard start`, durable commits, default delivery settings, no rate limits in the way. */
export class HookyardStack implements Stack {
  readonly name: string;
  private server: ServerProcess | null = null;
  private dataDir = '';
  private database: string | null = null;
  private readonly token = `hy_admin_bench_${randomBytes(16).toString('hex')}`;

  constructor(private readonly options: HookyardStackOptions) {
    this.name = options.name ?? `hookyard-${options.store}`;
  }

  async start(): Promise<void> {
    this.dataDir = await mkdtemp(join(tmpdir(), 'hookyard-bench-'));
    const env: Record<string, string> = {
      HOOKYARD_DATA_DIR: this.dataDir,
      HOOKYARD_PORT: '0',
      HOOKYARD_HOST: '127.0.0.1',
      HOOKYARD_ADMIN_TOKEN: this.token,
      HOOKYARD_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32',
      HOOKYARD_LOG_LEVEL: 'warn',
      HOOKYARD_SQLITE_SYNCHRONOUS: 'full',
      HOOKYARD_API_RATE_LIMIT: '0',
      HOOKYARD_PUBLIC_RATE_LIMIT: '0',
      ...this.options.env,
    };
    if (this.options.store === 'postgres') {
      this.database = `hookyard_bench_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await admin.connect();
      await admin.query(`create database ${this.database}`);
      await admin.end();
      const url = new URL(POSTGRES_ADMIN_URL);
      url.pathname = `/${this.database}`;
      env.HOOKYARD_DATABASE_URL = url.toString();
      env.HOOKYARD_MAIN_KEY = randomBytes(32).toString('base64');
    }
    const node = this.options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${this.options.profileDir}`] : [];
    this.server = await startProcess([...node, 'bin/hookyard.mjs', 'start'], env, /Hookyard listening on (\S+)/, this.options.root);
  }

  private async api(method: string, path: string, body: unknown): Promise<any> {
    const response = await request(`${this.server!.url}${path}`, {
      method: method as 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.body.text();
    if (response.statusCode >= 300) throw new Error(`${method} ${path}: ${response.statusCode} ${text}`);
    return JSON.parse(text);
  }

  async target(destinations: string[], connections: number): Promise<Publisher> {
    const app = await this.api('POST', '/api/v1/app', { name: 'bench' });
    for (const url of destinations) await this.api('POST', `/api/v1/app/${app.id}/endpoint`, { url });
    // The wire body starts with `{"eventType"…}`; the payload sent to endpoints starts with `{"seq":…`.
    return httpPublisher(
      this.server!.url,
      `/api/v1/app/${app.id}/msg`,
      (seq) => JSON.stringify({ eventType: 'invoice.paid', payload: payloadOf(seq) }),
      { authorization: `Bearer ${this.token}` },
      connections,
    );
  }

  pids(): number[] {
    return this.server?.child.pid ? [this.server.child.pid] : [];
  }

  /** The PostgreSQL backends connected to this run's database; none on the embedded store. */
  async servicePids(): Promise<number[]> {
    if (!this.database) return [];
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [this.database]);
      return rows.map((row) => row.pid);
    } finally {
      await admin.end();
    }
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = null;
    await rm(this.dataDir, { recursive: true, force: true });
    if (this.database) {
      const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await admin.connect();
      await admin.query(`drop database if exists ${this.database} with (force)`);
      await admin.end();
      this.database = null;
    }
  }
}
