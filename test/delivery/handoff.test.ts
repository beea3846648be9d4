import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { startReceiver, type ReceivedRequest, type Receiver } from '../helpers/receiver.js';
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

  it('go out with each endpoint as it is when the message is accepted: its URL, headers and secrets', async () => {
    let clock = Date.now();
    server = await startTestServer({ now: () => clock });
    const receiver = await startReceiver();
    receivers.push(receiver);
    const appId = await createApp(server);
    const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
    const firstSecret = newSecret();
    const endpoint = await createEndpoint(server, appId, { url: `${receiver.url}/first`, secret: firstSecret });
    const before = await scrape(server);
    const sent = async (n: number): Promise<ReceivedRequest> => {
      const message = await publish(server!, appId, { eventType: 'user.updated', payload: { n } });
      const ofMessage = (requests: ReceivedRequest[]) => requests.find((request) => request.headers['webhook-id'] === message.id);
      await receiver.waitFor((requests) => ofMessage(requests) !== undefined, 5000);
      return ofMessage(receiver.requests)!;
    };
    const signatures = (request: ReceivedRequest) => String(request.headers['webhook-signature']).split(' ');
    const verifies = (secret: string, request: ReceivedRequest, signature: string) =>
      new Webhook(secret).verify(request.body, {
        'webhook-id': String(request.headers['webhook-id']),
        'webhook-timestamp': String(request.headers['webhook-timestamp']),
        'webhook-signature': signature,
      });

    const first = await sent(1);
    assert.equal(first.path, '/first');
    assert.equal(signatures(first).length, 1);
    assert.deepEqual(verifies(firstSecret, first, signatures(first)[0]!), { n: 1 });

    const secondSecret = newSecret();
    const rotated = await server.request('POST', `/api/v1/app/${appId}/endpoint/${endpoint.id}/secret/rotate`, { body: { key: secondSecret, gracePeriodSeconds: 60 } });
    assert.equal(rotated.status, 204, rotated.text);
    const second = await sent(2);
    assert.equal(signatures(second).length, 2, 'the new secret and, in its grace period, the old');
    assert.deepEqual(verifies(secondSecret, second, signatures(second)[0]!), { n: 2 });
    assert.deepEqual(verifies(firstSecret, second, signatures(second)[1]!), { n: 2 });

    const moved = await server.request('PATCH', `/api/v1/app/${appId}/endpoint/${endpoint.id}`, { body: { url: `${receiver.url}/second` } });
    assert.equal(moved.status, 200, moved.text);
    const headers = await server.request('PUT', `/api/v1/app/${appId}/endpoint/${endpoint.id}/headers`, { body: { headers: { 'x-team': 'blue' } } });
    assert.equal(headers.status, 204, headers.text);
    const third = await sent(3);
    assert.equal(third.path, '/second');
    assert.equal(third.headers['x-team'], 'blue');

    clock += 61_000;
    const fourth = await sent(4);
    assert.equal(signatures(fourth).length, 1, 'the old secret signs no more once its grace period is over');
    assert.deepEqual(verifies(secondSecret, fourth, signatures(fourth)[0]!), { n: 4 });

    assert.equal(delta(before, await scrape(server), 'hookyard_deliveries_taken_total', { via: 'handoff' }), 4, 'every one handed off');
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
