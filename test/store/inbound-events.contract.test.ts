import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { routeMessage } from '../../src/delivery/routing.js';
import {
  DeliveryStatus,
  TriggerType,
  type ClaimedDelivery,
  type DeliveryDisposition,
  type InboundEvent,
  type MessageRouter,
  type ReceivedEventInput,
} from '../../src/store/port.js';
import { describeStoreContract } from '../helpers/contract.js';
import { createApp, createEndpoint, createSource, messageInput, receivedInput } from '../helpers/store-data.js';
import type { OpenedStore } from '../helpers/stores.js';

const START = Date.UTC(2026, 0, 1);
const DAY_MS = 86_400_000;
const WINDOW = 60_000;
const LEASE = 30_000;
/** Not valid UTF-8: a body that went through a text conversion anywhere would come back changed. */
const BYTES = Buffer.from([0, 255, 1, 128]);

await describeStoreContract('inbound event store', (open) => {
  let opened: OpenedStore;
  let clock: number;
  beforeEach(async () => {
    clock = START;
    opened = await open({ now: () => clock });
  });
  afterEach(async () => {
    await opened.close();
  });

  const receive = (sourceId: string, overrides: Partial<ReceivedEventInput> = {}, router: MessageRouter = routeMessage) =>
    opened.store.receiveInboundEvent(receivedInput(sourceId, overrides), router);

  /** A receive the caller expects to be forwarded (or held), returning the stored event. */
  async function accepted(sourceId: string, overrides: Partial<ReceivedEventInput> = {}): Promise<InboundEvent> {
    const received = await receive(sourceId, overrides);
    assert.equal(received.outcome, 'accepted');
    return received.event;
  }

  const deduped = (key: string): Partial<ReceivedEventInput> => ({ dedupKey: key, dedupWindowMs: WINDOW });

  const destinationsOf = async (sourceId: string, msgId: string) =>
    (await opened.store.listMessageDestinations(sourceId, msgId, { limit: 50 })).data.map((d) => d.delivery);

  const claim = (owner = 'worker') => opened.store.claimDueDeliveries({ owner, limit: 50, leaseMs: LEASE });

  const settle = (claimed: ClaimedDelivery, disposition: DeliveryDisposition) =>
    opened.store.recordDeliveryResults([
      { deliveryId: claimed.delivery.id, lease: claimed.lease, attempt: null, disposition, inboundEventId: claimed.message?.inbound?.eventId ?? null },
    ]);

  const pruneBody = (eventId: string) =>
    opened.engine.write((tx) => tx.updateTable('inbound_events').set({ body: null }).where('id', '=', eventId).execute());

  it('stores an accepted event with the message that forwards it and one delivery per destination', async () => {
    const { store } = opened;
    const source = await createSource(store);
    const every = await createEndpoint(store, source.id);
    const paid = await createEndpoint(store, source.id, { eventTypes: ['invoice.paid'] });
    await createEndpoint(store, source.id, { eventTypes: ['charge.failed'] });
    await createEndpoint(store, await createApp(store, 'Other'));

    const input = receivedInput(source.id, { body: BYTES, providerEventId: 'evt_provider_1', ...deduped('id:evt_provider_1') });
    const { event, outcome } = await store.receiveInboundEvent(input, routeMessage);
    assert.equal(outcome, 'accepted');
    assert.match(event.id, /^evt_[0-9A-Za-z]{27}$/);
    assert.equal(event.sourceId, source.id);
    assert.equal(event.state, 'received');
    assert.equal(event.stateReason, null);
    assert.equal(event.eventType, 'invoice.paid');
    assert.equal(event.providerEventId, 'evt_provider_1');
    assert.equal(event.duplicateOf, null);
    assert.equal(event.validationErrors, null);
    assert.equal(event.replays, 0);
    assert.equal(event.receivedAt.getTime(), START);
    assert.equal(event.updatedAt.getTime(), START);
    assert.deepEqual(event.request, input.request);
    assert.deepEqual(event.body, BYTES);
    assert.match(event.msgId ?? '', /^msg_/);

    const read = await store.getInboundEvent(source.id, event.id);
    assert.deepEqual(read, event, 'what was returned is what was stored, body bytes included');
    assert.ok(Buffer.isBuffer(read?.body));
    assert.equal(await store.getInboundEvent((await createSource(store)).id, event.id), undefined, 'only within its source');

    const message = await store.getMessage(source.id, event.id);
    assert.equal(message?.id, event.msgId, 'the message carries the event id as its eventId');
    assert.equal(message?.appId, source.id);
    assert.equal(message?.eventType, 'invoice.paid');
    assert.equal(message?.payload, null, 'the body is sent from the event, not copied into the message');
    assert.equal(message?.payloadExpiresAt.getTime(), START + 30 * DAY_MS);
    const link = await opened.engine.read((db) => db.selectFrom('messages').select('source_event_id').where('id', '=', event.msgId!).executeTakeFirstOrThrow());
    assert.equal(link.source_event_id, event.id);

    const deliveries = await destinationsOf(source.id, event.msgId!);
    assert.deepEqual(deliveries.map((d) => d.endpointId), [every.id, paid.id].sort());
    for (const delivery of deliveries) {
      assert.equal(delivery.appId, source.id);
      assert.equal(delivery.status, DeliveryStatus.pending);
      assert.equal(delivery.triggerType, TriggerType.scheduled);
      assert.equal(delivery.nextAttemptAt?.getTime(), START);
    }
  });

  it('processes an event at once when no destination takes it; an untyped event reaches unfiltered destinations only', async () => {
    const { store } = opened;
    const lonely = await createSource(store);
    const event = await accepted(lonely.id);
    assert.equal(event.state, 'processed');
    assert.equal(event.stateReason, 'no destinations');
    assert.ok(event.msgId, 'the message exists, for a later replay');
    assert.deepEqual(await destinationsOf(lonely.id, event.msgId), []);

    const source = await createSource(store);
    const unfiltered = await createEndpoint(store, source.id);
    await createEndpoint(store, source.id, { eventTypes: ['invoice.paid'] });
    const untyped = await accepted(source.id, { eventType: null });
    assert.equal(untyped.eventType, null);
    assert.equal(untyped.state, 'received');
    assert.equal((await store.getMessage(source.id, untyped.id))?.eventType, '');
    assert.deepEqual((await destinationsOf(source.id, untyped.msgId!)).map((d) => d.endpointId), [unfiltered.id]);
  });

  it('recognises a duplicate within the dedup window, per source, and forwards it nowhere', async () => {
    const { store } = opened;
    const source = await createSource(store);
    const endpoint = await createEndpoint(store, source.id);
    const first = await accepted(source.id, deduped('id:1'));
    clock += 1000;
    const second = await receive(source.id, { ...deduped('id:1'), body: Buffer.from('{"retry":true}') });
    assert.equal(second.outcome, 'duplicate');
    assert.equal(second.event.state, 'duplicate');
    assert.equal(second.event.duplicateOf, first.id);
    assert.equal(second.event.stateReason, `duplicate of ${first.id}`);
    assert.equal(second.event.msgId, null);
    assert.notEqual(second.event.id, first.id);
    assert.deepEqual((await store.getInboundEvent(source.id, second.event.id))?.body, Buffer.from('{"retry":true}'), 'the duplicate is kept, for inspection');
    assert.equal((await store.listMessages(source.id, { limit: 10 }, {})).data.length, 1);
    assert.equal((await store.listEndpointMessages(source.id, endpoint.id, { limit: 10 }, {})).data.length, 1);

    assert.equal((await receive(source.id, deduped('id:2'))).outcome, 'accepted', 'another key is another event');
    assert.equal((await receive((await createSource(store)).id, deduped('id:1'))).outcome, 'accepted', 'keys are per source');
    const undeduplicated = await Promise.all([receive(source.id), receive(source.id)]);
    assert.deepEqual(
      undeduplicated.map((r) => r.outcome),
      ['accepted', 'accepted'],
      'without a dedup key nothing is a duplicate',
    );
  });

  it('forgets a dedup key when its window ends, and remembers it afresh for the next event', async () => {
    const { store } = opened;
    const source = await createSource(store);
    const first = await accepted(source.id, deduped('sha256:abc'));
    clock = START + WINDOW - 1;
    assert.equal((await receive(source.id, deduped('sha256:abc'))).event.duplicateOf, first.id);
    clock = START + WINDOW;
    const second = await accepted(source.id, deduped('sha256:abc'));
    assert.notEqual(second.id, first.id);
    clock = START + 2 * WINDOW - 1;
    assert.equal((await receive(source.id, deduped('sha256:abc'))).event.duplicateOf, second.id, 'the window runs from the second event');
    clock = START + 2 * WINDOW;
    assert.equal((await receive(source.id, deduped('sha256:abc'))).outcome, 'accepted');
    assert.equal((await store.listMessages(source.id, { limit: 10 }, {})).data.length, 3);
  });

  it('remembers dedup keys across a restart', async () => {
    const source = await createSource(opened.store);
    const first = await accepted(source.id, { ...deduped('id:restart'), body: BYTES });
    opened = await opened.reopen();
    const again = await receive(source.id, deduped('id:restart'));
    assert.equal(again.outcome, 'duplicate');
    assert.equal(again.event.duplicateOf, first.id);
    assert.deepEqual(await opened.store.getInboundEvent(source.id, first.id), first);
  });

  it('lets exactly one of concurrent identical receives through, also when they take over an expired key', async () => {
    const { store } = opened;
    const source = await createSource(store);
    const endpoint = await createEndpoint(store, source.id);
    const burst = async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => receive(source.id, deduped('id:burst'))));
      const winners = results.filter((r) => r.outcome === 'accepted');
      assert.equal(winners.length, 1, JSON.stringify(results.map((r) => r.outcome)));
      const losers = results.filter((r) => r.outcome === 'duplicate');
      assert.equal(losers.length, 9);
      assert.ok(losers.every((r) => r.event.duplicateOf === winners[0]!.event.id));
      return winners[0]!.event;
    };
    const first = await burst();
    clock = START + WINDOW;
    const second = await burst();
    assert.notEqual(second.id, first.id);
    const forwarded = await store.listEndpointMessages(source.id, endpoint.id, { limit: 50 }, {});
    assert.deepEqual(
      forwarded.data.map((item) => item.message.eventId),
      [second.id, first.id],
      'one message per winner, none for the duplicates',
    );
    const events = await store.listInboundEvents(source.id, { limit: 50 }, {});
    assert.equal(events.data.length, 20, 'every request is on record');
  });

  it('quarantines an event that fails its schema, and forwards it once released', async () => {
    const { store } = opened;
    const source = await createSource(store);
    const endpoint = await createEndpoint(store, source.id);
    const problems = [{ path: '/amount', message: 'must be integer' }];
    const held = await receive(source.id, { ...deduped('id:q'), validationErrors: problems, body: BYTES });
    assert.equal(held.outcome, 'quarantined');
    assert.equal(held.event.state, 'quarantined');
    assert.equal(held.event.msgId, null);
    assert.deepEqual(held.event.validationErrors, problems);
    assert.deepEqual(await store.getInboundEvent(source.id, held.event.id), held.event);
    assert.deepEqual((await store.listMessages(source.id, { limit: 10 }, {})).data, [], 'nothing is forwarded');
    assert.equal((await receive(source.id, { ...deduped('id:q'), validationErrors: problems })).event.duplicateOf, held.event.id, 'a retry is a duplicate');

    clock += 5000;
    const released = await store.releaseInboundEvent(source.id, held.event.id, routeMessage);
    assert.ok(released.ok);
    assert.equal(released.value.state, 'received');
    assert.equal(released.value.stateReason, 'released');
    assert.equal(released.value.validationErrors, null);
    assert.equal(released.value.replays, 1);
    assert.equal(released.value.updatedAt.getTime(), clock);
    assert.equal(released.value.receivedAt.getTime(), START);
    assert.deepEqual(released.value.body, BYTES);
    assert.deepEqual(await store.getInboundEvent(source.id, held.event.id), released.value);
    const message = await store.getMessage(source.id, held.event.id);
    assert.equal(message?.id, released.value.msgId);
    const [delivery] = await destinationsOf(source.id, message!.id);
    assert.equal(delivery?.endpointId, endpoint.id);
    assert.equal(delivery?.triggerType, TriggerType.scheduled);
    assert.equal(delivery?.nextAttemptAt?.getTime(), clock);

    const again = await store.releaseInboundEvent(source.id, held.event.id, routeMessage);
    assert.equal(!again.ok && again.reason, 'conflict');
    assert.equal((await store.listMessages(source.id, { limit: 10 }, {})).data.length, 1, 'a second release forwards nothing more');
    assert.equal((await receive(source.id, { validationErrors: [] })).outcome, 'accepted', 'an empty list of problems is no problem');
  });

  it('releases only quarantined events that still have their body', async () => {
    const { store } = opened;
    const source = await createSource(store);
    const problems = [{ path: '', message: 'bad' }];
    const forwarded = await accepted(source.id);
    await receive(source.id, deduped('k'));
    const duplicate = (await receive(source.id, deduped('k'))).event;
    const rejected = await store.recordRejectedRequest({ sourceId: source.id, request: receivedInput(source.id).request, reason: 'bad signature' });
    for (const event of [forwarded, duplicate, rejected]) {
      const refused = await store.releaseInboundEvent(source.id, event.id, routeMessage);
      assert.equal(!refused.ok && refused.reason, 'conflict', event.state);
    }
    assert.deepEqual(await store.releaseInboundEvent(source.id, 'evt_missing', routeMessage), { ok: false, reason: 'not_found' });

    const pruned = (await receive(source.id, { validationErrors: problems })).event;
    await pruneBody(pruned.id);
    const refused = await store.releaseInboundEvent(source.id, pruned.id, routeMessage);
    assert.equal(!refused.ok && refused.reason, 'conflict');
    assert.equal((await store.getInboundEvent(source.id, pruned.id))?.state, 'quarantined', 'a refused release changes nothing');

    const held = (await receive(source.id, { validationErrors: problems })).event;
    assert.deepEqual(await store.releaseInboundEvent((await createSource(store)).id, held.id, routeMessage), { ok: false, reason: 'not_found' });
    const nowhere = await store.releaseInboundEvent(source.id, held.id, routeMessage);
    assert.ok(nowhere.ok);
    assert.equal(nowhere.value.state, 'processed', 'released to no destination at all');
    assert.equal(nowhere.value.stateReason, 'no destinations');
  });

  it('records a rejected request with its headers and reason, never its body', async () => {
    const { store } = opened;
    const source = await createSource(store);
    await createEndpoint(store, source.id);
    const request = { ...receivedInput(source.id).request, headers: { 'stripe-signature': 't=1,v1=bad' }, query: 'a=1' };
    const rejected = await store.recordRejectedRequest({ sourceId: source.id, request, reason: 'signature mismatch' });
    assert.match(rejected.id, /^evt_/);
    assert.equal(rejected.state, 'rejected');
    assert.equal(rejected.stateReason, 'signature mismatch');
    assert.deepEqual(rejected.request, request);
    assert.equal(rejected.body, null);
    assert.equal(rejected.msgId, null);
    assert.equal(rejected.eventType, null);
    assert.equal(rejected.receivedAt.getTime(), START);
    assert.deepEqual(await store.getInboundEvent(source.id, rejected.id), rejected);
    const row = await opened.engine.read((db) => db.selectFrom('inbound_events').select(['body', 'dedup_key']).where('id', '=', rejected.id).executeTakeFirstOrThrow());
    assert.deepEqual(row, { body: null, dedup_key: null });
    assert.deepEqual((await store.listMessages(source.id, { limit: 10 }, {})).data, []);
  });

  it('replays an event to the destinations it has now, running existing deliveries again from scratch', async () => {
    const { store } = opened;
    const source = await createSource(store);
    const original = await createEndpoint(store, source.id);
    const event = await accepted(source.id, { body: BYTES });
    const [first] = (await claim()).deliveries;
    assert.ok(first);
    await settle(first, { kind: 'failed' });
    assert.equal((await store.getInboundEvent(source.id, event.id))?.state, 'failed');

    const added = await createEndpoint(store, source.id);
    await createEndpoint(store, source.id, { eventTypes: ['other.type'] });
    clock = START + 60_000;
    const replayed = await store.replayInboundEvent(source.id, event.id, routeMessage);
    assert.ok(replayed.ok);
    assert.equal(replayed.value.state, 'received');
    assert.equal(replayed.value.stateReason, null);
    assert.equal(replayed.value.replays, 1);
    assert.equal(replayed.value.msgId, event.msgId, 'the same message is forwarded again');
    assert.equal(replayed.value.updatedAt.getTime(), clock);
    assert.deepEqual(await store.getInboundEvent(source.id, event.id), replayed.value);

    const deliveries = await destinationsOf(source.id, event.msgId!);
    assert.deepEqual(deliveries.map((d) => d.endpointId), [original.id, added.id].sort());
    const reset = deliveries.find((d) => d.endpointId === original.id)!;
    assert.equal(reset.id, first.delivery.id, 'the existing delivery is reset, not duplicated');
    assert.equal(reset.createdAt.getTime(), START);
    for (const delivery of deliveries) {
      assert.equal(delivery.status, DeliveryStatus.pending);
      assert.equal(delivery.attemptCount, 0);
      assert.equal(delivery.triggerType, TriggerType.manual);
      assert.equal(delivery.nextAttemptAt?.getTime(), clock);
    }
    const claimed = (await claim()).deliveries;
    assert.equal(claimed.length, 2);
    assert.ok(claimed.every((c) => c.message?.inbound?.body?.equals(BYTES)));

    const nowhere = await store.replayInboundEvent(source.id, event.id, () => []);
    assert.ok(nowhere.ok);
    assert.equal(nowhere.value.state, 'processed');
    assert.equal(nowhere.value.stateReason, 'no destinations');
    assert.equal(nowhere.value.replays, 2);
  });

  it('refuses to replay duplicates, rejected and quarantined events, and events whose body was pruned', async () => {
    const { store } = opened;
    const source = await createSource(store);
    await createEndpoint(store, source.id);
    await accepted(source.id, deduped('k'));
    const duplicate = (await receive(source.id, deduped('k'))).event;
    const quarantined = (await receive(source.id, { validationErrors: [{ path: '', message: 'bad' }] })).event;
    const rejected = await store.recordRejectedRequest({ sourceId: source.id, request: receivedInput(source.id).request, reason: 'bad signature' });
    for (const event of [duplicate, quarantined, rejected]) {
      const refused = await store.replayInboundEvent(source.id, event.id, routeMessage);
      assert.equal(!refused.ok && refused.reason, 'conflict', event.state);
      assert.equal((await store.getInboundEvent(source.id, event.id))?.replays, 0);
    }

    const pruned = await accepted(source.id);
    await pruneBody(pruned.id);
    const refused = await store.replayInboundEvent(source.id, pruned.id, routeMessage);
    assert.equal(!refused.ok && refused.reason, 'conflict');
    assert.equal((await store.getInboundEvent(source.id, pruned.id))?.replays, 0);

    const live = await accepted(source.id);
    assert.deepEqual(await store.replayInboundEvent(source.id, 'evt_missing', routeMessage), { ok: false, reason: 'not_found' });
    assert.deepEqual(await store.replayInboundEvent((await createSource(store)).id, live.id, routeMessage), { ok: false, reason: 'not_found' });
    assert.equal((await store.getInboundEvent(source.id, live.id))?.replays, 0);
  });

  it('hands the original body, content type and headers to the worker that claims a forwarding delivery', async () => {
    const { store } = opened;
    const source = await createSource(store);
    const forwardTo = await createEndpoint(store, source.id);
    const appId = await createApp(store);
    await createEndpoint(store, appId);
    const headers = { 'content-type': 'application/octet-stream', 'x-provider-signature': 'v1=abc' };
    const input = receivedInput(source.id, { body: BYTES });
    const event = await accepted(source.id, { body: BYTES, request: { ...input.request, headers, contentType: 'application/octet-stream' } });
    const posted = await store.createMessage(appId, messageInput(), routeMessage);
    assert.ok(posted.ok);

    const claimed = (await claim()).deliveries;
    assert.equal(claimed.length, 2);
    const forwarding = claimed.find((c) => c.delivery.appId === source.id)!;
    const ordinary = claimed.find((c) => c.delivery.appId === appId)!;
    assert.equal(forwarding.endpoint?.id, forwardTo.id);
    assert.equal(forwarding.message?.id, event.msgId);
    assert.equal(forwarding.message?.payload, null);
    assert.equal(forwarding.message?.eventType, 'invoice.paid');
    assert.deepEqual(forwarding.message?.inbound, { eventId: event.id, body: BYTES, contentType: 'application/octet-stream', headers });
    assert.ok(Buffer.isBuffer(forwarding.message?.inbound?.body));
    assert.equal(ordinary.message?.inbound, null, 'a message posted through the API forwards nothing');
    assert.equal(ordinary.message?.payload, '{"id":1}');

    // An unrecorded claim comes due again after its lease; by then the body may have been pruned.
    await pruneBody(event.id);
    clock = START + LEASE;
    const again = (await claim('rescuer')).deliveries.find((c) => c.delivery.id === forwarding.delivery.id);
    assert.equal(again?.message?.inbound?.eventId, event.id);
    assert.equal(again?.message?.inbound?.body, null);
  });

  it('settles an event as processed once every destination took it', async () => {
    const { store } = opened;
    const source = await createSource(store);
    await createEndpoint(store, source.id);
    await createEndpoint(store, source.id);
    const event = await accepted(source.id);
    const [a, b] = (await claim()).deliveries;
    assert.ok(a && b);
    clock += 100;
    assert.deepEqual((await settle(a, { kind: 'success' })).recorded, [true]);
    assert.equal((await store.getInboundEvent(source.id, event.id))?.state, 'received', 'another destination still owes an attempt');
    clock += 100;
    await settle(b, { kind: 'success' });
    const settled = await store.getInboundEvent(source.id, event.id);
    assert.equal(settled?.state, 'processed');
    assert.equal(settled?.stateReason, null);
    assert.equal(settled?.updatedAt.getTime(), clock);
  });

  it('settles an event as failed once its deliveries ended and any of them failed or was canceled', async () => {
    const { store } = opened;
    const source = await createSource(store);
    for (let i = 0; i < 3; i++) await createEndpoint(store, source.id);
    const event = await accepted(source.id);
    const other = await accepted(source.id);
    const claimed = (await claim()).deliveries;
    const ofEvent = claimed.filter((c) => c.delivery.msgId === event.msgId);
    assert.equal(ofEvent.length, 3);
    const [succeeded, exhausted, retried] = ofEvent as [ClaimedDelivery, ClaimedDelivery, ClaimedDelivery];
    const results = await store.recordDeliveryResults([
      { deliveryId: succeeded.delivery.id, lease: succeeded.lease, attempt: null, disposition: { kind: 'success' }, inboundEventId: event.id },
      { deliveryId: exhausted.delivery.id, lease: exhausted.lease, attempt: null, disposition: { kind: 'failed' }, inboundEventId: event.id },
      { deliveryId: retried.delivery.id, lease: retried.lease, attempt: null, disposition: { kind: 'retry', at: new Date(clock + 1000) }, inboundEventId: event.id },
    ]);
    assert.deepEqual(results.recorded, [true, true, true]);
    assert.equal((await store.getInboundEvent(source.id, event.id))?.state, 'received', 'one delivery will be tried again');

    clock += 1000;
    const [again] = (await claim()).deliveries;
    assert.equal(again?.delivery.id, retried.delivery.id);
    await settle(again!, { kind: 'canceled' });
    const settled = await store.getInboundEvent(source.id, event.id);
    assert.equal(settled?.state, 'failed');
    assert.equal(settled?.stateReason, '2 of 3 destinations failed');
    assert.equal((await store.getInboundEvent(source.id, other.id))?.state, 'received', 'only the event whose deliveries ended settles');
  });

  it('settles an event whose last deliveries are recorded concurrently, by separate workers', async () => {
    const { store } = opened;
    const source = await createSource(store);
    for (let i = 0; i < 3; i++) await createEndpoint(store, source.id);
    const events: InboundEvent[] = [];
    for (let i = 0; i < 8; i++) events.push(await accepted(source.id));
    const claimed = (await claim()).deliveries;
    assert.equal(claimed.length, 24);
    // One call per delivery, all at once: on PostgreSQL each is its own transaction, and none of them alone sees
    // the others' results committed.
    const recorded = await Promise.all(claimed.map((c) => settle(c, { kind: 'success' })));
    assert.ok(recorded.every((r) => r.recorded[0] === true));
    const states = await Promise.all(events.map(async (event) => (await store.getInboundEvent(source.id, event.id))?.state));
    assert.deepEqual(states, events.map(() => 'processed'));
  });

  it('lists events newest first, filtered by state, event type and receipt time, without bodies', async () => {
    const { store } = opened;
    const source = await createSource(store);
    const e1 = await accepted(source.id, { eventType: 'a', ...deduped('id:1') });
    clock += 1000;
    const e2 = (await receive(source.id, { eventType: 'b', validationErrors: [{ path: '', message: 'bad' }] })).event;
    clock += 1000;
    const e3 = await store.recordRejectedRequest({ sourceId: source.id, request: receivedInput(source.id).request, reason: 'bad signature' });
    clock += 1000;
    const e4 = (await receive(source.id, { eventType: 'a', ...deduped('id:1') })).event;
    const elsewhere = await accepted((await createSource(store)).id);

    const all = await store.listInboundEvents(source.id, { limit: 10 }, {});
    assert.deepEqual(all.data.map((e) => e.id), [e4.id, e3.id, e2.id, e1.id]);
    assert.ok(all.data.every((e) => e.body === null), 'lists carry no bodies');
    assert.deepEqual(all.data[3], { ...e1, body: null });
    assert.deepEqual(all.data[2]?.validationErrors, [{ path: '', message: 'bad' }]);
    assert.equal(all.data[0]?.duplicateOf, e1.id);
    assert.ok(!all.data.some((e) => e.id === elsewhere.id));

    const ids = async (filter: Parameters<typeof store.listInboundEvents>[2]) =>
      (await store.listInboundEvents(source.id, { limit: 10 }, filter)).data.map((e) => e.id);
    assert.deepEqual(await ids({ states: ['quarantined', 'rejected'] }), [e3.id, e2.id]);
    assert.deepEqual(await ids({ states: ['duplicate'] }), [e4.id]);
    assert.deepEqual(await ids({ states: [] }), [e4.id, e3.id, e2.id, e1.id]);
    assert.deepEqual(await ids({ eventTypes: ['a'] }), [e4.id, e1.id]);
    assert.deepEqual(await ids({ eventTypes: ['b', 'c'] }), [e2.id]);
    // Bounds are exclusive, like the other lists'.
    assert.deepEqual(await ids({ since: new Date(START + 1000) }), [e4.id, e3.id]);
    assert.deepEqual(await ids({ until: new Date(START + 2000) }), [e2.id, e1.id]);
    assert.deepEqual(await ids({ since: new Date(START), until: new Date(START + 3000), states: ['rejected', 'received'] }), [e3.id]);

    const first = await store.listInboundEvents(source.id, { limit: 2 }, {});
    assert.deepEqual(first.data.map((e) => e.id), [e4.id, e3.id]);
    assert.equal(first.done, false);
    const late = await accepted(source.id);
    const second = await store.listInboundEvents(source.id, { limit: 2, iterator: first.iterator }, {});
    assert.deepEqual(second.data.map((e) => e.id), [e2.id, e1.id]);
    assert.equal(second.done, true);
    const back = await store.listInboundEvents(source.id, { limit: 2, iterator: second.prevIterator }, {});
    assert.deepEqual(back.data.map((e) => e.id), [e4.id, e3.id]);
    const newer = await store.listInboundEvents(source.id, { limit: 2, iterator: first.prevIterator }, {});
    assert.deepEqual(newer.data.map((e) => e.id), [late.id]);
    const ascending = await store.listInboundEvents(source.id, { limit: 3, order: 'ascending' }, {});
    assert.deepEqual(ascending.data.map((e) => e.id), [e1.id, e2.id, e3.id]);
    const filteredPage = await store.listInboundEvents(source.id, { limit: 1, iterator: e4.id }, { eventTypes: ['a'] });
    assert.deepEqual(filteredPage.data.map((e) => e.id), [e1.id]);
  });
});
