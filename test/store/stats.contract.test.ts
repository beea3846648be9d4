import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { routeMessage } from '../../src/delivery/routing.js';
import { DeliveryStatus, type Delivery } from '../../src/store/port.js';
import { describeStoreContract } from '../helpers/contract.js';
import { attemptOf, createApp, createEndpoint, messageInput, recordAttempt, setDeliveryState } from '../helpers/store-data.js';
import type { OpenedStore } from '../helpers/stores.js';

const START = Date.UTC(2025, 0, 1);
const at = (ms: number) => new Date(START + ms);

await describeStoreContract('stats', (open) => {
  let opened: OpenedStore;
  let clock: number;
  beforeEach(async () => {
    clock = START;
    opened = await open({ now: () => clock });
  });
  afterEach(async () => {
    await opened.close();
  });

  /** One message to every endpoint of the application, created at START + `ms`; its deliveries. */
  async function publish(appId: string, ms: number): Promise<Delivery[]> {
    clock = START + ms;
    const created = await opened.store.createMessage(appId, messageInput(), routeMessage);
    assert.ok(created.ok);
    return created.value.deliveries;
  }

  it('counts deliveries of every application by status over a half-open range', async () => {
    const { store } = opened;
    const [appA, appB] = [await createApp(store, 'A'), await createApp(store, 'B')];
    await createEndpoint(store, appA);
    await createEndpoint(store, appB);
    const [ok1] = await publish(appA, 0);
    const [failed] = await publish(appB, 1000);
    const [canceled] = await publish(appA, 2000);
    const [sending] = await publish(appB, 3000);
    await publish(appA, 4000); // stays pending
    await setDeliveryState(opened, ok1!.id, { status: DeliveryStatus.success });
    await setDeliveryState(opened, failed!.id, { status: DeliveryStatus.fail, attemptCount: 3 });
    await setDeliveryState(opened, canceled!.id, { status: DeliveryStatus.fail, canceledAt: at(2500) });
    await setDeliveryState(opened, sending!.id, { status: DeliveryStatus.sending, leaseOwner: 'w' });

    assert.deepEqual(await store.deliveryCounts({}), { success: 1, fail: 1, canceled: 1, sending: 1, pending: 1 });
    // `since` is inclusive and `until` exclusive, so adjacent windows never count a delivery twice.
    assert.deepEqual(await store.deliveryCounts({ since: at(1000), until: at(3000) }), { success: 0, fail: 1, canceled: 1, sending: 0, pending: 0 });
    assert.deepEqual(await store.deliveryCounts({ since: at(3000) }), { success: 0, fail: 0, canceled: 0, sending: 1, pending: 1 });
    assert.deepEqual(await store.deliveryCounts({ until: at(1) }), { success: 1, fail: 0, canceled: 0, sending: 0, pending: 0 });
    assert.deepEqual(await store.deliveryCounts({ since: at(10_000) }), { success: 0, fail: 0, canceled: 0, sending: 0, pending: 0 });
  });

  it('gives nearest-rank latency percentiles per endpoint and overall, within the range', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const fast = await createEndpoint(store, appId);
    const slow = await createEndpoint(store, appId);
    const [toFast, toSlow] = await publish(appId, 0);
    const fastDelivery = [toFast, toSlow].find((d) => d!.endpointId === fast.id)!;
    const slowDelivery = [toFast, toSlow].find((d) => d!.endpointId === slow.id)!;
    // 1..100 ms, recorded out of order, one millisecond apart.
    const durations = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    for (const [i, ms] of durations.entries()) {
      await recordAttempt(opened, fastDelivery, { responseDurationMs: ms, createdAt: at(1000 + i), status: ms % 2 ? DeliveryStatus.fail : DeliveryStatus.success });
    }
    for (let i = 0; i < 10; i++) await recordAttempt(opened, slowDelivery, { responseDurationMs: 5000 + i, createdAt: at(2000 + i) });

    const ofFast = await store.attemptLatency({}, { appId, endpointId: fast.id });
    assert.deepEqual(ofFast, { count: 100, p50: 50, p90: 90, p99: 99 });
    const ofSlow = await store.attemptLatency({}, { appId, endpointId: slow.id });
    assert.deepEqual(ofSlow, { count: 10, p50: 5004, p90: 5008, p99: 5009 });

    // Overall: 110 values, 1..100 then 5000..5009; rank ceil(0.5 * 110) = 55, ceil(0.9 * 110) = 99, ceil(0.99 * 110) = 109.
    assert.deepEqual(await store.attemptLatency({}), { count: 110, p50: 55, p90: 99, p99: 5008 });

    // The first 20 attempts (made at 1000..1019 ms) only: their durations, sorted, are known.
    const window = durations.slice(0, 20).sort((a, b) => a - b);
    assert.deepEqual(await store.attemptLatency({ since: at(1000), until: at(1020) }, { appId, endpointId: fast.id }), {
      count: 20,
      p50: window[9],
      p90: window[17],
      p99: window[19],
    });
    assert.deepEqual(await store.attemptLatency({ since: at(1990) }), { count: 10, p50: 5004, p90: 5008, p99: 5009 });
  });

  it('reports no percentiles when there is no attempt', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const endpoint = await createEndpoint(store, appId);
    assert.deepEqual(await store.attemptLatency({}), { count: 0, p50: null, p90: null, p99: null });
    assert.deepEqual(await store.attemptLatency({}, { appId, endpointId: endpoint.id }), { count: 0, p50: null, p90: null, p99: null });
    const [delivery] = await publish(appId, 0);
    await recordAttempt(opened, delivery!, { responseDurationMs: 42, createdAt: at(10) });
    assert.deepEqual(await store.attemptLatency({}, { appId, endpointId: endpoint.id }), { count: 1, p50: 42, p90: 42, p99: 42 });
    assert.deepEqual(await store.attemptLatency({}, { appId, endpointId: 'ep_other' }), { count: 0, p50: null, p90: null, p99: null });
  });

  it('counts live, enabled endpoints whose breaker has tripped', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    const failing = await createEndpoint(store, appId);
    const healthy = await createEndpoint(store, appId);
    await publish(appId, 0);

    // Three failed attempts for `failing` and one success for `healthy`, written as the delivery engine writes them.
    for (let round = 0; round < 3; round++) {
      const claim = await store.claimDueDeliveries({ owner: 'w', limit: 10, leaseMs: 60_000 });
      const results = claim.deliveries.map((claimed) => {
        const succeeded = claimed.delivery.endpointId === healthy.id;
        clock += 1;
        return {
          deliveryId: claimed.delivery.id,
          lease: claimed.lease,
          disposition: succeeded ? ({ kind: 'success' } as const) : ({ kind: 'retry', at: new Date(clock) } as const),
          attempt: attemptOf(claimed.delivery, succeeded ? { createdAt: new Date(clock) } : { createdAt: new Date(clock), status: DeliveryStatus.fail, responseStatusCode: 500 }),
        };
      });
      await store.recordDeliveryResults(results);
    }

    assert.equal(await store.countTrippedBreakers(3), 1);
    assert.equal(await store.countTrippedBreakers(4), 0, 'below the threshold the breaker is closed');
    assert.equal(await store.countTrippedBreakers(1), 1, 'a success resets the count');
    assert.ok(await store.disableEndpoint(appId, failing.id, { failingSince: null }));
    assert.equal(await store.countTrippedBreakers(3), 0, 'a disabled endpoint is sent nothing, so it has no breaker to watch');
  });

  it('counts messages created in a half-open range', async () => {
    const { store } = opened;
    const appId = await createApp(store);
    await publish(appId, 0);
    await publish(appId, 1000);
    await publish(appId, 2000);
    assert.equal(await store.messageCount({}), 3);
    assert.equal(await store.messageCount({ since: at(1000), until: at(2000) }), 1);
    assert.equal(await store.messageCount({ since: at(5000) }), 0);
  });

  it('lists live failing endpoints of every application, the longest run of failures first', async () => {
    const { store } = opened;
    const [appA, appB] = [await createApp(store, 'A'), await createApp(store, 'B')];
    const [worse, fine] = [await createEndpoint(store, appA), await createEndpoint(store, appA)];
    const [bad, gone] = [await createEndpoint(store, appB), await createEndpoint(store, appB)];
    await publish(appA, 0);
    await publish(appB, 0);

    // Written as the delivery engine writes them: `worse` and `gone` fail three rounds, `bad` fails once and gives
    // up, `fine` succeeds.
    for (let round = 0; round < 3; round++) {
      const claim = await store.claimDueDeliveries({ owner: 'w', limit: 10, leaseMs: 60_000 });
      const results = claim.deliveries.map((claimed) => {
        clock += 1;
        const endpointId = claimed.delivery.endpointId;
        const succeeded = endpointId === fine.id;
        const disposition = succeeded ? ({ kind: 'success' } as const) : endpointId === bad.id ? ({ kind: 'failed' } as const) : ({ kind: 'retry', at: new Date(clock) } as const);
        const attempt = attemptOf(claimed.delivery, succeeded ? { createdAt: new Date(clock) } : { createdAt: new Date(clock), status: DeliveryStatus.fail, responseStatusCode: 500 });
        return { deliveryId: claimed.delivery.id, lease: claimed.lease, disposition, attempt };
      });
      await store.recordDeliveryResults(results);
    }
    assert.ok((await store.deleteEndpoint(appB, gone.id)).ok);

    const failing = await store.listFailingEndpoints(10);
    assert.deepEqual(
      failing.map((endpoint) => [endpoint.endpointId, endpoint.consecutiveFailures]),
      [
        [worse.id, 3],
        [bad.id, 1],
      ],
      'the deleted endpoint and the healthy one are left out',
    );
    assert.equal(failing[0]!.appId, appA);
    assert.equal(failing[0]!.url, worse.url);
    assert.ok(failing[0]!.failingSince && failing[0]!.lastFailureAt && failing[0]!.failingSince < failing[0]!.lastFailureAt);
    assert.equal((await store.listFailingEndpoints(1)).length, 1);
  });
});
