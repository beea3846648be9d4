import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { routeManually, routeMessage } from '../../src/delivery/routing.js';
import { DeliveryStatus, TriggerType, type Endpoint, type Message, type MessageRouter, type RoutableEndpoint } from '../../src/store/port.js';
import { describeStoreContract } from '../helpers/contract.js';
import { createApp, createEndpoint, messageInput, setDeliveryState } from '../helpers/store-data.js';
import type { OpenedStore } from '../helpers/stores.js';

const START = Date.UTC(2025, 0, 1);
const DAY_MS = 86_400_000;

await describeStoreContract('message store', (open) => {
  let opened: OpenedStore;
  let clock: number;
  beforeEach(async () => {
    clock = START;
    opened = await open({ now: () => clock });
  });
  afterEach(async () => {
    await opened.close();
  });

  async function send(appId: string, overrides: Parameters<typeof messageInput>[0] = {}, router: MessageRouter = routeMessage) {
    const created = await opened.store.createMessage(appId, messageInput(overrides), router);
    assert.ok(created.ok, JSON.stringify(created));
    return created.value;
  }

  it('creates one pending delivery per endpoint the router picks', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const all = await createEndpoint(store, appId);
    const users = await createEndpoint(store, appId, { eventTypes: ['user.created'] });
    const orders = await createEndpoint(store, appId, { eventTypes: ['order.paid'] });
    const eu = await createEndpoint(store, appId, { channels: ['eu'] });
    await createEndpoint(store, appId, { disabled: true });
    const deleted = await createEndpoint(store, appId);
    assert.ok((await store.deleteEndpoint(appId, deleted.id)).ok);
    const otherApp = await createApp(store, 'Other');
    await createEndpoint(store, otherApp);

    const plain = await send(appId, { eventType: 'user.created', channels: ['us'], tags: ['t1'], eventId: 'evt-1' });
    assert.match(plain.message.id, /^msg_[0-9A-Za-z]{27}$/);
    assert.equal(plain.message.appId, appId);
    assert.equal(plain.message.eventId, 'evt-1');
    assert.deepEqual(plain.message.channels, ['us']);
    assert.deepEqual(plain.message.tags, ['t1']);
    assert.equal(plain.message.payload, '{"id":1}');
    assert.equal(plain.message.createdAt.getTime(), START);
    assert.equal(plain.message.payloadExpiresAt.getTime(), START + 90 * DAY_MS);
    assert.deepEqual(plain.deliveries.map((d) => d.endpointId).sort(), [all.id, users.id].sort());
    for (const delivery of plain.deliveries) {
      assert.match(delivery.id, /^dlv_[0-9A-Za-z]{27}$/);
      assert.equal(delivery.appId, appId);
      assert.equal(delivery.msgId, plain.message.id);
      assert.equal(delivery.status, DeliveryStatus.pending);
      assert.equal(delivery.attemptCount, 0);
      assert.equal(delivery.triggerType, TriggerType.scheduled);
      assert.equal(delivery.nextAttemptAt?.getTime(), START);
      assert.equal(delivery.createdAt.getTime(), START);
    }

    const europe = await send(appId, { eventType: 'order.paid', channels: ['eu'] });
    assert.deepEqual(europe.deliveries.map((d) => d.endpointId).sort(), [all.id, orders.id, eu.id].sort());

    // What was returned is what was stored.
    const destinations = await store.listMessageDestinations(appId, europe.message.id, { limit: 10 });
    assert.deepEqual(
      destinations.data.map((d) => d.delivery),
      [...europe.deliveries].sort((a, b) => (a.endpointId < b.endpointId ? -1 : 1)),
    );
    assert.deepEqual(await store.getMessage(appId, plain.message.id), plain.message);
  });

  it('hands the router the live endpoints as domain objects and the message being routed', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const first = await createEndpoint(store, appId, { channels: ['a', 'b'], eventTypes: ['x'] });
    const second = await createEndpoint(store, appId, { disabled: true, metadata: { k: 'v' } });
    const gone = await createEndpoint(store, appId);
    assert.ok((await store.deleteEndpoint(appId, gone.id)).ok);

    const seen: Array<{ message: Pick<Message, 'eventType' | 'channels'>; endpoints: readonly RoutableEndpoint[] }> = [];
    const pickDisabled: MessageRouter = (message, endpoints) => {
      seen.push({ message, endpoints });
      return endpoints.filter((endpoint) => endpoint.disabled);
    };
    const created = await send(appId, { eventType: 'y', channels: ['c'] }, pickDisabled);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.message.eventType, 'y');
    assert.deepEqual(seen[0]!.message.channels, ['c']);
    assert.deepEqual(seen[0]!.endpoints.map((e) => e.id).sort(), [first.id, second.id].sort());
    const seenFirst = seen[0]!.endpoints.find((e) => e.id === first.id)!;
    assert.deepEqual(seenFirst.channels, ['a', 'b']);
    assert.deepEqual(seenFirst.eventTypes, ['x']);
    assert.equal('secrets' in seenFirst, false, 'routing sees no secrets');
    assert.equal(seenFirst.disabled, false);
    // The store trusts the router: whatever it returns is delivered to, even a disabled endpoint.
    assert.deepEqual(created.deliveries.map((d) => d.endpointId), [second.id]);
  });

  it('holds deliveries until deliverAt and computes retention from the input', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    await createEndpoint(store, appId);
    const deliverAt = new Date(START + 3_600_000);
    const created = await send(appId, { deliverAt, payloadRetentionDays: 3 });
    assert.equal(created.deliveries.length, 1);
    assert.equal(created.deliveries[0]!.nextAttemptAt?.getTime(), deliverAt.getTime());
    assert.equal(created.message.payloadExpiresAt.getTime(), START + 3 * DAY_MS);
  });

  it('routes only to the named endpoint when onlyEndpointId is given, as a manual trigger', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    await createEndpoint(store, appId);
    const target = await createEndpoint(store, appId, { eventTypes: ['other.type'] });
    const disabled = await createEndpoint(store, appId, { disabled: true });
    const otherApp = await createApp(store, 'Other');
    const foreign = await createEndpoint(store, otherApp);

    const example = await store.createMessage(appId, messageInput(), routeManually, { onlyEndpointId: target.id });
    assert.ok(example.ok);
    assert.deepEqual(
      example.value.deliveries.map((d) => [d.endpointId, d.triggerType]),
      [[target.id, TriggerType.manual]],
    );

    const toDisabled = await store.createMessage(appId, messageInput(), routeManually, { onlyEndpointId: disabled.id });
    assert.ok(toDisabled.ok);
    assert.deepEqual(toDisabled.value.deliveries, []);

    const toForeign = await store.createMessage(appId, messageInput(), routeManually, { onlyEndpointId: foreign.id });
    assert.ok(toForeign.ok);
    assert.deepEqual(toForeign.value.deliveries, []);
    assert.equal((await store.listEndpointMessages(otherApp, foreign.id, { limit: 10 }, {})).data.length, 0);
  });

  it('queues a delivery for every one of more than a thousand endpoints, in several inserts', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoints = new Set<string>();
    for (let i = 0; i < 1_005; i++) endpoints.add((await createEndpoint(store, appId, { url: `https://example.com/${i}` })).id);
    const sent = await send(appId);
    assert.equal(sent.deliveries.length, 1_005);
    assert.deepEqual(new Set(sent.deliveries.map((delivery) => delivery.endpointId)), endpoints);
    let stored = 0;
    for (let page = await store.listMessageDestinations(appId, sent.message.id, { limit: 250 }); ; ) {
      stored += page.data.length;
      if (page.done || !page.iterator) break;
      page = await store.listMessageDestinations(appId, sent.message.id, { limit: 250, iterator: page.iterator });
    }
    assert.equal(stored, 1_005);
    assert.equal((await store.createMessage(appId, messageInput({ eventId: 'wide' }), routeMessage)).ok, true);
    const again = await store.createMessage(appId, messageInput({ eventId: 'wide' }), routeMessage);
    assert.equal(!again.ok && again.reason, 'conflict', 'a duplicate eventId is refused however wide the fan-out');
  });

  it('refuses a duplicate eventId and leaves neither a message nor deliveries behind', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoint = await createEndpoint(store, appId);
    const first = await send(appId, { eventId: 'order-42' });

    const again = await store.createMessage(appId, messageInput({ eventId: 'order-42', payload: '{"second":true}' }), routeMessage);
    assert.equal(again.ok, false);
    assert.equal(!again.ok && again.reason, 'conflict');
    assert.match(!again.ok && again.reason === 'conflict' ? again.detail : '', /order-42/);

    const listed = await store.listMessages(appId, { limit: 10 }, {});
    assert.deepEqual(listed.data.map((m) => m.id), [first.message.id]);
    const routed = await store.listEndpointMessages(appId, endpoint.id, { limit: 10 }, {});
    assert.deepEqual(routed.data.map((item) => item.message.id), [first.message.id]);
    assert.equal((await store.getMessage(appId, 'order-42'))?.payload, '{"id":1}');

    // The same eventId is free in another application.
    const otherApp = await createApp(store, 'Other');
    assert.ok((await store.createMessage(otherApp, messageInput({ eventId: 'order-42' }), routeMessage)).ok);
  });

  it('lets exactly one of several concurrent sends with one eventId through', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoint = await createEndpoint(store, appId);
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => store.createMessage(appId, messageInput({ eventId: 'same', payload: `{"n":${i}}` }), routeMessage)),
    );
    assert.equal(results.filter((r) => r.ok).length, 1);
    assert.deepEqual(
      results.filter((r) => !r.ok).map((r) => !r.ok && r.reason),
      ['conflict', 'conflict', 'conflict', 'conflict'],
    );
    const routed = await store.listEndpointMessages(appId, endpoint.id, { limit: 10 }, {});
    assert.equal(routed.data.length, 1);
    assert.equal((await store.listMessages(appId, { limit: 10 }, {})).data.length, 1);
  });

  it('reads a message by id or eventId, only within its application', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const created = await send(appId, { eventId: 'evt-7' });
    assert.equal((await store.getMessage(appId, created.message.id))?.id, created.message.id);
    assert.equal((await store.getMessage(appId, 'evt-7'))?.id, created.message.id);
    assert.equal(await store.getMessage(appId, 'evt-8'), undefined);
    const otherApp = await createApp(store, 'Other');
    assert.equal(await store.getMessage(otherApp, created.message.id), undefined);
    assert.equal(await store.getMessage(otherApp, 'evt-7'), undefined);
  });

  it("prefers the message whose id matches over one whose eventId happens to equal it", async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const first = await send(appId);
    // Inserted after, so an unordered or id-ordered lookup alone could return either.
    const impostor = await send(appId, { eventId: first.message.id });
    assert.equal((await store.getMessage(appId, first.message.id))?.id, first.message.id);
    assert.equal((await store.getMessage(appId, impostor.message.id))?.id, impostor.message.id);
  });

  it('lists newest first by default and pages both ways', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await send(appId)).message.id);
      clock += 1000;
    }
    const newestFirst = [...ids].reverse();
    const first = await store.listMessages(appId, { limit: 2 }, {});
    assert.deepEqual(first.data.map((m) => m.id), newestFirst.slice(0, 2));
    assert.equal(first.done, false);
    const late = await send(appId);
    const second = await store.listMessages(appId, { limit: 2, iterator: first.iterator }, {});
    assert.deepEqual(second.data.map((m) => m.id), newestFirst.slice(2, 4));
    const third = await store.listMessages(appId, { limit: 2, iterator: second.iterator }, {});
    assert.deepEqual(third.data.map((m) => m.id), newestFirst.slice(4));
    assert.equal(third.done, true);
    const back = await store.listMessages(appId, { limit: 2, iterator: third.prevIterator }, {});
    assert.deepEqual(back.data.map((m) => m.id), newestFirst.slice(2, 4));
    const backToStart = await store.listMessages(appId, { limit: 2, iterator: first.prevIterator }, {});
    assert.deepEqual(backToStart.data.map((m) => m.id), [late.message.id]);
    const ascending = await store.listMessages(appId, { limit: 3, order: 'ascending' }, {});
    assert.deepEqual(ascending.data.map((m) => m.id), ids.slice(0, 3));
    const otherApp = await createApp(store, 'Other');
    assert.deepEqual((await store.listMessages(otherApp, { limit: 10 }, {})).data, []);
  });

  it('filters the list by event type, channel and creation time', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const a = await send(appId, { eventType: 'a', channels: ['eu', 'x_y'] });
    clock += 1000;
    const b = await send(appId, { eventType: 'b', channels: ['us'] });
    clock += 1000;
    const c = await send(appId, { eventType: 'c', channels: null });
    clock += 1000;
    const d = await send(appId, { eventType: 'a', channels: ['x%y', 'e"u'] });
    const ids = async (filter: Parameters<typeof store.listMessages>[2]) =>
      (await store.listMessages(appId, { limit: 10, order: 'ascending' }, filter)).data.map((m) => m.id);

    assert.deepEqual(await ids({ eventTypes: ['a'] }), [a.message.id, d.message.id]);
    assert.deepEqual(await ids({ eventTypes: ['b', 'c'] }), [b.message.id, c.message.id]);
    assert.deepEqual(await ids({ eventTypes: [] }), [a.message.id, b.message.id, c.message.id, d.message.id]);
    assert.deepEqual(await ids({ channel: 'eu' }), [a.message.id]);
    assert.deepEqual(await ids({ channel: 'e"u' }), [d.message.id]);
    // LIKE wildcards in a channel name match only themselves.
    assert.deepEqual(await ids({ channel: 'x_y' }), [a.message.id]);
    assert.deepEqual(await ids({ channel: 'x%y' }), [d.message.id]);
    assert.deepEqual(await ids({ channel: 'e' }), []);
    // Bounds are exclusive, like Svix's after/before.
    assert.deepEqual(await ids({ since: new Date(START + 1000) }), [c.message.id, d.message.id]);
    assert.deepEqual(await ids({ until: new Date(START + 1000) }), [a.message.id]);
    assert.deepEqual(await ids({ since: new Date(START), until: new Date(START + 3000) }), [b.message.id, c.message.id]);
    assert.deepEqual(await ids({ eventTypes: ['a'], since: new Date(START) }), [d.message.id]);
  });

  it('expunges a payload and keeps the rest of the message', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const created = await send(appId, { eventId: 'e1' });
    const kept = await send(appId);
    assert.deepEqual(await store.expungeMessageContent(appId, created.message.id), { ok: true, value: undefined });
    const read = await store.getMessage(appId, created.message.id);
    assert.equal(read?.payload, null);
    assert.equal(read?.eventId, 'e1');
    assert.equal((await store.getMessage(appId, kept.message.id))?.payload, '{"id":1}');
    assert.deepEqual(await store.expungeMessageContent(appId, 'msg_missing'), { ok: false, reason: 'not_found' });
    const otherApp = await createApp(store, 'Other');
    assert.deepEqual(await store.expungeMessageContent(otherApp, kept.message.id), { ok: false, reason: 'not_found' });
    assert.equal((await store.getMessage(appId, kept.message.id))?.payload, '{"id":1}');
  });

  it("lists an endpoint's messages with their delivery, newest first, filtered by status and message fields", async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoint = await createEndpoint(store, appId);
    const other = await createEndpoint(store, appId, { eventTypes: ['b'] });
    const m1 = await send(appId, { eventType: 'a', channels: ['eu'] });
    clock += 1000;
    const m2 = await send(appId, { eventType: 'b' });
    clock += 1000;
    const m3 = await send(appId, { eventType: 'a' });
    const deliveryOf = (created: typeof m1) => created.deliveries.find((d) => d.endpointId === endpoint.id)!;
    await setDeliveryState(opened, deliveryOf(m2).id, { status: DeliveryStatus.fail, attemptCount: 3 });
    await setDeliveryState(opened, deliveryOf(m3).id, { status: DeliveryStatus.success, attemptCount: 1 });

    const all = await store.listEndpointMessages(appId, endpoint.id, { limit: 10 }, {});
    assert.deepEqual(all.data.map((item) => item.message.id), [m3.message.id, m2.message.id, m1.message.id]);
    assert.ok(all.data.every((item) => item.delivery.endpointId === endpoint.id && item.delivery.msgId === item.message.id));
    assert.deepEqual(all.data[1]!.message, m2.message);
    assert.equal(all.data[1]!.delivery.status, DeliveryStatus.fail);
    assert.equal(all.data[1]!.delivery.attemptCount, 3);
    assert.equal(all.data[1]!.delivery.id, deliveryOf(m2).id);

    const ids = async (filter: Parameters<typeof store.listEndpointMessages>[3]) =>
      (await store.listEndpointMessages(appId, endpoint.id, { limit: 10 }, filter)).data.map((item) => item.message.id);
    assert.deepEqual(await ids({ status: DeliveryStatus.fail }), [m2.message.id]);
    assert.deepEqual(await ids({ status: DeliveryStatus.pending }), [m1.message.id]);
    assert.deepEqual(await ids({ status: DeliveryStatus.success, eventTypes: ['b'] }), []);
    assert.deepEqual(await ids({ eventTypes: ['a'] }), [m3.message.id, m1.message.id]);
    assert.deepEqual(await ids({ channel: 'eu' }), [m1.message.id]);
    assert.deepEqual(await ids({ since: new Date(START) }), [m3.message.id, m2.message.id]);
    assert.deepEqual(await ids({ until: new Date(START + 2000) }), [m2.message.id, m1.message.id]);

    const page1 = await store.listEndpointMessages(appId, endpoint.id, { limit: 2 }, {});
    assert.equal(page1.done, false);
    const page2 = await store.listEndpointMessages(appId, endpoint.id, { limit: 2, iterator: page1.iterator }, {});
    assert.deepEqual(page2.data.map((item) => item.message.id), [m1.message.id]);
    assert.equal(page2.done, true);
    const ascending = await store.listEndpointMessages(appId, endpoint.id, { limit: 2, order: 'ascending' }, {});
    assert.deepEqual(ascending.data.map((item) => item.message.id), [m1.message.id, m2.message.id]);

    assert.deepEqual(
      (await store.listEndpointMessages(appId, other.id, { limit: 10 }, {})).data.map((item) => item.message.id),
      [m2.message.id],
    );
  });

  it("lists a message's destinations by endpoint id, leaving out deleted endpoints", async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoints: Endpoint[] = [];
    // A disabled endpoint still shows where a message went (here a router chose it regardless).
    for (let i = 0; i < 4; i++) endpoints.push(await createEndpoint(store, appId, { url: `https://example.com/${i}`, disabled: i === 2 }));
    const everyEndpoint: MessageRouter = (_message, candidates) => [...candidates];
    const created = await send(appId, {}, everyEndpoint);
    const later = await send(appId, {}, everyEndpoint);
    assert.ok((await store.deleteEndpoint(appId, endpoints[1]!.id)).ok);
    const live = [endpoints[0]!, endpoints[2]!, endpoints[3]!].map((e) => e.id).sort();

    const first = await store.listMessageDestinations(appId, created.message.id, { limit: 2 });
    assert.deepEqual(first.data.map((d) => d.endpoint.id), live.slice(0, 2));
    assert.equal(first.done, false);
    for (const destination of first.data) {
      assert.equal(destination.delivery.msgId, created.message.id);
      assert.equal(destination.delivery.endpointId, destination.endpoint.id);
      const source = endpoints.find((e) => e.id === destination.endpoint.id)!;
      assert.equal(destination.endpoint.url, source.url);
    }
    const second = await store.listMessageDestinations(appId, created.message.id, { limit: 2, iterator: first.iterator });
    assert.deepEqual(second.data.map((d) => d.endpoint.id), live.slice(2));
    assert.equal(second.done, true);
    const back = await store.listMessageDestinations(appId, created.message.id, { limit: 2, iterator: second.prevIterator });
    assert.deepEqual(back.data.map((d) => d.endpoint.id), live.slice(0, 2));
    assert.notDeepEqual(
      (await store.listMessageDestinations(appId, later.message.id, { limit: 10 })).data.map((d) => d.delivery.id),
      (await store.listMessageDestinations(appId, created.message.id, { limit: 10 })).data.map((d) => d.delivery.id),
    );
    const otherApp = await createApp(store, 'Other');
    assert.deepEqual((await store.listMessageDestinations(otherApp, created.message.id, { limit: 10 })).data, []);
  });
});
