import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { newId } from '../../src/core/ids.js';
import { routeMessage } from '../../src/delivery/routing.js';
import { PostgresEngine } from '../../src/store/postgres/postgres-engine.js';
import { DeliveryStatus, TriggerType, type Attempt, type ClaimedDelivery, type DeliveryResult, type Store } from '../../src/store/port.js';
import { createSqlStore } from '../../src/store/sql/sql-store.js';
import { describeStoreContract } from '../helpers/contract.js';
import { createApp, createEndpoint, messageInput } from '../helpers/store-data.js';
import { testSecretBox, type OpenedStore } from '../helpers/stores.js';

const START = Date.UTC(2025, 0, 1);
const LEASE = 30_000;

await describeStoreContract('delivery queue', (open, fixture) => {
  let opened: OpenedStore;
  let clock: number;
  beforeEach(async () => {
    clock = START;
    opened = await open({ now: () => clock });
  });
  afterEach(async () => {
    await opened.close();
  });

  async function queue(appId: string, count = 1, overrides: Parameters<typeof messageInput>[0] = {}): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const created = await opened.store.createMessage(appId, messageInput({ payload: JSON.stringify({ i }), ...overrides }), routeMessage);
      assert.ok(created.ok);
      ids.push(...created.value.deliveries.map((delivery) => delivery.id));
    }
    return ids;
  }

  function attemptFor(claimed: ClaimedDelivery, status: DeliveryStatus, at = clock): Attempt {
    return {
      id: newId('attempt', at),
      appId: claimed.delivery.appId,
      msgId: claimed.delivery.msgId,
      endpointId: claimed.delivery.endpointId,
      deliveryId: claimed.delivery.id,
      url: claimed.endpoint?.url ?? '',
      status,
      responseStatusCode: status === DeliveryStatus.success ? 200 : 500,
      response: 'body',
      requestHeaders: { 'webhook-id': claimed.delivery.msgId, authorization: '[redacted]' },
      responseDurationMs: 5,
      triggerType: TriggerType.scheduled,
      createdAt: new Date(at),
    };
  }

  function result(claimed: ClaimedDelivery, disposition: DeliveryResult['disposition'], attempt: Attempt | null = null): DeliveryResult {
    return { deliveryId: claimed.delivery.id, lease: claimed.lease, attempt, disposition };
  }

  const claim = (owner: string, limit = 10, store: Store = opened.store) => store.claimDueDeliveries({ owner, limit, leaseMs: LEASE });

  it('claims due deliveries with everything needed to send them, and leases them', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoint = await createEndpoint(store, appId, { url: 'https://example.com/a', headers: { 'x-team': 'blue' }, retrySchedule: [1, 2] });
    const [deliveryId] = await queue(appId, 1, { eventType: 'user.created', channels: ['eu'] });
    await queue(appId, 1, { deliverAt: new Date(START + 60_000) });

    const first = await claim('worker-a');
    assert.equal(first.deliveries.length, 1, 'the held message is not due yet');
    const [claimed] = first.deliveries;
    assert.ok(claimed);
    assert.equal(claimed.delivery.id, deliveryId);
    assert.equal(claimed.delivery.status, DeliveryStatus.sending);
    assert.equal(claimed.delivery.attemptCount, 0);
    assert.deepEqual(claimed.lease, { owner: 'worker-a', until: new Date(START + LEASE) });
    assert.equal(claimed.message?.eventType, 'user.created');
    assert.deepEqual(claimed.message?.channels, ['eu']);
    assert.equal(claimed.message?.payload, '{"i":0}');
    assert.equal(claimed.endpoint?.id, endpoint.id);
    assert.equal(claimed.endpoint?.url, 'https://example.com/a');
    assert.deepEqual(claimed.endpoint?.headers, { 'x-team': 'blue' });
    assert.deepEqual(claimed.endpoint?.retrySchedule, [1, 2]);
    assert.deepEqual(
      claimed.endpoint?.secrets.map((secret) => secret.key),
      endpoint.secrets.map((secret) => secret.key),
      'secrets come decrypted',
    );
    assert.equal(claimed.appThrottleRate, null);
    assert.equal(claimed.health.consecutiveFailures, 0);
    assert.equal(first.nextDueAt?.getTime(), START + LEASE, 'the lease runs out before the held message is due');

    assert.equal((await claim('worker-b')).deliveries.length, 0, 'a leased delivery is not claimed again');
    assert.deepEqual(await store.dueDeliveryStats(), { due: 0, oldestDueAt: null });
    clock = START + 60_000;
    // The unrecorded claim counts again once its lease has run out.
    assert.deepEqual(await store.dueDeliveryStats(), { due: 2, oldestDueAt: new Date(START + LEASE) });
  });

  it('reads each endpoint and message once for a claim of many deliveries, with the endpoint’s health and the application throttle', async () => {
    const { store } = opened;
    const created = await store.createApplication({ name: 'Throttled', uid: null, throttleRate: 9, metadata: {}, payloadRetentionPeriod: null });
    assert.ok(created.ok);
    const appId = created.value.id;
    const sick = await createEndpoint(store, appId, { url: 'https://example.com/sick' });
    const well = await createEndpoint(store, appId, { url: 'https://example.com/well', throttleRate: 3 });
    await queue(appId, 1);
    const failing = (await claim('w')).deliveries.find((c) => c.delivery.endpointId === sick.id)!;
    await store.recordDeliveryResults([result(failing, { kind: 'failed' }, attemptFor(failing, DeliveryStatus.fail))]);
    clock = START + LEASE;
    await queue(appId, 3);

    const claimed = (await claim('w2', 10)).deliveries;
    assert.equal(claimed.length, 7, 'the new messages, and the first one’s unrecorded delivery to the healthy endpoint');
    for (const c of claimed) {
      const endpoint = c.delivery.endpointId === sick.id ? sick : well;
      assert.equal(c.endpoint?.url, endpoint.url);
      assert.deepEqual(c.endpoint?.secrets.map((secret) => secret.key), endpoint.secrets.map((secret) => secret.key));
      assert.equal(c.appThrottleRate, 9);
      assert.equal(c.health.endpointId, endpoint.id);
      assert.equal(c.health.consecutiveFailures, endpoint === sick ? 1 : 0);
      assert.equal(c.message?.id, c.delivery.msgId);
      assert.match(c.message?.payload ?? '', /^\{"i":[0-2]\}$/);
    }
    assert.equal(claimed.filter((c) => c.endpoint?.throttleRate === 3).length, 4);
  });

  it('hands a new message’s deliveries to the worker that grants a lease: leased, and with all that sending needs', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const first = await createEndpoint(store, appId, { url: 'https://example.com/one', headers: { 'x-team': 'blue' } });
    const second = await createEndpoint(store, appId, { url: 'https://example.com/two', retrySchedule: [1] });
    const asked: number[] = [];
    const lease = { owner: 'publisher', until: new Date(START + LEASE) };
    const created = await store.createMessage(appId, messageInput({ eventType: 'user.created', payload: '{"n":1}' }), routeMessage, {
      handoff: {
        lease: (count) => {
          asked.push(count);
          return lease;
        },
        appThrottleRate: 4,
      },
    });
    assert.ok(created.ok);
    assert.deepEqual(asked, [2], 'asked once, for every delivery the message has');
    const { deliveries, leased } = created.value;
    assert.deepEqual(
      leased.map((c) => c.delivery.id),
      deliveries.map((d) => d.id),
    );
    for (const c of leased) {
      const endpoint = c.delivery.endpointId === first.id ? first : second;
      assert.equal(c.delivery.status, DeliveryStatus.sending);
      assert.deepEqual(c.lease, lease);
      assert.equal(c.message?.id, created.value.message.id);
      assert.equal(c.message?.payload, '{"n":1}');
      assert.equal(c.message?.inbound, null);
      assert.equal(c.endpoint?.url, endpoint.url);
      assert.deepEqual(c.endpoint?.headers, endpoint.headers);
      assert.deepEqual(c.endpoint?.retrySchedule, endpoint.retrySchedule);
      assert.deepEqual(c.endpoint?.secrets.map((secret) => secret.key), endpoint.secrets.map((secret) => secret.key), 'secrets come decrypted');
      assert.equal(c.appThrottleRate, 4);
      assert.equal(c.health.endpointId, endpoint.id);
    }

    assert.equal((await claim('other')).deliveries.length, 0, 'leased: no claim takes them while the lease holds');
    const [sent] = leased;
    const recorded = await store.recordDeliveryResults([result(sent!, { kind: 'success' }, attemptFor(sent!, DeliveryStatus.success))]);
    assert.deepEqual(recorded.recorded, [true], 'the lease handed over is the one the store holds');

    // A publisher that dies before sending loses nothing: the other delivery comes due when the lease runs out.
    clock = START + LEASE;
    const rescued = (await claim('rescuer')).deliveries;
    assert.deepEqual(
      rescued.map((c) => c.delivery.id),
      [leased[1]!.delivery.id],
    );
  });

  it('queues a new message’s deliveries as usual when the lease is refused or the message is scheduled', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    await createEndpoint(store, appId);
    let asked = 0;
    const refusing = {
      lease: () => {
        asked += 1;
        return null;
      },
      appThrottleRate: null,
    };
    const refused = await store.createMessage(appId, messageInput(), routeMessage, { handoff: refusing });
    assert.ok(refused.ok);
    assert.equal(asked, 1);
    assert.deepEqual(refused.value.leased, []);
    assert.equal(refused.value.deliveries[0]?.status, DeliveryStatus.pending);

    const scheduled = await store.createMessage(appId, messageInput({ deliverAt: new Date(START + 60_000) }), routeMessage, { handoff: refusing });
    assert.ok(scheduled.ok);
    assert.equal(asked, 1, 'a scheduled message is not offered: it waits for its time in the queue');

    const claimed = (await claim('w')).deliveries;
    assert.deepEqual(
      claimed.map((c) => c.delivery.id),
      refused.value.deliveries.map((d) => d.id),
    );
  });

  it('claims the longest-due work first and no more than asked', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    await createEndpoint(store, appId);
    // Created in one order, due in the reverse one (deliverAt in the past is due at that time).
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(...(await queue(appId, 1, { deliverAt: new Date(START - 1000 * (i + 1)) })));
    const claimed = await claim('w', 3);
    assert.deepEqual(
      claimed.deliveries.map((c) => c.delivery.id).sort(),
      ids.slice(2).sort(),
    );
    assert.equal((await claim('w', 0)).deliveries.length, 0);
  });

  it('never hands the same delivery to two concurrent claimers', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    await createEndpoint(store, appId);
    await createEndpoint(store, appId);
    const ids = await queue(appId, 60);
    assert.equal(ids.length, 120);

    // On PostgreSQL the second claimer is a separate store with its own pool on the same database, as another
    // process would be; SQLite allows a single writing process, so its claimers share one store.
    let other = store;
    let closeOther = async (): Promise<void> => undefined;
    if (fixture.name === 'postgres') {
      const engine = new PostgresEngine({ connectionString: (opened.engine as PostgresEngine).pool.options.connectionString! });
      other = createSqlStore({ engine, secretBox: testSecretBox, now: () => clock });
      closeOther = () => engine.close();
    }
    try {
      const claimers = Array.from({ length: 8 }, (_, i) => claim(`worker-${i}`, 20, i % 2 === 0 ? store : other));
      const claims = await Promise.all(claimers);
      const seen = claims.flatMap((c) => c.deliveries.map((d) => d.delivery.id));
      assert.equal(new Set(seen).size, seen.length, 'no delivery was claimed twice');
      assert.equal(seen.length, 120, 'between them the claimers took everything due');
    } finally {
      await closeOther();
    }
  });

  it('gives a crashed worker’s claims to another once the lease has expired', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    await createEndpoint(store, appId);
    const [deliveryId] = await queue(appId);
    const crashed = (await claim('crashed')).deliveries[0]!;

    clock = START + LEASE - 1;
    assert.equal((await claim('rescuer')).deliveries.length, 0, 'still leased');
    clock = START + LEASE;
    const rescued = (await claim('rescuer')).deliveries[0];
    assert.equal(rescued?.delivery.id, deliveryId);
    assert.equal(rescued?.delivery.attemptCount, 0);

    // The first worker was only slow: its late result must not overwrite the rescuer's claim.
    const late = await store.recordDeliveryResults([result(crashed, { kind: 'success' }, attemptFor(crashed, DeliveryStatus.success))]);
    assert.deepEqual(late.recorded, [false]);
    const [destination] = (await store.listMessageDestinations(appId, crashed.delivery.msgId, { limit: 10 })).data;
    assert.equal(destination?.delivery.status, DeliveryStatus.sending, 'the delivery still belongs to the rescuer');
    const attempts = await store.listAttemptsByMessage(appId, crashed.delivery.msgId, { limit: 10 }, {});
    assert.equal(attempts.data.length, 1, 'the request the slow worker did send is on record');

    const current = await store.recordDeliveryResults([result(rescued!, { kind: 'success' }, attemptFor(rescued!, DeliveryStatus.success))]);
    assert.deepEqual(current.recorded, [true]);
    const [after] = (await store.listMessageDestinations(appId, crashed.delivery.msgId, { limit: 10 })).data;
    assert.equal(after?.delivery.status, DeliveryStatus.success);
    assert.equal(after?.delivery.nextAttemptAt, null);
  });

  it('checks every result of one batch against its own lease, the same delivery twice included', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    await createEndpoint(store, appId);
    await queue(appId);
    const crashed = (await claim('crashed')).deliveries[0]!;
    clock = START + LEASE;
    const rescued = (await claim('rescuer')).deliveries[0]!;
    const batch = await store.recordDeliveryResults([
      result(crashed, { kind: 'success' }, attemptFor(crashed, DeliveryStatus.success)),
      result(rescued, { kind: 'retry', at: new Date(clock + 1000) }, attemptFor(rescued, DeliveryStatus.fail)),
      // Its lease ended with the result before it: too late, like any result after its lease.
      result(rescued, { kind: 'success' }, attemptFor(rescued, DeliveryStatus.success, clock + 1)),
    ]);
    assert.deepEqual(batch.recorded, [false, true, false]);
    const [destination] = (await store.listMessageDestinations(appId, rescued.delivery.msgId, { limit: 10 })).data;
    assert.deepEqual(
      (({ status, attemptCount, nextAttemptAt }) => ({ status, attemptCount, nextAttemptAt }))(destination!.delivery),
      { status: DeliveryStatus.pending, attemptCount: 1, nextAttemptAt: new Date(clock + 1000) },
    );
    const attempts = await store.listAttemptsByMessage(appId, rescued.delivery.msgId, { limit: 10 }, {});
    assert.equal(attempts.data.length, 3, 'every request sent is on record');
  });

  it('records retries, successes and exhaustion with their attempts, in one batch', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    await createEndpoint(store, appId);
    await queue(appId, 3);
    const [retried, succeeded, exhausted] = (await claim('w')).deliveries;
    assert.ok(retried && succeeded && exhausted);
    clock += 10;
    const recorded = await store.recordDeliveryResults([
      result(retried, { kind: 'retry', at: new Date(clock + 5000) }, attemptFor(retried, DeliveryStatus.fail)),
      result(succeeded, { kind: 'success' }, attemptFor(succeeded, DeliveryStatus.success)),
      result(exhausted, { kind: 'failed' }, attemptFor(exhausted, DeliveryStatus.fail)),
    ]);
    assert.deepEqual(recorded.recorded, [true, true, true]);

    const state = async (claimed: ClaimedDelivery) =>
      (await store.listMessageDestinations(appId, claimed.delivery.msgId, { limit: 1 })).data[0]!.delivery;
    assert.deepEqual(
      (({ status, attemptCount, nextAttemptAt }) => ({ status, attemptCount, nextAttemptAt }))(await state(retried)),
      { status: DeliveryStatus.pending, attemptCount: 1, nextAttemptAt: new Date(clock + 5000) },
    );
    assert.equal((await state(succeeded)).status, DeliveryStatus.success);
    assert.equal((await state(exhausted)).status, DeliveryStatus.fail);
    assert.equal((await state(exhausted)).nextAttemptAt, null);
    const attempts = await store.listAttemptsByMessage(appId, retried.delivery.msgId, { limit: 10 }, {});
    assert.equal(attempts.data[0]?.responseStatusCode, 500);

    assert.equal((await claim('w')).deliveries.length, 0);
    clock += 5000;
    const again = (await claim('w')).deliveries;
    assert.deepEqual(
      again.map((c) => [c.delivery.id, c.delivery.attemptCount]),
      [[retried.delivery.id, 1]],
    );
  });

  it('defers and cancels without counting an attempt; canceled reads as fail', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoint = await createEndpoint(store, appId);
    await queue(appId, 2);
    const [deferred, canceled] = (await claim('w')).deliveries;
    assert.ok(deferred && canceled);
    await store.recordDeliveryResults([result(deferred, { kind: 'deferred', at: new Date(clock + 100) }), result(canceled, { kind: 'canceled' })]);
    const destinations = async (claimed: ClaimedDelivery) =>
      (await store.listMessageDestinations(appId, claimed.delivery.msgId, { limit: 1 })).data[0]!.delivery;
    assert.equal((await destinations(deferred)).status, DeliveryStatus.pending);
    assert.equal((await destinations(deferred)).attemptCount, 0);
    assert.equal((await destinations(canceled)).status, DeliveryStatus.fail);
    assert.equal((await store.listAttemptsByEndpoint(appId, endpoint.id, { limit: 10 }, {})).data.length, 0);
    assert.equal((await store.getEndpointHealth(appId, endpoint.id)).consecutiveFailures, 0, 'no attempt, no effect on health');
  });

  it('counts consecutive failures per endpoint until a success resets them', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoint = await createEndpoint(store, appId);
    await queue(appId, 4);
    const [a, b, c, d] = (await claim('w')).deliveries;
    assert.ok(a && b && c && d);
    const failAt = (claimed: ClaimedDelivery, at: number) =>
      result(claimed, { kind: 'retry', at: new Date(at + 1000) }, attemptFor(claimed, DeliveryStatus.fail, at));

    const first = await store.recordDeliveryResults([failAt(a, START + 1), failAt(b, START + 2)]);
    assert.deepEqual(first.health, [
      { endpointId: endpoint.id, consecutiveFailures: 2, failingSince: new Date(START + 1), lastFailureAt: new Date(START + 2), lastSuccessAt: null },
    ]);
    await store.recordDeliveryResults([failAt(c, START + 3)]);
    assert.deepEqual(await store.getEndpointHealth(appId, endpoint.id), {
      endpointId: endpoint.id,
      consecutiveFailures: 3,
      failingSince: new Date(START + 1),
      lastFailureAt: new Date(START + 3),
      lastSuccessAt: null,
    });
    const healed = await store.recordDeliveryResults([result(d, { kind: 'success' }, attemptFor(d, DeliveryStatus.success, START + 4))]);
    assert.deepEqual(healed.health[0], {
      endpointId: endpoint.id,
      consecutiveFailures: 0,
      failingSince: null,
      lastFailureAt: new Date(START + 3),
      lastSuccessAt: new Date(START + 4),
    });

    const otherApp = await createApp(store, 'Other');
    assert.equal((await store.getEndpointHealth(otherApp, endpoint.id)).lastSuccessAt, null, 'health is read within its application');
  });

  it('reports endpoints that are gone or disabled, for the worker to cancel', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const deleted = await createEndpoint(store, appId);
    const disabled = await createEndpoint(store, appId);
    await queue(appId);
    assert.ok((await store.deleteEndpoint(appId, deleted.id)).ok);
    const current = await store.getEndpoint(appId, disabled.id);
    assert.ok(current);
    assert.ok((await store.updateEndpoint(appId, disabled.id, { ...current, disabled: true })).ok);
    const claimed = (await claim('w')).deliveries;
    const byEndpoint = new Map(claimed.map((c) => [c.delivery.endpointId, c]));
    assert.equal(byEndpoint.get(deleted.id)?.endpoint, null);
    assert.equal(byEndpoint.get(disabled.id)?.endpoint?.disabled, true);
  });

  it('claims with each endpoint as it is now, however recently it was last read', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoint = await createEndpoint(store, appId, { url: 'https://example.com/before' });
    await queue(appId);
    const [first] = (await claim('w')).deliveries;
    assert.equal(first?.endpoint?.url, 'https://example.com/before');
    // The same store clock: only the endpoint's version tells the change apart.
    const current = await store.getEndpoint(appId, endpoint.id);
    assert.ok(current);
    assert.ok((await store.updateEndpoint(appId, endpoint.id, { ...current, url: 'https://example.com/after', headers: { 'x-team': 'red' } })).ok);
    await queue(appId);
    const [second] = (await claim('w')).deliveries;
    assert.equal(second?.endpoint?.url, 'https://example.com/after');
    assert.deepEqual(second?.endpoint?.headers, { 'x-team': 'red' });
    assert.ok((await store.deleteEndpoint(appId, endpoint.id)).ok);
    await queue(appId);
    assert.deepEqual(
      (await claim('w')).deliveries.map((claimed) => claimed.endpoint),
      [],
      'a deleted endpoint routes nothing',
    );
  });

  it('releases a worker’s leases so the work is due again at once', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    await createEndpoint(store, appId);
    await queue(appId, 3);
    const mine = await claim('leaving', 2);
    await claim('staying', 1);
    clock += 5;
    assert.equal(await store.releaseDeliveryLeases('leaving'), 2);
    const next = await claim('next');
    assert.deepEqual(
      next.deliveries.map((c) => c.delivery.id).sort(),
      mine.deliveries.map((c) => c.delivery.id).sort(),
    );
    const stale = await store.recordDeliveryResults([result(mine.deliveries[0]!, { kind: 'success' })]);
    assert.deepEqual(stale.recorded, [false], 'a released lease is no longer the old worker’s');
  });

  it('disables an endpoint once and records the operational event', async () => {
    const { store } = opened;
    const created = await store.createApplication({ name: 'Acme', uid: 'acme', throttleRate: null, metadata: {} });
    assert.ok(created.ok);
    const appId = created.value.id;
    const endpoint = await createEndpoint(store, appId, { uid: 'main' });
    clock = START + 1000;
    assert.equal(await store.disableEndpoint(appId, endpoint.id, { failingSince: new Date(START) }), true);
    assert.equal(await store.disableEndpoint(appId, endpoint.id, { failingSince: new Date(START) }), false, 'already disabled');
    const after = await store.getEndpoint(appId, endpoint.id);
    assert.equal(after?.disabled, true);
    assert.equal(after?.version, endpoint.version + 1, 'the change shows in the ETag');

    const [first, ...events] = await store.listOperationalEvents({ limit: 10 });
    assert.equal(first?.type, 'endpoint.created');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.type, 'endpoint.disabled');
    assert.equal(events[0]?.appId, appId);
    assert.deepEqual(events[0]?.payload, {
      appId,
      appUid: 'acme',
      endpointId: endpoint.id,
      endpointUid: 'main',
      failSince: new Date(START).toISOString(),
      trigger: 'automatic',
    });
    assert.deepEqual(await store.listOperationalEvents({ afterSeq: events[0]!.seq, limit: 10 }), []);
    const otherApp = await createApp(store, 'Other');
    assert.equal(await store.disableEndpoint(otherApp, endpoint.id, { failingSince: null }), false, 'only within its application');
  });
});
