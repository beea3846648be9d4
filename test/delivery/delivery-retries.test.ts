import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startReceiver, unusedPort, type Receiver, type ReceiverResponse } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { attemptsOf, createApp, createEndpoint, destinationsOf, eventually, publish } from './support.js';

const REQUEST_TIMEOUT_MS = 400;

describe('delivery retries', () => {
  let server: TestServer;
  let receiver: Receiver;
  before(async () => {
    // Four attempts in all, 50 to 200 ms apart; a short request timeout keeps the timeout case quick.
    server = await startTestServer({ overrides: { retrySchedule: [0.05, 0.1, 0.2], requestTimeoutMs: REQUEST_TIMEOUT_MS } });
    receiver = await startReceiver((request) => {
      const answer = scripts.get(request.path);
      return answer ? answer(on(request.path).length - 1) : { status: 200 };
    });
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  /** Answers per receiver path, by the index of the request on that path. */
  const scripts = new Map<string, (index: number) => ReceiverResponse | 'destroy'>();
  function script(path: string, answer: (index: number) => ReceiverResponse | 'destroy'): void {
    scripts.set(path, answer);
  }
  const on = (path: string) => receiver.requests.filter((r) => r.path === path);

  /** Each case gets its own application, so that its messages go to its one endpoint only. */
  async function endpointAt(url: string): Promise<{ appId: string; endpoint: any }> {
    const appId = await createApp(server);
    return { appId, endpoint: await createEndpoint(server, appId, { url }) };
  }

  async function settled(appId: string, msgId: string, endpointId: string): Promise<any> {
    return eventually(`the delivery of ${msgId} to settle`, async () => {
      const destination = (await destinationsOf(server, appId, msgId)).find((d) => d.id === endpointId);
      return destination && (destination.status === 0 || destination.status === 2) ? destination : undefined;
    });
  }

  it('retries failures until the endpoint succeeds, and the attempts match what the receiver saw', async () => {
    script('/flaky', (index) => (index < 2 ? { status: 500 + index, body: `nope ${index}` } : { status: 200, body: 'finally' }));
    const { appId, endpoint } = await endpointAt(`${receiver.url}/flaky`);
    const message = await publish(server, appId, { eventType: 'order.created' });
    const destination = await settled(appId, message.id, endpoint.id);
    assert.equal(destination.status, 0, 'delivered in the end');

    const seen = on('/flaky');
    assert.equal(seen.length, 3);
    assert.ok(seen.every((r) => r.headers['webhook-id'] === message.id));
    const attempts = await attemptsOf(server, appId, message.id);
    assert.deepEqual(
      attempts.map((a) => [a.responseStatusCode, a.status, a.triggerType, a.response]),
      [
        [500, 2, 0, 'nope 0'],
        [501, 2, 0, 'nope 1'],
        [200, 0, 0, 'finally'],
      ],
    );
    // Each retry is signed afresh: its timestamp is the time of that attempt, never earlier than the one before.
    const stamps = seen.map((r) => Number(r.headers['webhook-timestamp']));
    assert.deepEqual([...stamps].sort(), stamps);
  });

  it('waits as long as a 429’s Retry-After asks', async () => {
    script('/busy', (index) => (index === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    const { appId, endpoint } = await endpointAt(`${receiver.url}/busy`);
    const message = await publish(server, appId, { eventType: 'order.created' });
    assert.equal((await settled(appId, message.id, endpoint.id)).status, 0);
    const [first, second] = on('/busy');
    assert.ok(first && second);
    const gap = second.receivedAt - first.receivedAt;
    // The schedule alone would retry after about 50 ms; the upper bound shows the wait was the one asked for.
    assert.ok(gap >= 1000 && gap < 3000, `retried after ${gap} ms`);
    const attempts = await attemptsOf(server, appId, message.id);
    assert.deepEqual(
      attempts.map((a) => a.responseStatusCode),
      [429, 200],
    );
  });

  it('gives up on an answer slower than the request timeout and retries', async () => {
    script('/slow', (index) => (index === 0 ? { status: 200, delayMs: REQUEST_TIMEOUT_MS * 5 } : { status: 200 }));
    const { appId, endpoint } = await endpointAt(`${receiver.url}/slow`);
    const message = await publish(server, appId, { eventType: 'order.created' });
    assert.equal((await settled(appId, message.id, endpoint.id)).status, 0);
    const attempts = await attemptsOf(server, appId, message.id);
    assert.equal(attempts.length, 2);
    assert.equal(attempts[0].responseStatusCode, 0, 'no response to record');
    assert.equal(attempts[0].status, 2);
    assert.match(attempts[0].response, /timeout/);
    assert.ok(attempts[0].responseDurationMs >= REQUEST_TIMEOUT_MS - 50, `timed out after ${attempts[0].responseDurationMs} ms`);
    assert.equal(attempts[1].responseStatusCode, 200);
  });

  it('retries a refused connection until the attempts run out, then marks the delivery failed', async () => {
    const port = await unusedPort();
    const { appId, endpoint } = await endpointAt(`http://127.0.0.1:${port}/nobody`);
    const message = await publish(server, appId, { eventType: 'order.created' });
    const destination = await settled(appId, message.id, endpoint.id);
    assert.equal(destination.status, 2, 'failed');
    const attempts = await attemptsOf(server, appId, message.id);
    assert.equal(attempts.length, 4, 'one attempt plus three retries');
    for (const attempt of attempts) {
      assert.equal(attempt.responseStatusCode, 0);
      assert.match(attempt.response, /connect/);
    }
  });

  it('marks a delivery failed once every attempt has been answered with an error, and sends no more', async () => {
    script('/broken', () => ({ status: 500, body: 'broken' }));
    const { appId, endpoint } = await endpointAt(`${receiver.url}/broken`);
    const message = await publish(server, appId, { eventType: 'order.created' });
    assert.equal((await settled(appId, message.id, endpoint.id)).status, 2);
    assert.equal(on('/broken').length, 4);
    assert.equal((await attemptsOf(server, appId, message.id)).length, 4);
    const stats = await server.request('GET', `/api/v1/app/${appId}/endpoint/${endpoint.id}/stats`);
    assert.equal(stats.status, 200, stats.text);
    assert.equal(stats.body.fail, 1);
  });

  it('does not follow a redirect and counts it as a failure', async () => {
    script('/moved', () => ({ status: 302, headers: { location: `${receiver.url}/moved-here` } }));
    const { appId, endpoint } = await endpointAt(`${receiver.url}/moved`);
    const message = await publish(server, appId, { eventType: 'order.created' });
    assert.equal((await settled(appId, message.id, endpoint.id)).status, 2);
    assert.equal(on('/moved-here').length, 0, 'the redirect target was never requested');
    const attempts = await attemptsOf(server, appId, message.id);
    assert.deepEqual(
      attempts.map((a) => [a.responseStatusCode, a.status]),
      [
        [302, 2],
        [302, 2],
        [302, 2],
        [302, 2],
      ],
    );
  });

  it('disables an endpoint that answers 410 Gone and stops retrying', async () => {
    script('/gone', () => ({ status: 410 }));
    const { appId, endpoint } = await endpointAt(`${receiver.url}/gone`);
    const message = await publish(server, appId, { eventType: 'order.created' });
    assert.equal((await settled(appId, message.id, endpoint.id)).status, 2);
    assert.equal(on('/gone').length, 1, 'no retry after 410');
    const after = await eventually('the endpoint to be disabled', async () => {
      const read = await server.request('GET', `/api/v1/app/${appId}/endpoint/${endpoint.id}`);
      return read.body.disabled === true && read.body;
    });
    assert.equal(after.id, endpoint.id);
  });
});
