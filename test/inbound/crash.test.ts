import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { adminTokenForTests, startHookyardProcess, type HookyardProcess } from '../helpers/processes.js';

describe('receiving across a SIGKILL', () => {
  let receiver: Receiver;
  let dataDir: string;
  let node: HookyardProcess | undefined;
  let env: Record<string, string>;
  beforeEach(async () => {
    receiver = await startReceiver(() => ({ status: 200 }));
    dataDir = await mkdtemp(join(tmpdir(), 'hookyard-inbound-crash-'));
    env = {
      HOOKYARD_DATA_DIR: dataDir,
      // Port 0: the kernel picks a free one when the process binds, so no other process can take it first.
      HOOKYARD_PORT: '0',
      HOOKYARD_HOST: '127.0.0.1',
      HOOKYARD_ADMIN_TOKEN: adminTokenForTests(),
      HOOKYARD_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32',
      HOOKYARD_LOG_LEVEL: 'silent',
      HOOKYARD_PUBLIC_RATE_LIMIT: '0',
      HOOKYARD_DELIVERY_LEASE_MS: '3000',
      HOOKYARD_REQUEST_TIMEOUT_MS: '1000',
    };
  });
  afterEach(async () => {
    await node?.kill('SIGKILL');
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps every request it answered 2xx, and forwards each after the restart', async () => {
    node = await startHookyardProcess(env);
    const source = await node.api('POST', '/ingest/api/v1/source', { name: 'Crash', type: 'generic-webhook' });
    await node.api('POST', `/ingest/api/v1/source/${source.id}/endpoint`, { url: `${receiver.url}/hook` });
    const path = new URL(source.ingestUrl).pathname;

    // Providers keep posting while the process is killed; only requests answered 2xx were promised anything.
    const acknowledged = new Map<string, string>();
    let sent = 0;
    let stop = false;
    const posting = Array.from({ length: 16 }, async () => {
      while (!stop) {
        const body = JSON.stringify({ n: sent++, pad: 'x'.repeat(200) });
        try {
          const response = await fetch(`${node!.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          if (response.status === 200) acknowledged.set(((await response.json()) as { id: string }).id, body);
        } catch {
          // The connection died with the process: no answer, no promise.
        }
      }
    });
    while (acknowledged.size < 300) await new Promise((resolve) => setTimeout(resolve, 5));
    await node.kill('SIGKILL');
    stop = true;
    await Promise.all(posting);
    assert.ok(sent > acknowledged.size, 'some requests were cut off by the kill');

    node = await startHookyardProcess(env);
    for (const [id, body] of acknowledged) {
      const event = await node.fetch('GET', `/ingest/api/v1/source/${source.id}/event/${id}`);
      assert.equal(event.status, 200, `${id}, acknowledged before the kill, is stored`);
      assert.equal(event.body.body.data, body);
    }
    await receiver.waitFor((requests) => {
      const forwarded = new Set(requests.map((request) => String(request.headers['x-hookyard-event-id'])));
      return [...acknowledged.keys()].every((id) => forwarded.has(id));
    }, 60_000);
    for (const request of receiver.requests) {
      const expected = acknowledged.get(String(request.headers['x-hookyard-event-id']));
      if (expected !== undefined) assert.equal(request.body, expected, 'forwarded byte for byte');
    }
  });
});
