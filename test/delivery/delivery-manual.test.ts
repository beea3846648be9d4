import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { attemptsOf, createApp, createEndpoint, destinationsOf, eventually, publish } from './support.js';

describe('manual delivery operations', () => {
  let server: TestServer;
  let receiver: Receiver;
  let healthy = true;
  before(async () => {
    server = await startTestServer({ overrides: { retrySchedule: [0.05] } });
    receiver = await startReceiver(() => (healthy ? { status: 200 } : { status: 500 }));
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  const delivered = (msgId: string) => receiver.requests.filter((r) => r.headers['webhook-id'] === msgId).length;

  it('resends a delivered message as a manual attempt', async () => {
    const appId = await createApp(server);
    const endpoint = await createEndpoint(server, appId, { url: `${receiver.url}/resend` });
    const message = await publish(server, appId, { eventType: 'user.created' });
    await eventually('the first delivery', async () => (await attemptsOf(server, appId, message.id)).length === 1);

    const resent = await server.request('POST', `/api/v1/app/${appId}/msg/${message.id}/endpoint/${endpoint.id}/resend`);
    assert.equal(resent.status, 202, resent.text);
    const attempts = await eventually('the resend to be recorded', async () => {
      const listed = await attemptsOf(server, appId, message.id);
      return listed.length === 2 && listed;
    });
    assert.deepEqual(
      attempts.map((a) => [a.triggerType, a.status, a.responseStatusCode]),
      [
        [0, 0, 200],
        [1, 0, 200],
      ],
    );
    assert.equal(delivered(message.id), 2);
  });

  it('recovers failed deliveries since a time, as manual attempts, in a background task', async () => {
    const appId = await createApp(server);
    const endpoint = await createEndpoint(server, appId, { url: `${receiver.url}/recover` });
    const since = new Date(Date.now() - 1000).toISOString();
    healthy = false;
    const messages = [await publish(server, appId, { eventType: 'a' }), await publish(server, appId, { eventType: 'b' })];
    for (const message of messages) {
      await eventually('the delivery to fail', async () => (await destinationsOf(server, appId, message.id))[0]?.status === 2);
    }
    healthy = true;

    const recovered = await server.request('POST', `/api/v1/app/${appId}/endpoint/${endpoint.id}/recover`, { body: { since } });
    assert.equal(recovered.status, 202, recovered.text);
    for (const message of messages) {
      await eventually('the recovered delivery', async () => (await destinationsOf(server, appId, message.id))[0]?.status === 0);
      const attempts = await attemptsOf(server, appId, message.id);
      assert.deepEqual(
        attempts.map((a) => [a.triggerType, a.responseStatusCode]),
        [
          [0, 500],
          [0, 500],
          [1, 200],
        ],
      );
      assert.equal(delivered(message.id), 3);
    }
    const task = await eventually('the task to finish', async () => {
      const read = await server.running.store.getBackgroundTask(recovered.body.id);
      return read?.status === 'finished' && read;
    });
    assert.deepEqual(task.result, { requeued: 2 });
  });
});
