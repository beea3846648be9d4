import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { routeMessage } from '../../src/delivery/routing.js';
import { DeliveryStatus, type Delivery, type PruneTarget } from '../../src/store/port.js';
import { describeStoreContract } from '../helpers/contract.js';
import { createApp, createEndpoint, createSource, messageInput, receivedInput, recordAttempt, setDeliveryState } from '../helpers/store-data.js';
import { storeOfAnotherProcess, type OpenedStore } from '../helpers/stores.js';

const START = Date.UTC(2025, 0, 1);
const DAY_MS = 86_400_000;
let latest = START;

await describeStoreContract('retention', (open) => {
  let opened: OpenedStore;
  let clock: number;
  beforeEach(async () => {
    clock = START;
    opened = await open({ now: () => clock });
  });
  afterEach(async () => {
    await opened.close();
  });

  const prune = (target: PruneTarget, cutoff = clock, limit = 500) => opened.store.pruneExpired(target, new Date(cutoff), limit);

  async function send(appId: string, retentionDays: number): Promise<{ msgId: string; delivery: Delivery | undefined }> {
    const created = await opened.store.createMessage(appId, messageInput({ payloadRetentionDays: retentionDays, payload: `{"days":${retentionDays}}` }), routeMessage);
    assert.ok(created.ok);
    return { msgId: created.value.message.id, delivery: created.value.deliveries[0] };
  }

  it('nulls expired payloads and keeps every other field of the message', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const short = await send(appId, 1);
    const long = await send(appId, 3);
    const before = await store.getMessage(appId, short.msgId);

    clock = START + DAY_MS - 1;
    assert.equal(await prune('message_payloads'), 0, 'not yet expired');
    clock = START + 2 * DAY_MS;
    assert.equal(await prune('message_payloads'), 1);
    assert.equal(await prune('message_payloads'), 0, 'nothing left to prune');
    assert.deepEqual(await store.getMessage(appId, short.msgId), { ...before, payload: null });
    assert.equal((await store.getMessage(appId, long.msgId))?.payload, '{"days":3}');
  });

  it('prunes in batches of the requested size', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    for (let i = 0; i < 5; i++) await send(appId, 1);
    clock = START + 2 * DAY_MS;
    assert.deepEqual([await prune('message_payloads', clock, 2), await prune('message_payloads', clock, 2), await prune('message_payloads', clock, 2)], [2, 2, 1]);
  });

  it('shares the work between pruners running at once without counting a row twice', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    for (let i = 0; i < 40; i++) await send(appId, 1);
    clock = START + 2 * DAY_MS;
    const other = storeOfAnotherProcess(opened, () => clock);
    try {
      const pruners = [store, other.store, store, other.store];
      const rounds = await Promise.all(
        pruners.map(async (pruner) => {
          let total = 0;
          for (let pruned = 1; pruned > 0; total += pruned) pruned = await pruner.pruneExpired('message_payloads', new Date(clock), 3);
          return total;
        }),
      );
      assert.equal(rounds.reduce((sum, count) => sum + count, 0), 40);
    } finally {
      await other.close();
    }
    const listed = await store.listMessages(appId, { limit: 100 }, {});
    assert.ok(listed.data.every((message) => message.payload === null));
  });

  it('nulls the response bodies of attempts made before the cut-off, keeping status and timing', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    await createEndpoint(store, appId);
    const { msgId, delivery } = await send(appId, 90);
    const old = await recordAttempt(opened, delivery!, { createdAt: new Date(START), response: 'old body', responseStatusCode: 502 });
    const recent = await recordAttempt(opened, delivery!, { createdAt: new Date(START + 2 * DAY_MS), response: 'recent body' });

    assert.equal(await prune('attempt_responses', START + DAY_MS), 1);
    assert.deepEqual(await store.getAttempt(appId, msgId, old.id), { ...old, response: null, requestHeaders: null });
    assert.equal((await store.getAttempt(appId, msgId, recent.id))?.response, 'recent body');
    assert.equal(await prune('attempt_responses', START + DAY_MS), 0);
  });

  it('nulls expired inbound bodies, keeping the request metadata; such events can no longer be replayed', async () => {
    const { store } = opened;
    const source = await createSource(store);
    const { event } = await store.receiveInboundEvent(receivedInput(source.id, { bodyRetentionDays: 1 }), routeMessage);
    const { event: kept } = await store.receiveInboundEvent(receivedInput(source.id, { bodyRetentionDays: 5 }), routeMessage);

    clock = START + 2 * DAY_MS;
    assert.equal(await prune('inbound_bodies'), 1);
    const read = await store.getInboundEvent(source.id, event.id);
    assert.equal(read?.body, null);
    assert.deepEqual(read?.request, event.request);
    assert.equal(read?.state, event.state);
    assert.ok((await store.getInboundEvent(source.id, kept.id))?.body);
    const replay = await store.replayInboundEvent(source.id, event.id, routeMessage);
    assert.equal(replay.ok, false);
  });

  it('deletes expired dedup records and idempotency keys only', async () => {
    const { store, engine } = opened;
    const source = await createSource(store);
    await store.receiveInboundEvent(receivedInput(source.id, { dedupKey: 'id:a', dedupWindowMs: DAY_MS }), routeMessage);
    await store.receiveInboundEvent(receivedInput(source.id, { dedupKey: 'id:b', dedupWindowMs: 3 * DAY_MS }), routeMessage);
    const claim = (scope: string, expiresAt: number) => store.claimIdempotencyKey({ scope, fingerprint: 'f', lockedUntil: new Date(START + 1000), expiresAt: new Date(expiresAt) });
    await claim('old', START + DAY_MS);
    await claim('new', START + 3 * DAY_MS);

    clock = START + 2 * DAY_MS;
    assert.equal(await prune('inbound_dedup'), 1);
    assert.equal(await prune('idempotency_keys'), 1);
    const dedupKeys = await engine.read((db) => db.selectFrom('inbound_dedup').select('dedup_key').execute());
    assert.deepEqual(dedupKeys.map((row) => row.dedup_key), ['id:b']);
    const scopes = await engine.read((db) => db.selectFrom('idempotency_keys').select('scope').execute());
    assert.deepEqual(scopes.map((row) => row.scope), ['new']);
    const again = await store.receiveInboundEvent(receivedInput(source.id, { dedupKey: 'id:a', dedupWindowMs: DAY_MS }), routeMessage);
    assert.equal(again.outcome, 'accepted', 'a pruned key is a new event');
  });

  it('deletes operational events recorded before the cut-off', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    await createEndpoint(store, appId);
    clock = START + 2 * DAY_MS;
    await createEndpoint(store, appId);
    assert.equal(await prune('operational_events', START + DAY_MS), 1);
    const left = await store.listOperationalEvents({ limit: 10 });
    assert.deepEqual(left.map((event) => event.createdAt.getTime()), [START + 2 * DAY_MS]);
  });

  it('deletes old messages with their deliveries and attempts once nothing is owed, and old settled inbound events', async () => {
    const { store } = opened;
    // Whole rows are picked by id, whose time is the clock's only while the clock moves forward: this test starts
    // after every id minted so far in this process, by the other tests and by its run on the other adapter.
    latest += 1000 * DAY_MS;
    const base = latest;
    clock = base;
    const appId = await createApp(store);
    const endpoint = await createEndpoint(store, appId);
    const done = await send(appId, 1);
    await recordAttempt(opened, done.delivery!, { createdAt: new Date(base) });
    await setDeliveryState(opened, done.delivery!.id, { status: DeliveryStatus.success });
    const owed = await send(appId, 1);
    await setDeliveryState(opened, owed.delivery!.id, { status: DeliveryStatus.pending, nextAttemptAt: new Date(base + 10 * DAY_MS) });
    const source = await createSource(store);
    const { event: processed } = await store.receiveInboundEvent(receivedInput(source.id), routeMessage);
    await createEndpoint(store, source.id);
    const { event: forwarding } = await store.receiveInboundEvent(receivedInput(source.id, { body: Buffer.from('{"id":2}') }), routeMessage);
    assert.deepEqual([processed.state, forwarding.state], ['processed', 'received'], 'no destination at first: settled at once');
    clock = base + 2 * DAY_MS;
    const recent = await send(appId, 1);

    assert.equal(await prune('messages', base + DAY_MS), 2, 'the settled message and the settled event’s forwarding message');
    assert.equal(await store.getMessage(appId, done.msgId), undefined);
    assert.deepEqual((await store.listAttemptsByEndpoint(appId, endpoint.id, { limit: 10 }, {})).data, []);
    assert.equal((await store.endpointStats(appId, endpoint.id, {})).success, 0, 'its delivery went with it');
    assert.ok(await store.getMessage(appId, owed.msgId), 'still owed to an endpoint');
    assert.ok(await store.getMessage(source.id, forwarding.msgId!), 'still being forwarded');
    assert.ok(await store.getMessage(appId, recent.msgId));

    assert.equal(await prune('inbound_events', base + 3 * DAY_MS), 1);
    assert.equal(await store.getInboundEvent(source.id, processed.id), undefined);
    assert.equal((await store.getInboundEvent(source.id, forwarding.id))?.state, 'received', 'kept until it settles');
  });
});
