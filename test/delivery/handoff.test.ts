import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { delta, scrape } from '../observability/support.js';
import { createApp, createEndpoint, eventually, idsSeen, publish } from './support.js';

describe('deliveries handed to the worker of the process that accepted the message', () => {
  const receivers: Receiver[] = [];
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  after(async () => {
    await Promise.all(receivers.map((receiver) => receiver.close()));
  });

  it('are sent without a claim while the worker has room, and queued for one when it is full', async () => {
    server = await startTestServer({ overrides: { workerConcurrency: 1 } });
    const slow = await startReceiver(() => ({ status: 200, delayMs: 400 }));
    receivers.push(slow);
    const appId = await createApp(server);
    await createEndpoint(server, appId, { url: slow.url });
    const before = await scrape(server);

    const first = await publish(server, appId, { eventType: 'user.created', payload: { n: 1 } });
    await slow.waitFor((requests) => requests.length === 1, 5000);
    // The only slot is taken by the first delivery's request, still unanswered: the second waits in the queue.
    const second = await publish(server, appId, { eventType: 'user.created', payload: { n: 2 } });

    const done = await eventually('both deliveries recorded', async () => {
      const scraped = await scrape(server!);
      return delta(before, scraped, 'hookyard_deliveries_total', { outcome: 'success' }) === 2 && scraped;
    });
    assert.equal(delta(before, done, 'hookyard_deliveries_taken_total', { via: 'handoff' }), 1);
    assert.equal(delta(before, done, 'hookyard_deliveries_taken_total', { via: 'claim' }), 1);
    assert.deepEqual(idsSeen(slow.requests), [first.id, second.id], 'each sent once, in the order accepted');
    assert.deepEqual(JSON.parse(slow.requests[0]!.body), { n: 1 }, 'the handed-off delivery carries its payload');
    assert.ok(slow.requests[0]!.headers['webhook-signature'], 'and is signed like any other');
  });

  it('are not offered by a process without a worker', async () => {
    server = await startTestServer({ overrides: { role: 'api' } });
    const receiver = await startReceiver();
    receivers.push(receiver);
    const appId = await createApp(server);
    await createEndpoint(server, appId, { url: receiver.url });
    const before = await scrape(server);
    const message = await publish(server, appId, { eventType: 'user.created' });
    const [destination] = (await server.request<any>('GET', `/api/v1/app/${appId}/msg/${message.id}/endpoint`)).body.data;
    assert.equal(destination.status, 1, 'pending: nothing in this process sends it');
    assert.equal(delta(before, await scrape(server), 'hookyard_deliveries_taken_total'), 0);
    assert.equal(receiver.requests.length, 0);
  });
});
