import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { unusedPort } from './receiver.js';

/**
 * Throwaway PostgreSQL and Redis servers of a test's own, for tests that stop and start them: the shared services
 * on the standard ports serve every other suite running at the same time and must never be restarted.
 */

const run = promisify(execFile);

function postgresBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) if (existsSync(join(base, version, 'bin', 'pg_ctl'))) return join(base, version, 'bin');
  return null;
}

/** PostgreSQL refuses to run as root; as root, the server runs as the `postgres` system user. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

export function privatePostgresUnavailable(): string | null {
  return postgresBinDir() === null ? 'PostgreSQL server binaries not found under /usr/lib/postgresql' : null;
}

/** A server of the test's own: stop and start it at will, destroy it when done. */
export interface PrivateServer {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivateServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(privatePostgresUnavailable()!);
  const dir = await mkdtemp(join(tmpdir(), 'hookyard-pg-'));
  if (process.getuid?.() === 0) await chown(dir, ...(await postgresIds()));
  const data = join(dir, 'data');
  const port = await unusedPort();
  const pgCtl = async (...args: string[]) => {
    const [command, argv] = asServerUser(join(bin, 'pg_ctl'), ['-D', data, ...args]);
    await run(command, argv);
  };
  {
    const [command, argv] = asServerUser(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await run(command, argv);
  }
  const start = () =>
    pgCtl('-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, '-l', join(dir, 'log'), '-w', 'start');
  await start();
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await pgCtl('-m', 'fast', '-w', 'stop');
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      if (running) await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function postgresIds(): Promise<[number, number]> {
  const { stdout } = await run('id', ['postgres']);
  const uid = Number(/uid=(\d+)/.exec(stdout)![1]);
  const gid = Number(/gid=(\d+)/.exec(stdout)![1]);
  return [uid, gid];
}

export function privateRedisUnavailable(): string | null {
  return existsSync('/usr/bin/redis-server') ? null : 'redis-server not found at /usr/bin/redis-server';
}

export async function startPrivateRedis(): Promise<PrivateServer> {
  const port = await unusedPort();
  let server: ChildProcess | null = null;
  const start = async () => {
    server = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    // Ready when it answers.
    for (let i = 0; i < 100; i++) {
      const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => undefined); // refused until the server is up: expected here
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        probe.disconnect();
      }
    }
    throw new Error('private redis-server did not start');
  };
  const stop = async () => {
    const current = server;
    server = null;
    if (!current || current.exitCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop, destroy: stop };
}
