import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createApp, createEndpoint, publish } from './support.js';

const RATE = 5;
const MESSAGES = 16;

describe('endpoint throttle', () => {
  let server: TestServer;
  let receiver: Receiver;
  before(async () => {
    server = await startTestServer();
    receiver = await startReceiver();
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  it('holds an endpoint to its throttleRate, and every message still arrives', async () => {
    const appId = await createApp(server);
    await createEndpoint(server, appId, { url: `${receiver.url}/throttled`, throttleRate: RATE });
    await createEndpoint(server, appId, { url: `${receiver.url}/free` });
    const published = await Promise.all(Array.from({ length: MESSAGES }, (_, i) => publish(server, appId, { eventType: 'tick', payload: { i } })));
    const ids = new Set(published.map((message) => String(message.id)));

    await receiver.waitFor((requests) => requests.filter((r) => r.path === '/throttled').length >= MESSAGES, 15_000);
    const throttled = receiver.requests.filter((r) => r.path === '/throttled');
    assert.deepEqual(new Set(throttled.map((r) => String(r.headers['webhook-id']))), ids);

    // Any one-second window, wherever it starts, holds at most the rate; one more allows for the receiver's
    // clock reading arrivals a few milliseconds apart from the sender's.
    const times = throttled.map((r) => r.receivedAt).sort((a, b) => a - b);
    const busiest = Math.max(...times.map((start) => times.filter((t) => t >= start && t < start + 1000).length));
    assert.ok(busiest <= RATE + 1, `${busiest} requests within one second at a rate of ${RATE}/s`);

    // The unthrottled endpoint was not held back with it: it had all its messages before the throttled one had half.
    const free = receiver.requests.filter((r) => r.path === '/free');
    assert.equal(free.length, MESSAGES);
    const lastFree = Math.max(...free.map((r) => r.receivedAt));
    assert.ok(times.filter((t) => t <= lastFree).length < MESSAGES / 2);
  });
});
