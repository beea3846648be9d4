import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { newId } from '../../src/core/ids.js';
import {
  DeliveryStatus,
  TriggerType,
  type Attempt,
  type Delivery,
  type Endpoint,
  type EndpointInput,
  type MessageInput,
  type ReceivedEventInput,
  type Source,
  type SourceInput,
  type Store,
} from '../../src/store/port.js';
import { insertAttempt } from '../../src/store/sql/attempts.js';
import type { OpenedStore } from './stores.js';

/** Builders for storage suites that need applications, endpoints and messages as a starting point. */

export async function createApp(store: Store, name = 'Acme'): Promise<string> {
  const created = await store.createApplication({ name, uid: null, throttleRate: null, metadata: {} });
  assert.ok(created.ok);
  return created.value.id;
}

export function endpointInput(overrides: Partial<EndpointInput> = {}): EndpointInput & { secret: string } {
  return {
    uid: null,
    url: 'https://example.com/hook',
    description: '',
    disabled: false,
    eventTypes: null,
    channels: null,
    throttleRate: null,
    metadata: {},
    headers: {},
    retrySchedule: null,
    secret: `whsec_${randomBytes(24).toString('base64')}`,
    ...overrides,
  };
}

export async function createEndpoint(store: Store, appId: string, overrides: Partial<EndpointInput> = {}): Promise<Endpoint> {
  const created = await store.createEndpoint(appId, endpointInput(overrides));
  assert.ok(created.ok, JSON.stringify(created));
  return created.value;
}

export function messageInput(overrides: Partial<MessageInput> = {}): MessageInput {
  return {
    eventType: 'user.created',
    eventId: null,
    channels: null,
    tags: null,
    payload: '{"id":1}',
    payloadRetentionDays: 90,
    deliverAt: null,
    ...overrides,
  };
}

/** An attempt at a delivery, successful unless `fields` say otherwise, made now unless `createdAt` is given. */
export function attemptOf(delivery: Pick<Delivery, 'id' | 'appId' | 'msgId' | 'endpointId'>, fields: Partial<Attempt> = {}): Attempt {
  const createdAt = fields.createdAt ?? new Date();
  return {
    id: newId('attempt', createdAt.getTime()),
    appId: delivery.appId,
    msgId: delivery.msgId,
    endpointId: delivery.endpointId,
    deliveryId: delivery.id,
    url: 'https://example.com/hook',
    status: DeliveryStatus.success,
    responseStatusCode: 200,
    response: 'ok',
    requestHeaders: { 'content-type': 'application/json', 'webhook-id': delivery.msgId },
    responseDurationMs: 12,
    triggerType: TriggerType.scheduled,
    ...fields,
    createdAt,
  };
}

/**
 * Records an attempt the way the delivery engine does (through the store's own insertAttempt, in a write), so
 * suites can read attempts back before that engine exists.
 */
export async function recordAttempt(opened: OpenedStore, delivery: Delivery, fields: Partial<Attempt> = {}): Promise<Attempt> {
  const attempt = attemptOf(delivery, fields);
  await opened.engine.write((tx) => insertAttempt(tx, attempt));
  return attempt;
}

/** Moves a delivery to a state only the delivery engine produces (failed after retries, canceled, leased). */
export async function setDeliveryState(
  opened: OpenedStore,
  deliveryId: string,
  state: { status: DeliveryStatus; attemptCount?: number; nextAttemptAt?: Date | null; leaseOwner?: string | null; canceledAt?: Date | null },
): Promise<void> {
  await opened.engine.write(async (tx) => {
    const result = await tx
      .updateTable('deliveries')
      .set({
        status: state.status,
        attempt_count: state.attemptCount ?? 0,
        next_attempt_at: state.nextAttemptAt === undefined || state.nextAttemptAt === null ? null : state.nextAttemptAt.getTime(),
        lease_owner: state.leaseOwner ?? null,
        lease_until: state.leaseOwner ? Date.now() + 60_000 : null,
        canceled_at: state.canceledAt ? state.canceledAt.getTime() : null,
      })
      .where('id', '=', deliveryId)
      .executeTakeFirst();
    assert.equal(result.numUpdatedRows, 1n);
  });
}

export function sourceInput(overrides: Partial<SourceInput & { token: string }> = {}): SourceInput & { token: string } {
  return {
    uid: null,
    name: 'Stripe',
    type: 'stripe',
    config: { secret: `whsec_${randomBytes(24).toString('base64')}`, toleranceSeconds: 300 },
    dedup: { windowSeconds: 86_400, jsonPath: null, header: null },
    schemas: null,
    response: null,
    metadata: {},
    token: randomBytes(24).toString('base64url'),
    ...overrides,
  };
}

export async function createSource(store: Store, overrides: Partial<SourceInput & { token: string }> = {}): Promise<Source> {
  const created = await store.createSource(sourceInput(overrides));
  assert.ok(created.ok, JSON.stringify(created));
  return created.value;
}

/** A verified request to a source, as the receiving route hands it to the store. */
export function receivedInput(sourceId: string, overrides: Partial<ReceivedEventInput> = {}): ReceivedEventInput {
  const body = overrides.body ?? Buffer.from('{"id":"evt_1","type":"invoice.paid"}');
  return {
    sourceId,
    request: {
      method: 'POST',
      path: '/in/token',
      query: '',
      headers: { 'content-type': 'application/json' },
      contentType: 'application/json',
      bodySize: body.length,
      bodySha256: createHash('sha256').update(body).digest('hex'),
    },
    body,
    eventType: 'invoice.paid',
    providerEventId: null,
    dedupKey: null,
    dedupWindowMs: 0,
    validationErrors: null,
    bodyRetentionDays: 30,
    ...overrides,
  };
}
