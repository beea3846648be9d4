import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startReceiver, type Receiver } from '../helpers/receiver.js';

/** The real server in a child process, so that it can be killed the way a machine or an OOM killer would. */
interface Child {
  process: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

async function startChild(env: Record<string, string>): Promise<Child> {
  const child = spawn(process.execPath, ['bin/hookyard.mjs', 'start'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Hookyard listening on (\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`hookyard exited (${code}) before listening:\n${output}`)));
  });
  return { process: child, url, exited };
}

describe('delivery across process stops', () => {
  let receiver: Receiver;
  let dataDir: string;
  let child: Child | undefined;
  let env: Record<string, string>;
  let answerMs = 0;
  beforeEach(async () => {
    receiver = await startReceiver(() => ({ status: 200, delayMs: answerMs }));
    dataDir = await mkdtemp(join(tmpdir(), 'hookyard-crash-'));
    env = {
      HOOKYARD_DATA_DIR: dataDir,
      // Port 0: the kernel picks a free one when the process binds, so no other process can take it first.
      HOOKYARD_PORT: '0',
      HOOKYARD_HOST: '127.0.0.1',
      HOOKYARD_ADMIN_TOKEN: `hy_admin_crash_${randomBytes(16).toString('hex')}`,
      HOOKYARD_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32',
      HOOKYARD_LOG_LEVEL: 'silent',
      HOOKYARD_SQLITE_SYNCHRONOUS: 'normal',
      // Short lease: a killed process's claims come back within seconds, not the default minute. Long enough, and the
      // request timeout too, that on a loaded machine no delivery outlives its lease and no slow answer is taken for a
      // failure and sent again: the kill is the only cause of duplicates.
      HOOKYARD_DELIVERY_LEASE_MS: '8000',
      HOOKYARD_REQUEST_TIMEOUT_MS: '5000',
    };
  });
  afterEach(async () => {
    if (child && child.process.exitCode === null) {
      child.process.kill('SIGKILL');
      await child.exited;
    }
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function api(method: string, path: string, body?: unknown): Promise<any> {
    const response = await fetch(`${child!.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${env.HOOKYARD_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text);
  }

  /** Publishes `count` messages to one endpoint, 32 requests at a time; resolves their ids. */
  async function publishMany(count: number): Promise<Set<string>> {
    const app = await api('POST', '/api/v1/app', { name: 'Crash' });
    await api('POST', `/api/v1/app/${app.id}/endpoint`, { url: `${receiver.url}/hook` });
    const accepted = new Set<string>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < count) {
          const i = next++;
          accepted.add((await api('POST', `/api/v1/app/${app.id}/msg`, { eventType: 'load.test', payload: { i } })).id);
        }
      }),
    );
    assert.equal(accepted.size, count);
    return accepted;
  }

  const distinct = () => new Set(receiver.requests.map((r) => String(r.headers['webhook-id'])));
  const allArrived = (accepted: Set<string>) => () => {
    const seen = distinct();
    return [...accepted].every((id) => seen.has(id));
  };

  it('delivers every message at least once across a SIGKILL, with duplicates bounded by what was in flight', async () => {
    const concurrency = 32;
    env.HOOKYARD_WORKER_CONCURRENCY = String(concurrency);
    // Slow enough answers that deliveries are still under way when the process is killed.
    answerMs = 100;
    child = await startChild(env);
    const accepted = await publishMany(2000);

    await receiver.waitFor((requests) => requests.length >= concurrency * 2, 30_000);
    child.process.kill('SIGKILL');
    await child.exited;
    const beforeCrash = distinct().size;
    assert.ok(beforeCrash < accepted.size, 'the process was killed with deliveries still to make');

    child = await startChild(env);
    await receiver.waitFor(allArrived(accepted), 60_000);
    const duplicates = receiver.requests.length - distinct().size;
    console.log(`crash safety: ${beforeCrash} of ${accepted.size} delivered before SIGKILL; ${duplicates} duplicate deliveries`);
    // Only a request already sent but not yet recorded goes out again, and no more than the concurrency are under way.
    assert.ok(duplicates <= concurrency, `${duplicates} duplicates with at most ${concurrency} deliveries in flight`);

    child.process.kill('SIGTERM');
    assert.equal(await child.exited, 0, 'a graceful stop after the restart');
  });

  it('on SIGTERM finishes the deliveries under way, records them, and leaves the rest queued', async () => {
    env.HOOKYARD_WORKER_CONCURRENCY = '8';
    answerMs = 300;
    child = await startChild(env);
    const accepted = await publishMany(100);
    await receiver.waitFor((requests) => requests.length >= 8);
    child.process.kill('SIGTERM');
    assert.equal(await child.exited, 0);
    const beforeStop = distinct().size;
    assert.ok(beforeStop < accepted.size, 'stopped with deliveries still to make');

    child = await startChild(env);
    await receiver.waitFor(allArrived(accepted), 30_000);
    assert.equal(receiver.requests.length, accepted.size, 'nothing sent twice: what was under way was recorded before exit');
  });

  it('on SIGTERM aborts deliveries that outlast the grace period and sends them again after the restart', async () => {
    env.HOOKYARD_WORKER_CONCURRENCY = '4';
    env.HOOKYARD_SHUTDOWN_GRACE_MS = '100';
    env.HOOKYARD_REQUEST_TIMEOUT_MS = '5000';
    env.HOOKYARD_DELIVERY_LEASE_MS = '10000';
    answerMs = 3000;
    child = await startChild(env);
    const accepted = await publishMany(4);
    await receiver.waitFor((requests) => requests.length === 4);
    child.process.kill('SIGTERM');
    assert.equal(await child.exited, 0);

    // Released, not left leased: the restarted process sends them at once, long before their leases would expire.
    answerMs = 0;
    child = await startChild(env);
    await receiver.waitFor((requests) => requests.length === 8, 5000);
    assert.deepEqual(distinct(), accepted);
  });
});
