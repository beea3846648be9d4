import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createApp, createEndpoint, eventually, publish } from '../delivery/support.js';
import { scrape } from './support.js';

describe('health: a stuck queue', () => {
  let server: TestServer | undefined;
  let slow: Receiver | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  after(async () => {
    await slow?.close();
  });

  const health = () => server!.request('GET', '/api/v1/health', { token: null });

  it('reports degraded while due deliveries wait longer than the limit on a process running workers, and recovers', async () => {
    // One delivery at a time to a receiver that takes its time: the second message waits, due, behind the first.
    slow = await startReceiver(() => ({ status: 200, delayMs: 3000 }));
    server = await startTestServer({ overrides: { workerConcurrency: 1, stuckQueueMs: 100 } });
    assert.equal((await health()).status, 204, 'healthy while nothing is due');
    const appId = await createApp(server);
    await createEndpoint(server, appId, { url: slow.url });
    await publish(server, appId, { eventType: 'user.created' });
    await publish(server, appId, { eventType: 'user.created' });

    const degraded = await eventually('health degraded', async () => {
      const answer = await health();
      return answer.status === 200 && answer;
    });
    assert.equal(degraded.body.status, 'degraded');
    assert.deepEqual(degraded.body.store, { status: 'ok' });
    assert.equal(degraded.body.queue.status, 'stuck');
    assert.equal(degraded.body.queue.due, 1);
    assert.ok(degraded.body.queue.oldestDueAgeMs > 100);
    assert.match(degraded.body.queue.detail, /oldest due delivery has waited/);
    if (server.config.redisUrl) assert.deepEqual(degraded.body.redis, { status: 'ok' });
    else assert.equal(degraded.body.redis, undefined, 'no Redis configured, none reported');
    assert.equal((await server.request('GET', '/api/v1/health/ping', { token: null })).status, 204, 'liveness is unaffected');

    await slow.waitFor((requests) => requests.length === 2, 10_000);
    await eventually('health back to 204 once the queue drained', async () => (await health()).status === 204, 10_000);
  });

  it('is not reported by a process without workers, which cannot tell whether any worker runs', async () => {
    server = await startTestServer({ overrides: { role: 'api', stuckQueueMs: 1 } });
    const appId = await createApp(server);
    await createEndpoint(server, appId, { url: 'https://example.com/hook' });
    await publish(server, appId, { eventType: 'user.created' });
    // The work is due and waiting, as the metrics show…
    await eventually('the due delivery counted', async () => (await scrape(server!)).value('hookyard_queue_due_deliveries') === 1);
    // …but this process's readiness does not depend on it.
    assert.equal((await health()).status, 204);
  });
});
