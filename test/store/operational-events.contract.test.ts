import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { routeMessage } from '../../src/delivery/routing.js';
import {
  DeliveryStatus,
  OPERATIONAL_OWNER_ID,
  type ClaimedDelivery,
  type DeliveryResult,
  type OperationalEvent,
  type RejectedRequestInput,
} from '../../src/store/port.js';
import { describeStoreContract } from '../helpers/contract.js';
import { attemptOf, createEndpoint, createSource, endpointInput, messageInput, receivedInput } from '../helpers/store-data.js';
import { storeOfAnotherProcess, type OpenedStore } from '../helpers/stores.js';

const START = Date.UTC(2025, 0, 1);
const LEASE = 30_000;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

await describeStoreContract('operational events', (open) => {
  let opened: OpenedStore;
  let clock: number;
  beforeEach(async () => {
    clock = START;
    opened = await open({ now: () => clock });
  });
  afterEach(async () => {
    await opened.close();
  });

  const events = async (): Promise<OperationalEvent[]> => opened.store.listOperationalEvents({ limit: 1000 });
  const ofType = async (type: string) => (await events()).filter((event) => event.type === type);

  async function appWithUid(uid: string): Promise<string> {
    const created = await opened.store.createApplication({ name: uid, uid, throttleRate: null, metadata: {} });
    assert.ok(created.ok);
    return created.value.id;
  }

  /** Claims the one due delivery and records an attempt with the given outcome for it. */
  async function attemptOnce(succeeded: boolean, disposition: DeliveryResult['disposition']): Promise<ClaimedDelivery> {
    const { deliveries } = await opened.store.claimDueDeliveries({ owner: 'w', limit: 1, leaseMs: LEASE });
    const claimed = deliveries[0];
    assert.ok(claimed, 'a delivery is due');
    const attempt = attemptOf(claimed.delivery, {
      status: succeeded ? DeliveryStatus.success : DeliveryStatus.fail,
      responseStatusCode: succeeded ? 200 : 503,
      createdAt: new Date(clock),
    });
    const recorded = await opened.store.recordDeliveryResults([{ deliveryId: claimed.delivery.id, lease: claimed.lease, attempt, disposition }]);
    assert.deepEqual(recorded.recorded, [true]);
    return claimed;
  }

  const retryNow = (): DeliveryResult['disposition'] => ({ kind: 'retry', at: new Date(clock) });

  it('records endpoint.created, updated and deleted with Svix payloads, in the same write as the change', async () => {
    const { store } = opened;
    const appId = await appWithUid('acme');
    const endpoint = await createEndpoint(store, appId, { uid: 'main' });
    clock += 1000;
    const updated = await store.updateEndpoint(appId, endpoint.id, { ...endpointInput({ uid: 'main', url: 'https://example.com/v2' }) });
    assert.ok(updated.ok);
    const refused = await store.updateEndpoint(appId, endpoint.id, endpointInput(), 999);
    assert.equal(refused.ok, false, 'a refused change records nothing');
    assert.ok((await store.deleteEndpoint(appId, endpoint.id)).ok);

    const recorded = await events();
    assert.deepEqual(
      recorded.map((event) => event.type),
      ['endpoint.created', 'endpoint.updated', 'endpoint.deleted'],
    );
    for (const event of recorded) {
      assert.equal(event.appId, appId);
      assert.deepEqual(event.payload, { appId, appUid: 'acme', endpointId: endpoint.id, endpointUid: 'main' });
    }
    assert.equal(recorded[1]!.createdAt.getTime(), START + 1000);
    assert.ok(recorded[0]!.seq < recorded[1]!.seq && recorded[1]!.seq < recorded[2]!.seq);
  });

  it('records a manual disable and enable besides the update', async () => {
    const { store } = opened;
    const appId = await appWithUid('acme');
    const endpoint = await createEndpoint(store, appId);
    assert.ok((await store.updateEndpoint(appId, endpoint.id, endpointInput({ disabled: true }))).ok);
    assert.ok((await store.updateEndpoint(appId, endpoint.id, endpointInput({ disabled: false }))).ok);
    const recorded = await events();
    assert.deepEqual(
      recorded.map((event) => event.type),
      ['endpoint.created', 'endpoint.updated', 'endpoint.disabled', 'endpoint.updated', 'endpoint.enabled'],
    );
    assert.deepEqual(recorded[2]!.payload, { appId, appUid: 'acme', endpointId: endpoint.id, endpointUid: null, failSince: null, trigger: 'manual' });
  });

  it('records nothing for the changes of a source’s destinations', async () => {
    const { store } = opened;
    const source = await createSource(store);
    const destination = await createEndpoint(store, source.id);
    assert.ok((await store.updateEndpoint(source.id, destination.id, endpointInput())).ok);
    assert.ok((await store.deleteEndpoint(source.id, destination.id)).ok);
    assert.deepEqual(await events(), []);
  });

  it('reports a delivery failing on its fourth failed attempt, once, then recovered on success', async () => {
    const { store } = opened;
    const appId = await appWithUid('acme');
    const endpoint = await createEndpoint(store, appId);
    const created = await store.createMessage(appId, messageInput({ eventId: 'order-7' }), routeMessage);
    assert.ok(created.ok);

    for (let attempt = 1; attempt <= 3; attempt++) await attemptOnce(false, retryNow());
    assert.deepEqual(await ofType('message.attempt.failing'), [], 'three failures are not yet failing');
    clock += 10;
    await attemptOnce(false, retryNow());
    const fourth = await store.listAttemptsByMessage(appId, created.value.message.id, { limit: 1 }, {});
    await attemptOnce(false, retryNow());
    clock += 10;
    await attemptOnce(true, { kind: 'success' });
    const success = await store.listAttemptsByMessage(appId, created.value.message.id, { limit: 1 }, {});

    const failing = await ofType('message.attempt.failing');
    assert.equal(failing.length, 1, 'sent once, not again on the fifth failure');
    assert.deepEqual(failing[0]!.payload, {
      appId,
      appUid: 'acme',
      endpointId: endpoint.id,
      msgId: created.value.message.id,
      msgEventId: 'order-7',
      lastAttempt: { id: fourth.data[0]!.id, responseStatusCode: 503, timestamp: new Date(START + 10).toISOString() },
    });
    const recovered = await ofType('message.attempt.recovered');
    assert.equal(recovered.length, 1);
    assert.deepEqual(recovered[0]!.payload.lastAttempt, { id: success.data[0]!.id, responseStatusCode: 200, timestamp: new Date(START + 20).toISOString() });
    assert.deepEqual(await ofType('message.attempt.exhausted'), []);
  });

  it('reports exhaustion, and recovery after a manual resend; a first-attempt success reports nothing', async () => {
    const { store } = opened;
    const appId = await appWithUid('acme');
    const endpoint = await createEndpoint(store, appId);
    const fine = await store.createMessage(appId, messageInput(), routeMessage);
    assert.ok(fine.ok);
    await attemptOnce(true, { kind: 'success' });
    assert.deepEqual((await events()).map((event) => event.type), ['endpoint.created']);

    const created = await store.createMessage(appId, messageInput(), routeMessage);
    assert.ok(created.ok);
    await attemptOnce(false, retryNow());
    await attemptOnce(false, { kind: 'failed' });
    const exhausted = await ofType('message.attempt.exhausted');
    assert.equal(exhausted.length, 1);
    assert.equal(exhausted[0]!.payload.msgId, created.value.message.id);
    assert.equal(exhausted[0]!.payload.msgEventId, null);
    assert.deepEqual(await ofType('message.attempt.failing'), [], 'two failures never reached the fourth');

    assert.ok((await store.resendMessage(appId, created.value.message.id, endpoint.id)).ok);
    await attemptOnce(true, { kind: 'success' });
    const recovered = await ofType('message.attempt.recovered');
    assert.equal(recovered.length, 1);
    assert.equal(recovered[0]!.payload.msgId, created.value.message.id);
  });

  it('reports the attempts of a source’s destinations as ingest events', async () => {
    const { store } = opened;
    const source = await createSource(store);
    const destination = await createEndpoint(store, source.id);
    const { event } = await store.receiveInboundEvent(receivedInput(source.id), routeMessage);
    await attemptOnce(false, { kind: 'failed' });
    const exhausted = await ofType('ingest.message.attempt.exhausted');
    assert.equal(exhausted.length, 1);
    assert.equal(exhausted[0]!.appId, source.id);
    assert.deepEqual(
      { ...exhausted[0]!.payload, lastAttempt: undefined },
      { sourceId: source.id, endpointId: destination.id, msgId: event.msgId, msgEventId: event.id, lastAttempt: undefined },
    );
  });

  it('records source.verification_failing once per window when rejections reach the threshold', async () => {
    const { store } = opened;
    const source = await createSource(store, { uid: 'stripe' });
    const rule = { threshold: 3, windowMs: 60_000 };
    const reject = (reason = 'bad signature'): Promise<unknown> => {
      const { request } = receivedInput(source.id);
      const input: RejectedRequestInput = { sourceId: source.id, request, reason, failingRule: rule };
      return store.recordRejectedRequest(input);
    };
    await reject();
    clock += 1000;
    await reject();
    assert.deepEqual(await events(), [], 'below the threshold');
    clock += 1000;
    await reject('timestamp too old');
    await reject();
    await reject();
    const failing = await ofType('source.verification_failing');
    assert.equal(failing.length, 1, 'once per window');
    assert.deepEqual(failing[0]!.payload, {
      sourceId: source.id,
      sourceUid: 'stripe',
      failures: 3,
      windowStart: new Date(START).toISOString(),
      windowSeconds: 60,
      lastReason: 'timestamp too old',
    });

    clock = START + 60_000;
    await Promise.all([reject(), reject(), reject(), reject()]);
    assert.equal((await ofType('source.verification_failing')).length, 2, 'a new window reports again, once, even under concurrency');
    const other = await createSource(store);
    await store.recordRejectedRequest({ sourceId: other.id, request: receivedInput(other.id).request, reason: 'x' });
    assert.equal((await ofType('source.verification_failing')).length, 2, 'without a rule nothing is counted');
  });

  it('forwards events to the operator endpoint once each, as signed-message material, and only when one is configured', async () => {
    const { store } = opened;
    const appId = await appWithUid('acme');
    await createEndpoint(store, appId);
    await createEndpoint(store, appId);
    assert.equal(await store.forwardOperationalEvents(10, 90), 0, 'no operator endpoint: events wait');

    await store.configureOperationalWebhook({ url: 'https://ops.example.com/hooks', secret: SECRET });
    clock += 5000;
    assert.equal(await store.forwardOperationalEvents(1, 90), 1, 'the limit holds');
    assert.equal(await store.forwardOperationalEvents(10, 90), 1);
    assert.equal(await store.forwardOperationalEvents(10, 90), 0, 'each event is forwarded once');

    const recorded = await events();
    const { deliveries } = await store.claimDueDeliveries({ owner: 'w', limit: 10, leaseMs: LEASE });
    assert.equal(deliveries.length, 2);
    for (const claimed of deliveries) {
      assert.equal(claimed.delivery.appId, OPERATIONAL_OWNER_ID);
      assert.equal(claimed.endpoint?.url, 'https://ops.example.com/hooks');
      assert.deepEqual(claimed.endpoint?.secrets.map((secret) => secret.key), [SECRET]);
      assert.equal(claimed.message?.eventType, 'endpoint.created');
    }
    const payloads = deliveries.map((claimed) => JSON.parse(claimed.message!.payload!)).sort((a, b) => a.data.endpointId.localeCompare(b.data.endpointId));
    const expected = recorded
      .map((event) => ({ type: event.type, timestamp: event.createdAt.toISOString(), data: event.payload }))
      .sort((a, b) => String(a.data.endpointId).localeCompare(String(b.data.endpointId)));
    assert.deepEqual(payloads, expected);
    const message = await store.getMessage(OPERATIONAL_OWNER_ID, `op_${recorded[0]!.seq}`);
    assert.equal(message?.payloadExpiresAt.getTime(), START + 5000 + 90 * 86_400_000);
    assert.equal(await store.getApplication(OPERATIONAL_OWNER_ID), undefined, 'the owner is no application');
  });

  it('forwards each event once when several forwarders run at once', async () => {
    const { store } = opened;
    const appId = await appWithUid('acme');
    await store.configureOperationalWebhook({ url: 'https://ops.example.com/hooks', secret: SECRET });
    for (let i = 0; i < 12; i++) await createEndpoint(store, appId);
    const other = storeOfAnotherProcess(opened, () => clock);
    try {
      const forwarders = [store, other.store, store, other.store];
      const counts = await Promise.all(forwarders.map((forwarder) => forwarder.forwardOperationalEvents(4, 90)));
      let total = counts.reduce((sum, count) => sum + count, 0);
      for (let more = 1; more > 0; total += more) more = await other.store.forwardOperationalEvents(4, 90);
      assert.equal(total, 12);
    } finally {
      await other.close();
    }
    const { deliveries } = await store.claimDueDeliveries({ owner: 'w', limit: 100, leaseMs: LEASE });
    assert.equal(deliveries.length, 12, 'one delivery per event');
    assert.equal(new Set(deliveries.map((claimed) => claimed.message?.payload)).size, 12, 'each event in one message');
  });

  it('re-points, and removes, the operator endpoint; it reports nothing about itself and is never disabled', async () => {
    const { store } = opened;
    await store.configureOperationalWebhook({ url: 'https://ops.example.com/a', secret: SECRET });
    const appId = await appWithUid('acme');
    await createEndpoint(store, appId);
    await store.configureOperationalWebhook({ url: 'https://ops.example.com/b', secret: SECRET });
    assert.equal(await store.forwardOperationalEvents(10, 90), 1);
    let claimed = (await store.claimDueDeliveries({ owner: 'w', limit: 10, leaseMs: LEASE })).deliveries[0];
    assert.equal(claimed?.endpoint?.url, 'https://ops.example.com/b');

    const before = (await events()).length;
    const failed = attemptOf(claimed!.delivery, { status: DeliveryStatus.fail, responseStatusCode: 500, createdAt: new Date(clock) });
    await store.recordDeliveryResults([{ deliveryId: claimed!.delivery.id, lease: claimed!.lease, attempt: failed, disposition: { kind: 'failed' } }]);
    assert.equal((await events()).length, before, 'no exhausted event about an operational message');
    assert.equal(await store.disableEndpoint(OPERATIONAL_OWNER_ID, claimed!.delivery.endpointId, { failingSince: null }), false);

    await createEndpoint(store, appId);
    await store.configureOperationalWebhook(null);
    assert.equal(await store.forwardOperationalEvents(10, 90), 0, 'removed: events wait again');
    await store.configureOperationalWebhook({ url: 'https://ops.example.com/b', secret: SECRET });
    assert.equal(await store.forwardOperationalEvents(10, 90), 1);
    claimed = (await store.claimDueDeliveries({ owner: 'w', limit: 10, leaseMs: LEASE })).deliveries[0];
    assert.equal(claimed?.endpoint?.disabled, false);
  });
});
