import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { routeMessage } from '../../src/delivery/routing.js';
import { DeliveryStatus, TriggerType, type CreatedMessage, type Delivery } from '../../src/store/port.js';
import { describeStoreContract } from '../helpers/contract.js';
import { createApp, createEndpoint, messageInput, setDeliveryState } from '../helpers/store-data.js';
import type { OpenedStore } from '../helpers/stores.js';

const START = Date.UTC(2025, 0, 1);

await describeStoreContract('delivery control store', (open) => {
  let opened: OpenedStore;
  let clock: number;
  beforeEach(async () => {
    clock = START;
    opened = await open({ now: () => clock });
  });
  afterEach(async () => {
    await opened.close();
  });

  async function send(appId: string, overrides: Parameters<typeof messageInput>[0] = {}): Promise<CreatedMessage> {
    const created = await opened.store.createMessage(appId, messageInput(overrides), routeMessage);
    assert.ok(created.ok);
    return created.value;
  }

  const deliveryTo = (created: CreatedMessage, endpointId: string): Delivery => {
    const delivery = created.deliveries.find((d) => d.endpointId === endpointId);
    assert.ok(delivery, 'message was routed to the endpoint');
    return delivery;
  };

  /** The lease is the delivery engine's bookkeeping and has no public reader. */
  async function leaseOf(msgId: string, endpointId: string) {
    return opened.engine.read((db) =>
      db
        .selectFrom('deliveries')
        .select(['lease_owner', 'lease_until'])
        .where('msg_id', '=', msgId)
        .where('endpoint_id', '=', endpointId)
        .executeTakeFirstOrThrow(),
    );
  }

  it('requeues an existing delivery now, as a fresh manual run, releasing any lease', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoint = await createEndpoint(store, appId);
    const created = await send(appId);
    const original = deliveryTo(created, endpoint.id);
    await setDeliveryState(opened, original.id, { status: DeliveryStatus.fail, attemptCount: 5, leaseOwner: 'worker-1', canceledAt: new Date(START) });
    assert.equal((await store.endpointStats(appId, endpoint.id, {})).canceled, 1);
    assert.equal((await leaseOf(created.message.id, endpoint.id)).lease_owner, 'worker-1');

    clock = START + 60_000;
    const resent = await store.resendMessage(appId, created.message.id, endpoint.id);
    assert.ok(resent.ok);
    assert.equal(resent.value.id, original.id);
    assert.equal(resent.value.status, DeliveryStatus.pending);
    assert.equal(resent.value.attemptCount, 0);
    assert.equal(resent.value.triggerType, TriggerType.manual);
    assert.equal(resent.value.nextAttemptAt?.getTime(), START + 60_000);
    assert.equal(resent.value.createdAt.getTime(), START);
    assert.equal(resent.value.updatedAt.getTime(), START + 60_000);

    assert.deepEqual(await leaseOf(created.message.id, endpoint.id), { lease_owner: null, lease_until: null });
    assert.deepEqual(await store.endpointStats(appId, endpoint.id, {}), { success: 0, pending: 1, fail: 0, sending: 0, canceled: 0 });
    const listed = await store.listEndpointMessages(appId, endpoint.id, { limit: 10 }, {});
    assert.deepEqual(listed.data.map((item) => item.delivery), [resent.value]);
  });

  it('creates the delivery when the message was never routed to the endpoint', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const created = await send(appId, { eventType: 'order.paid' });
    const late = await createEndpoint(store, appId, { eventTypes: ['user.created'] });
    assert.deepEqual(created.deliveries, []);

    const resent = await store.resendMessage(appId, created.message.id, late.id);
    assert.ok(resent.ok);
    assert.match(resent.value.id, /^dlv_/);
    assert.equal(resent.value.msgId, created.message.id);
    assert.equal(resent.value.endpointId, late.id);
    assert.equal(resent.value.appId, appId);
    assert.equal(resent.value.status, DeliveryStatus.pending);
    assert.equal(resent.value.triggerType, TriggerType.manual);
    const destinations = await store.listMessageDestinations(appId, created.message.id, { limit: 10 });
    assert.deepEqual(destinations.data.map((d) => d.delivery), [resent.value]);
  });

  it('refuses a resend unless both the message and a live endpoint exist in the application', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoint = await createEndpoint(store, appId);
    const deleted = await createEndpoint(store, appId);
    const created = await send(appId);
    assert.ok((await store.deleteEndpoint(appId, deleted.id)).ok);
    const otherApp = await createApp(store, 'Other');
    const foreignEndpoint = await createEndpoint(store, otherApp);
    const foreignMessage = await send(otherApp);
    const notFound = { ok: false, reason: 'not_found' };

    assert.deepEqual(await store.resendMessage(appId, 'msg_missing', endpoint.id), notFound);
    assert.deepEqual(await store.resendMessage(appId, created.message.id, 'ep_missing'), notFound);
    assert.deepEqual(await store.resendMessage(appId, created.message.id, deleted.id), notFound);
    assert.deepEqual(await store.resendMessage(appId, created.message.id, foreignEndpoint.id), notFound);
    assert.deepEqual(await store.resendMessage(appId, foreignMessage.message.id, endpoint.id), notFound);
    const destinations = await store.listMessageDestinations(appId, created.message.id, { limit: 10 });
    assert.deepEqual(destinations.data.map((d) => d.endpoint.id), [endpoint.id]);
    assert.equal((await store.listEndpointMessages(appId, endpoint.id, { limit: 10 }, {})).data.length, 1);
  });

  it('stores, reads and finishes a background task', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoint = await createEndpoint(store, appId);
    const task = await store.createBackgroundTask({
      kind: 'endpoint.recover',
      appId,
      endpointId: endpoint.id,
      params: { since: '2025-01-01T00:00:00.000Z', until: null },
    });
    assert.match(task.id, /^qtask_/);
    assert.equal(task.status, 'running');
    assert.equal(task.result, null);
    assert.equal(task.createdAt.getTime(), START);
    assert.deepEqual(await store.getBackgroundTask(task.id), task);

    clock = START + 5000;
    await store.finishBackgroundTask(task.id, 'finished', { requeued: 3 });
    const finished = await store.getBackgroundTask(task.id);
    assert.equal(finished?.status, 'finished');
    assert.deepEqual(finished?.result, { requeued: 3 });
    assert.deepEqual(finished?.params, task.params);
    assert.equal(finished?.createdAt.getTime(), START);
    assert.equal(finished?.updatedAt.getTime(), START + 5000);
    assert.equal(await store.getBackgroundTask('qtask_missing'), undefined);
  });

  it('stores a task that concerns no endpoint, with its filter, as it was given', async () => {
    const { store } = opened;
    const sourceId = 'src_2vWJmHXbxvOsSl8gi0nbeyU1kSY';
    const task = await store.createBackgroundTask({
      kind: 'source.replay',
      appId: sourceId,
      endpointId: null,
      params: { since: null, until: '2025-02-01T00:00:00.000Z', states: ['failed', 'processed'], eventTypes: ['invoice.paid'] },
    });
    assert.equal(task.endpointId, null);
    const read = await store.getBackgroundTask(task.id);
    assert.deepEqual(read, task);
    assert.equal(read?.kind, 'source.replay');
    assert.equal(read?.endpointId, null);
    assert.deepEqual(read?.params, { since: null, until: '2025-02-01T00:00:00.000Z', states: ['failed', 'processed'], eventTypes: ['invoice.paid'] });
    await store.finishBackgroundTask(task.id, 'failed', null);
    assert.equal((await store.getBackgroundTask(task.id))?.endpointId, null);
    assert.equal((await store.getBackgroundTask(task.id))?.status, 'failed');
  });

  it("requeues only the endpoint's failed deliveries created in the range", async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoint = await createEndpoint(store, appId);
    const neighbour = await createEndpoint(store, appId);
    const sent: CreatedMessage[] = [];
    for (let i = 0; i < 5; i++) {
      clock = START + i * 1000;
      const created = await send(appId);
      sent.push(created);
      await setDeliveryState(opened, deliveryTo(created, endpoint.id).id, {
        status: i === 2 ? DeliveryStatus.success : DeliveryStatus.fail,
        attemptCount: 4,
        // A canceled delivery is a failed one too, and comes back with the rest.
        canceledAt: i === 3 ? new Date(clock) : null,
      });
      await setDeliveryState(opened, deliveryTo(created, neighbour.id).id, { status: DeliveryStatus.fail, attemptCount: 4 });
    }

    clock = START + 10_000;
    // since inclusive, until exclusive: messages 1..3, of which 2 succeeded.
    const requeued = await store.recoverFailedDeliveries(appId, endpoint.id, { since: new Date(START + 1000), until: new Date(START + 4000) });
    assert.equal(requeued, 2);
    const deliveriesOf = async (endpointId: string) =>
      (await store.listEndpointMessages(appId, endpointId, { limit: 10, order: 'ascending' }, {})).data.map((item) => item.delivery);
    const states = await deliveriesOf(endpoint.id);
    assert.deepEqual(
      states.map((d) => d.msgId),
      sent.map((created) => created.message.id),
    );
    assert.deepEqual(
      states.map((d) => d.status),
      [DeliveryStatus.fail, DeliveryStatus.pending, DeliveryStatus.success, DeliveryStatus.pending, DeliveryStatus.fail],
    );
    for (const state of [states[1]!, states[3]!]) {
      assert.equal(state.attemptCount, 0);
      assert.equal(state.triggerType, TriggerType.manual);
      assert.equal(state.nextAttemptAt?.getTime(), START + 10_000);
    }
    assert.equal(states[0]!.attemptCount, 4);
    assert.equal(states[0]!.triggerType, TriggerType.scheduled);
    assert.ok((await deliveriesOf(neighbour.id)).every((d) => d.status === DeliveryStatus.fail));
    assert.deepEqual(await store.endpointStats(appId, endpoint.id, {}), { success: 1, pending: 2, fail: 2, sending: 0, canceled: 0 });

    assert.equal(await store.recoverFailedDeliveries(appId, endpoint.id, { since: new Date(START + 1000), until: new Date(START + 4000) }), 0);
    assert.equal(await store.recoverFailedDeliveries(appId, endpoint.id, { since: new Date(START), until: null }), 2);
    const otherApp = await createApp(store, 'Other');
    assert.equal(await store.recoverFailedDeliveries(otherApp, neighbour.id, { since: new Date(START), until: null }), 0);
    assert.equal(await store.recoverFailedDeliveries(appId, neighbour.id, { since: new Date(START), until: null }), 5);
  });
});
