import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { attemptsOf, createApp, createEndpoint, destinationsOf, eventually, publish } from './support.js';

describe('delivery routing at send time', () => {
  let server: TestServer;
  let receiver: Receiver;
  before(async () => {
    // A first retry a second away leaves time to change the endpoint between the first attempt and the next.
    server = await startTestServer({ overrides: { retrySchedule: [1, 1] } });
    receiver = await startReceiver((request) => (request.path.startsWith('/fail') ? { status: 500 } : { status: 200 }));
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  const paths = (msgId: string) =>
    receiver.requests
      .filter((r) => r.headers['webhook-id'] === msgId)
      .map((r) => r.path)
      .sort();

  it('fans one message out exactly where the Svix routing rules say', async () => {
    const appId = await createApp(server);
    const rules: Record<string, Record<string, unknown>> = {
      '/all': {},
      '/created': { filterTypes: ['user.created'] },
      '/eu': { channels: ['eu'] },
      '/created-us-or-eu': { filterTypes: ['user.created'], channels: ['us', 'eu'] },
      '/disabled': { disabled: true },
    };
    for (const [path, rule] of Object.entries(rules)) await createEndpoint(server, appId, { url: `${receiver.url}${path}`, ...rule });

    const sent = {
      createdNoChannel: await publish(server, appId, { eventType: 'user.created' }),
      deletedEu: await publish(server, appId, { eventType: 'user.deleted', channels: ['eu'] }),
      createdUs: await publish(server, appId, { eventType: 'user.created', channels: ['us'] }),
      paidApac: await publish(server, appId, { eventType: 'invoice.paid', channels: ['apac'] }),
    };
    const expected: Record<keyof typeof sent, string[]> = {
      createdNoChannel: ['/all', '/created'],
      deletedEu: ['/all', '/eu'],
      createdUs: ['/all', '/created', '/created-us-or-eu'],
      paidApac: ['/all'],
    };
    for (const [name, message] of Object.entries(sent) as [keyof typeof sent, any][]) {
      // Once every routed delivery has succeeded nothing else is queued, so what arrived is all that will.
      await eventually(`${name} to be delivered`, async () => {
        const destinations = await destinationsOf(server, appId, message.id);
        return destinations.length === expected[name].length && destinations.every((d) => d.status === 0);
      });
      assert.deepEqual(paths(message.id), [...expected[name]].sort(), name);
    }
  });

  it('sends nothing more to an endpoint disabled or deleted after the message was queued', async () => {
    const appId = await createApp(server);
    const toDisable = await createEndpoint(server, appId, { url: `${receiver.url}/fail-then-disabled` });
    const toDelete = await createEndpoint(server, appId, { url: `${receiver.url}/fail-then-deleted` });
    const message = await publish(server, appId, { eventType: 'user.created' });
    await receiver.waitFor((requests) => requests.filter((r) => r.headers['webhook-id'] === message.id).length === 2);

    const patched = await server.request('PATCH', `/api/v1/app/${appId}/endpoint/${toDisable.id}`, { body: { disabled: true } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal((await server.request('DELETE', `/api/v1/app/${appId}/endpoint/${toDelete.id}`)).status, 204);

    // Both retries come due about a second later and end without a request.
    const store = server.running.store;
    await eventually('both deliveries to end', async () => {
      const ended = await Promise.all(
        [toDisable.id, toDelete.id].map(async (endpointId) => {
          const [entry] = (await store.listEndpointMessages(appId, endpointId, { limit: 1 }, {})).data;
          return entry?.delivery.status === 2;
        }),
      );
      return ended.every(Boolean);
    });
    assert.deepEqual(paths(message.id), ['/fail-then-deleted', '/fail-then-disabled']);
    assert.equal((await attemptsOf(server, appId, message.id)).length, 2);
    const stats = await store.endpointStats(appId, toDisable.id, {});
    assert.equal(stats.canceled, 1, 'counted as canceled, not as a failure');
  });

  it('refuses at send time an address outside the allow-list, without connecting', async () => {
    // A listener on 127.0.0.2, which the test configuration does not allow-list: any request reaching it is a leak.
    let leaked = 0;
    const trap: Server = createServer((_req, res) => {
      leaked += 1;
      res.end();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.2', () => resolve()));
    const port = (trap.address() as { port: number }).port;
    try {
      const appId = await createApp(server);
      const endpoint = await createEndpoint(server, appId, { url: `${receiver.url}/fine` });
      // The API refuses such URLs when they are written; an address policy can change, or a name can come to
      // resolve elsewhere, so the store is changed directly to put the endpoint where the API would not.
      const current = (await server.running.store.getEndpoint(appId, endpoint.id))!;
      const moved = await server.running.store.updateEndpoint(appId, endpoint.id, { ...current, url: `http://127.0.0.2:${port}/hook` });
      assert.ok(moved.ok);

      const message = await publish(server, appId, { eventType: 'user.created' });
      const [first] = await eventually('the refused attempt', async () => {
        const attempts = await attemptsOf(server, appId, message.id);
        return attempts.length > 0 && attempts;
      });
      assert.equal(first.status, 2);
      assert.equal(first.responseStatusCode, 0);
      assert.match(first.response, /127\.0\.0\.2/);
      assert.equal(leaked, 0);
    } finally {
      trap.closeAllConnections();
      await new Promise<void>((resolve) => trap.close(() => resolve()));
    }
  });
});
