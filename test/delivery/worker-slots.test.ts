import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { DeliveryWorker } from '../../src/delivery/worker.js';
import { routeMessage } from '../../src/delivery/routing.js';
import type { ClaimRequest, Store } from '../../src/store/port.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { createApp, createEndpoint, messageInput } from '../helpers/store-data.js';
import { sqliteFixture, type OpenedStore } from '../helpers/stores.js';
import { eventually } from './support.js';

/**
 * The worker never has more deliveries under way than its concurrency, wherever they come from: a claim holds the
 * slots it asks for while it runs, so a handoff cannot take them meanwhile. Over the bound, a crash would resend
 * more deliveries than were in flight.
 */
describe('delivery worker slots', () => {
  let opened: OpenedStore;
  let receiver: Receiver;
  let worker: DeliveryWorker | undefined;
  /** Lets a held claim through; afterEach calls it too, so that a failed test does not leave the worker stuck. */
  let openGate = () => {};
  beforeEach(async () => {
    opened = await sqliteFixture.open();
    receiver = await startReceiver(() => ({ status: 200 }));
  });
  afterEach(async () => {
    openGate();
    await worker?.stop(1000);
    worker = undefined;
    await receiver.close();
    await opened.close();
  });

  it('refuses a handoff for slots a claim under way has asked for, and takes one once they are free', async () => {
    const appId = await createApp(opened.store);
    await createEndpoint(opened.store, appId, { url: receiver.url });
    for (let i = 0; i < 2; i++) assert.ok((await opened.store.createMessage(appId, messageInput({ payload: `{"queued":${i}}` }), routeMessage)).ok);

    // The claim waits at a gate, as a slow store would make it wait.
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const claims: ClaimRequest[] = [];
    const store: Store = Object.create(opened.store, {
      claimDueDeliveries: {
        value: async (request: ClaimRequest) => {
          claims.push(request);
          await gate;
          return opened.store.claimDueDeliveries(request);
        },
      },
    });
    const config = loadConfig({}, { overrides: { workerConcurrency: 2, allowPrivateNetworks: ['127.0.0.1/32'], senderThread: false } });
    worker = new DeliveryWorker({ store, config, logger: pino({ level: 'silent' }) });
    worker.start();
    await eventually('the first claim under way', async () => claims.length === 1);
    assert.equal(claims[0]!.limit, 2);

    assert.equal(worker.handoff(null), null, 'both slots belong to the claim');
    openGate();
    await receiver.waitFor((requests) => requests.length === 2, 5000);

    const handoff = await eventually('a free slot again', async () => worker!.handoff(null) ?? false);
    const created = await opened.store.createMessage(appId, messageInput({ payload: '{"handed":1}' }), routeMessage, { handoff });
    assert.ok(created.ok);
    handoff.settle(created.value.leased);
    assert.equal(created.value.leased.length, 1);
    await receiver.waitFor((requests) => requests.length === 3, 5000);
    assert.deepEqual(
      receiver.requests.map((request) => JSON.parse(request.body)),
      [{ queued: 0 }, { queued: 1 }, { handed: 1 }],
    );
  });
});
