import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { routeMessage } from '../../src/delivery/routing.js';
import { ResultRecorder } from '../../src/delivery/recorder.js';
import { DeliveryStatus, type ClaimedDelivery, type DeliveryQueueStore, type DeliveryResult } from '../../src/store/port.js';
import { attemptOf, createApp, createEndpoint, messageInput } from '../helpers/store-data.js';
import { sqliteFixture, type OpenedStore } from '../helpers/stores.js';

/** The real store, with each call it is given noted: how many results each write carried. */
function countingStore(store: DeliveryQueueStore): { store: Pick<DeliveryQueueStore, 'recordDeliveryResults'>; writes: number[] } {
  const writes: number[] = [];
  return {
    writes,
    store: {
      recordDeliveryResults(results) {
        writes.push(results.length);
        return store.recordDeliveryResults(results);
      },
    },
  };
}

describe('result recorder', () => {
  let opened: OpenedStore;
  beforeEach(async () => {
    opened = await sqliteFixture.open();
  });
  afterEach(async () => {
    await opened.close();
  });

  async function claimed(count: number): Promise<ClaimedDelivery[]> {
    const appId = await createApp(opened.store);
    await createEndpoint(opened.store, appId);
    for (let i = 0; i < count; i++) assert.ok((await opened.store.createMessage(appId, messageInput({ payload: JSON.stringify({ i }) }), routeMessage)).ok);
    const claim = await opened.store.claimDueDeliveries({ owner: 'recorder-test', limit: count, leaseMs: 60_000 });
    assert.equal(claim.deliveries.length, count);
    return claim.deliveries;
  }

  const success = (delivery: ClaimedDelivery): DeliveryResult => ({
    deliveryId: delivery.delivery.id,
    lease: delivery.lease,
    attempt: attemptOf(delivery.delivery, { status: DeliveryStatus.success }),
    disposition: { kind: 'success' },
  });

  it('writes results that arrive at an idle recorder close together in one transaction', async () => {
    const deliveries = await claimed(5);
    const counting = countingStore(opened.store);
    const recorder = new ResultRecorder(counting.store);
    const outcomes = await Promise.all(deliveries.map((delivery) => recorder.record(success(delivery))));
    assert.deepEqual(counting.writes, [5]);
    assert.ok(outcomes.every((outcome) => outcome.recorded));
    assert.equal(outcomes[0]!.health?.consecutiveFailures, 0);
    for (const { delivery } of deliveries) {
      const destinations = await opened.store.listMessageDestinations(delivery.appId, delivery.msgId, { limit: 10 });
      assert.deepEqual(destinations.data.map((destination) => destination.delivery.status), [DeliveryStatus.success]);
    }
  });

  it('writes a full batch at once, and what arrives during that write in the next one', async () => {
    const deliveries = await claimed(40);
    const counting = countingStore(opened.store);
    const recorder = new ResultRecorder(counting.store);
    const outcomes = await Promise.all(deliveries.map((delivery) => recorder.record(success(delivery))));
    assert.deepEqual(counting.writes, [32, 8]);
    assert.ok(outcomes.every((outcome) => outcome.recorded));
  });

  it('writes a lingering result when asked to finish, as at shutdown', async () => {
    const [delivery] = await claimed(1);
    const counting = countingStore(opened.store);
    const recorder = new ResultRecorder(counting.store);
    const outcome = recorder.record(success(delivery!));
    await recorder.idle();
    assert.deepEqual(counting.writes, [1]);
    assert.equal((await outcome).recorded, true);
  });
});
