import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createLogger } from '../../src/core/logger.js';
import { startHookyard, type RunningHookyard } from '../../src/runtime.js';
import { createTestDatabase, createTestRedisPrefix } from './services.js';

export interface HttpResult<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface TestServer {
  url: string;
  adminToken: string;
  running: RunningHookyard;
  /** Stops and starts Hookyard again on the same data (a clean restart); `url` and `running` change. */
  restart(): Promise<void>;
  config: Config;
  /** Log lines, parsed, when started with `captureLogs`; kept across restarts. */
  logs: Record<string, any>[];
  /** Sends a request with the admin token unless `token` is given (null sends none). */
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<HttpResult<T>>;
  close(): Promise<void>;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as-is instead of JSON-encoding `body`. */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  token?: string | null;
}

export interface TestServerOptions {
  overrides?: Partial<Config>;
  store?: 'sqlite' | 'postgres';
  /** The clock of the store, API and workers (kept across restarts); the wall clock by default. */
  now?: () => number;
  /** Collect the server's log lines at this level into `logs` (otherwise the configured level, silent, is used). */
  captureLogs?: Config['logLevel'];
}

/**
 * The store a suite runs on when it does not pick one: `HOOKYARD_TEST_STORE=postgres` (set by the test runner's
 * second pass) runs the API, delivery and compatibility suites again on PostgreSQL, with Redis, as a cluster
 * node would run.
 */
export function testStoreKind(): 'sqlite' | 'postgres' {
  return process.env.HOOKYARD_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';
}

/** A real Hookyard on an ephemeral port, with its own data dir (and database, for PostgreSQL). */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hookyard-test-'));
  const onPostgres = (options.store ?? testStoreKind()) === 'postgres';
  const database = onPostgres ? await createTestDatabase() : null;
  const redis = onPostgres && options.overrides?.redisUrl === undefined ? await createTestRedisPrefix() : null;
  const adminToken = `hy_admin_test_${randomBytes(16).toString('hex')}`;
  const config = loadConfig(
    {},
    {
      overrides: {
        port: 0,
        host: '127.0.0.1',
        dataDir,
        databaseUrl: database?.url ?? null,
        redisUrl: redis?.url ?? null,
        redisKeyPrefix: redis?.prefix ?? 'hookyard:',
        adminToken,
        logLevel: 'silent',
        sqliteSynchronous: 'normal',
        allowPrivateNetworks: ['127.0.0.1/32'],
        retrySchedule: [0.05, 0.1, 0.2],
        ...options.overrides,
      },
    },
  );
  const logs: Record<string, any>[] = [];
  const logger = () =>
    options.captureLogs
      ? createLogger(options.captureLogs, { write: (line: string) => void logs.push(JSON.parse(line)) }, config.logRedact)
      : createLogger(config.logLevel, undefined, config.logRedact);
  const start = () => startHookyard(config, { logger: logger(), now: options.now });
  let running = await start();
  let url = running.url;

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    const token = opts.token === undefined ? adminToken : opts.token;
    if (token !== null) headers.authorization ??= `Bearer ${token}`;
    let body: string | Buffer | undefined;
    if (opts.rawBody !== undefined) body = opts.rawBody;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${url}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  const server: TestServer = {
    url,
    adminToken,
    running,
    config,
    logs,
    request,
    async restart() {
      await running.close();
      running = await start();
      url = running.url;
      server.url = url;
      server.running = running;
    },
    async close() {
      await running.close();
      await database?.drop();
      await redis?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}
