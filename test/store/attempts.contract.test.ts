import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { routeMessage } from '../../src/delivery/routing.js';
import { DeliveryStatus, TriggerType, type AttemptFilter, type CreatedMessage, type Delivery } from '../../src/store/port.js';
import { describeStoreContract } from '../helpers/contract.js';
import { createApp, createEndpoint, messageInput, recordAttempt, setDeliveryState } from '../helpers/store-data.js';
import type { OpenedStore } from '../helpers/stores.js';

const START = Date.UTC(2025, 0, 1);

await describeStoreContract('attempt store', (open) => {
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

  it('reads back a recorded attempt only under its application and message', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoint = await createEndpoint(store, appId);
    const created = await send(appId);
    const other = await send(appId);
    const attempt = await recordAttempt(opened, deliveryTo(created, endpoint.id), {
      status: DeliveryStatus.fail,
      responseStatusCode: 503,
      response: 'unavailable',
      responseDurationMs: 1234,
      triggerType: TriggerType.manual,
      createdAt: new Date(START + 5),
    });
    assert.match(attempt.id, /^atmpt_/);
    assert.deepEqual(await store.getAttempt(appId, created.message.id, attempt.id), attempt);
    assert.equal(await store.getAttempt(appId, other.message.id, attempt.id), undefined);
    const otherApp = await createApp(store, 'Other');
    assert.equal(await store.getAttempt(otherApp, created.message.id, attempt.id), undefined);
  });

  it('lists by endpoint and by message, newest first, paging both ways', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoint = await createEndpoint(store, appId);
    const second = await createEndpoint(store, appId);
    const created = await send(appId);
    const other = await send(appId);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await recordAttempt(opened, deliveryTo(created, endpoint.id), { createdAt: new Date(START + i) })).id);
    const onSecond = await recordAttempt(opened, deliveryTo(created, second.id));
    const onOther = await recordAttempt(opened, deliveryTo(other, endpoint.id));
    const newestFirst = [...ids].reverse();

    const byEndpoint = await store.listAttemptsByEndpoint(appId, endpoint.id, { limit: 10 }, {});
    assert.deepEqual(byEndpoint.data.map((a) => a.id), [onOther.id, ...newestFirst]);

    const first = await store.listAttemptsByEndpoint(appId, endpoint.id, { limit: 2 }, { endpointId: null });
    assert.deepEqual(first.data.map((a) => a.id), [onOther.id, newestFirst[0]]);
    assert.equal(first.done, false);
    const next = await store.listAttemptsByEndpoint(appId, endpoint.id, { limit: 2, iterator: first.iterator }, {});
    assert.deepEqual(next.data.map((a) => a.id), newestFirst.slice(1, 3));
    const back = await store.listAttemptsByEndpoint(appId, endpoint.id, { limit: 2, iterator: next.prevIterator }, {});
    assert.deepEqual(back.data.map((a) => a.id), [onOther.id, newestFirst[0]]);
    const ascending = await store.listAttemptsByEndpoint(appId, endpoint.id, { limit: 2, order: 'ascending' }, {});
    assert.deepEqual(ascending.data.map((a) => a.id), ids.slice(0, 2));

    const byMessage = await store.listAttemptsByMessage(appId, created.message.id, { limit: 10 }, {});
    assert.deepEqual(byMessage.data.map((a) => a.id), [onSecond.id, ...newestFirst]);
    assert.equal(byMessage.done, true);
    const narrowed = await store.listAttemptsByMessage(appId, created.message.id, { limit: 10 }, { endpointId: second.id });
    assert.deepEqual(narrowed.data.map((a) => a.id), [onSecond.id]);

    const otherApp = await createApp(store, 'Other');
    assert.deepEqual((await store.listAttemptsByEndpoint(otherApp, endpoint.id, { limit: 10 }, {})).data, []);
    assert.deepEqual((await store.listAttemptsByMessage(otherApp, created.message.id, { limit: 10 }, {})).data, []);
  });

  it('filters by status, status code class, message fields and time', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoint = await createEndpoint(store, appId);
    const euOrder = await send(appId, { eventType: 'order.paid', channels: ['eu', 'a_b'] });
    const usUser = await send(appId, { eventType: 'user.created', channels: ['us'] });
    const plain = await send(appId, { eventType: 'user.deleted' });
    const ok = await recordAttempt(opened, deliveryTo(euOrder, endpoint.id), { responseStatusCode: 204, createdAt: new Date(START) });
    const timeout = await recordAttempt(opened, deliveryTo(euOrder, endpoint.id), {
      status: DeliveryStatus.fail,
      responseStatusCode: 0,
      response: null,
      createdAt: new Date(START + 1000),
    });
    const serverError = await recordAttempt(opened, deliveryTo(usUser, endpoint.id), {
      status: DeliveryStatus.fail,
      responseStatusCode: 500,
      createdAt: new Date(START + 2000),
    });
    const notFound = await recordAttempt(opened, deliveryTo(plain, endpoint.id), {
      status: DeliveryStatus.fail,
      responseStatusCode: 404,
      createdAt: new Date(START + 3000),
    });
    const redirect = await recordAttempt(opened, deliveryTo(plain, endpoint.id), { responseStatusCode: 299, createdAt: new Date(START + 4000) });

    const ids = async (filter: AttemptFilter) =>
      (await store.listAttemptsByEndpoint(appId, endpoint.id, { limit: 10, order: 'ascending' }, filter)).data.map((a) => a.id);
    assert.deepEqual(await ids({ status: DeliveryStatus.fail }), [timeout.id, serverError.id, notFound.id]);
    assert.deepEqual(await ids({ status: DeliveryStatus.success }), [ok.id, redirect.id]);
    assert.deepEqual(await ids({ statusCodeClass: 0 }), [timeout.id]);
    assert.deepEqual(await ids({ statusCodeClass: 200 }), [ok.id, redirect.id]);
    assert.deepEqual(await ids({ statusCodeClass: 400 }), [notFound.id]);
    assert.deepEqual(await ids({ statusCodeClass: 500 }), [serverError.id]);
    assert.deepEqual(await ids({ statusCodeClass: 300 }), []);
    assert.deepEqual(await ids({ eventTypes: ['order.paid', 'user.created'] }), [ok.id, timeout.id, serverError.id]);
    assert.deepEqual(await ids({ channel: 'eu' }), [ok.id, timeout.id]);
    assert.deepEqual(await ids({ channel: 'a%' }), []);
    assert.deepEqual(await ids({ channel: 'us', eventTypes: ['order.paid'] }), []);
    assert.deepEqual(await ids({ since: new Date(START + 1000), until: new Date(START + 4000) }), [serverError.id, notFound.id]);
    assert.deepEqual(await ids({ status: DeliveryStatus.fail, statusCodeClass: 500, since: new Date(START) }), [serverError.id]);

    const byMessage = await store.listAttemptsByMessage(appId, euOrder.message.id, { limit: 10 }, { statusCodeClass: 200, channel: 'a_b' });
    assert.deepEqual(byMessage.data.map((a) => a.id), [ok.id]);
  });

  it('expunges an attempt response and reports a missing attempt', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoint = await createEndpoint(store, appId);
    const created = await send(appId);
    const attempt = await recordAttempt(opened, deliveryTo(created, endpoint.id), { response: 'secret body' });
    const kept = await recordAttempt(opened, deliveryTo(created, endpoint.id), { response: 'other body' });
    assert.deepEqual(await store.expungeAttemptContent(appId, created.message.id, attempt.id), { ok: true, value: undefined });
    const read = await store.getAttempt(appId, created.message.id, attempt.id);
    assert.equal(read?.response, null);
    assert.equal(read?.responseStatusCode, 200);
    assert.equal((await store.getAttempt(appId, created.message.id, kept.id))?.response, 'other body');
    assert.deepEqual(await store.expungeAttemptContent(appId, created.message.id, 'atmpt_missing'), { ok: false, reason: 'not_found' });
    const otherApp = await createApp(store, 'Other');
    assert.deepEqual(await store.expungeAttemptContent(otherApp, created.message.id, kept.id), { ok: false, reason: 'not_found' });
    assert.equal((await store.getAttempt(appId, created.message.id, kept.id))?.response, 'other body');
  });

  it("counts an endpoint's deliveries by status within a time range", async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoint = await createEndpoint(store, appId);
    const neighbour = await createEndpoint(store, appId);
    const canceled = 'canceled' as const;
    const statuses = [DeliveryStatus.success, DeliveryStatus.success, DeliveryStatus.fail, DeliveryStatus.sending, DeliveryStatus.pending, canceled];
    for (const [i, status] of statuses.entries()) {
      clock = START + i * 1000;
      const created = await send(appId);
      await setDeliveryState(
        opened,
        deliveryTo(created, endpoint.id).id,
        // The engine cancels a delivery by failing it with a cancellation time.
        status === canceled ? { status: DeliveryStatus.fail, canceledAt: new Date(clock) } : { status },
      );
      await setDeliveryState(opened, deliveryTo(created, neighbour.id).id, { status: DeliveryStatus.fail });
    }

    assert.deepEqual(await store.endpointStats(appId, endpoint.id, {}), { success: 2, pending: 1, fail: 1, sending: 1, canceled: 1 });
    // since inclusive, until exclusive.
    assert.deepEqual(await store.endpointStats(appId, endpoint.id, { since: new Date(START + 1000), until: new Date(START + 3000) }), {
      success: 1,
      pending: 0,
      fail: 1,
      sending: 0,
      canceled: 0,
    });
    assert.deepEqual(await store.endpointStats(appId, endpoint.id, { since: new Date(START + 4000) }), {
      success: 0,
      pending: 1,
      fail: 0,
      sending: 0,
      canceled: 1,
    });
    assert.deepEqual(await store.endpointStats(appId, neighbour.id, { since: new Date(START + 4000) }), {
      success: 0,
      pending: 0,
      fail: 2,
      sending: 0,
      canceled: 0,
    });
    const otherApp = await createApp(store, 'Other');
    assert.deepEqual(await store.endpointStats(otherApp, endpoint.id, {}), { success: 0, pending: 0, fail: 0, sending: 0, canceled: 0 });
  });
});
