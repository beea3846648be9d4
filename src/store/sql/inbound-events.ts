import { sql } from 'kysely';
import { newId } from '../../core/ids.js';
import {
  DeliveryStatus,
  TriggerType,
  type InboundEvent,
  type InboundEventState,
  type InboundEventStore,
  type InboundRequestInfo,
  type MessageRouter,
  type Outcome,
  type ReceiveOutcome,
  type ValidationProblem,
} from '../port.js';
import { fromJson, fromOptionalJson, toDate, toJson } from './codec.js';
import { conflict, notFound, ok, type SqlContext } from './context.js';
import type { InboundEventRow, MessageRow } from './database.js';
import { requeued } from './delivery-control.js';
import type { Executor, SqlEngine } from './engine.js';
import { createdBetween, hasItems } from './filters.js';
import { DAY_MS, queueDeliveries, toMessage } from './messages.js';
import { recordVerificationFailure } from './operational-events.js';
import { paginate, toPage } from './pagination.js';

/** Every column but the body, which lists leave out: bodies may be large and a page holds many events. */
const listedColumns = [
  'id',
  'source_id',
  'state',
  'state_reason',
  'event_type',
  'provider_event_id',
  'dedup_key',
  'duplicate_of',
  'msg_id',
  'validation_errors',
  'method',
  'path',
  'query',
  'headers',
  'content_type',
  'body_size',
  'body_sha256',
  'body_expires_at',
  'replays',
  'received_at',
  'updated_at',
] as const;

type ListedRow = Omit<InboundEventRow, 'body'>;

/** States whose events were never forwarded, so there is nothing to forward again. */
const UNREPLAYABLE: readonly InboundEventState[] = ['duplicate', 'rejected', 'quarantined'];

function toInboundEvent(row: ListedRow & { body?: Buffer | null }): InboundEvent {
  return {
    id: row.id,
    sourceId: row.source_id,
    state: row.state as InboundEventState,
    stateReason: row.state_reason,
    eventType: row.event_type,
    providerEventId: row.provider_event_id,
    duplicateOf: row.duplicate_of,
    msgId: row.msg_id,
    validationErrors: fromOptionalJson(row.validation_errors),
    request: {
      method: row.method,
      path: row.path,
      query: row.query,
      headers: fromJson(row.headers),
      contentType: row.content_type,
      bodySize: row.body_size,
      bodySha256: row.body_sha256,
    },
    body: row.body ?? null,
    replays: row.replays,
    receivedAt: toDate(row.received_at),
    updatedAt: toDate(row.updated_at),
  };
}

function requestColumns(request: InboundRequestInfo) {
  return {
    method: request.method,
    path: request.path,
    query: request.query,
    headers: toJson(request.headers),
    content_type: request.contentType,
    body_size: request.bodySize,
    body_sha256: request.bodySha256,
  };
}

/** An empty list of problems is no problem. */
function hasProblems(problems: ValidationProblem[] | null): problems is ValidationProblem[] {
  return problems !== null && problems.length > 0;
}

/** Where a forwarded event stands right after its deliveries were queued. */
function forwardedState(queued: number, reason: string | null): Pick<InboundEventRow, 'state' | 'state_reason'> {
  return queued === 0 ? { state: 'processed', state_reason: 'no destinations' } : { state: 'received', state_reason: reason };
}

/**
 * Remembers `dedupKey` for the source as first seen by `eventId` unless an unexpired record holds it, and returns the
 * event that holds it now. One upsert, so that concurrent receives cannot both win: on PostgreSQL the second waits
 * on the first's uncommitted row and then evaluates the update against it as committed; on SQLite writes run one at
 * a time. An expired record is taken over in the same statement.
 */
async function rememberDedupKey(tx: Executor, sourceId: string, dedupKey: string, eventId: string, expiresAt: number, time: number): Promise<string> {
  const row = await tx
    .insertInto('inbound_dedup')
    .values({ source_id: sourceId, dedup_key: dedupKey, event_id: eventId, expires_at: expiresAt })
    .onConflict((oc) =>
      oc.columns(['source_id', 'dedup_key']).doUpdateSet((eb) => {
        // Both right-hand sides read the row as it was before this update.
        const expired = eb('inbound_dedup.expires_at', '<=', time);
        return {
          event_id: eb.case().when(expired).then(eb.ref('excluded.event_id')).else(eb.ref('inbound_dedup.event_id')).end(),
          expires_at: eb.case().when(expired).then(eb.ref('excluded.expires_at')).else(eb.ref('inbound_dedup.expires_at')).end(),
        };
      }),
    )
    .returning('event_id')
    .executeTakeFirstOrThrow();
  return row.event_id;
}

/**
 * Creates the message that forwards an event (its app is the source, its event id the event's id, its payload
 * the event's body, read from the event when sent) and queues its deliveries.
 */
async function forward(
  tx: Executor,
  engine: Pick<SqlEngine, 'dialect'>,
  event: Pick<InboundEventRow, 'id' | 'source_id' | 'event_type' | 'body_expires_at'>,
  router: MessageRouter,
  time: number,
): Promise<{ msgId: string; queued: number }> {
  const row: MessageRow = {
    id: newId('message', time),
    app_id: event.source_id,
    event_type: event.event_type ?? '',
    event_id: event.id,
    channels: null,
    tags: null,
    payload: null,
    created_at: time,
    payload_expires_at: event.body_expires_at ?? time,
    source_event_id: event.id,
  };
  await tx.insertInto('messages').values(row).execute();
  const { deliveries } = await queueDeliveries(tx, toMessage(row), router, { engine, time, firstAttemptAt: time, triggerType: TriggerType.scheduled });
  return { msgId: row.id, queued: deliveries.length };
}

function findEvent(db: Executor, sourceId: string, eventId: string) {
  return db.selectFrom('inbound_events').selectAll().where('source_id', '=', sourceId).where('id', '=', eventId).executeTakeFirst();
}

/**
 * Takes the events' row locks on PostgreSQL (SQLite runs one write at a time). Every write that changes both an
 * event and its deliveries takes the event first, so that writers queue up on the event instead of deadlocking.
 */
export async function lockInboundEvents(tx: Executor, dialect: SqlEngine['dialect'], eventIds: readonly string[]): Promise<void> {
  if (dialect !== 'postgres' || eventIds.length === 0) return;
  await tx.selectFrom('inbound_events').select('id').where('id', 'in', [...eventIds]).orderBy('id').forUpdate().execute();
}

const pruned = conflict('The event’s body was pruned; it can no longer be forwarded');

/**
 * Settles events whose forwarding has ended: once none of a `received` event's deliveries owes an attempt any more,
 * it is `processed` if every one succeeded and `failed` otherwise. Called with the events of deliveries that just
 * reached a final state, in the transaction that recorded them, which holds the events' locks since before it
 * changed the deliveries: two workers recording an event's last two deliveries at once would otherwise each see the
 * other's delivery as still owing an attempt, and neither would settle it. Waiting for the lock, the second sees
 * the first's results once it gets it (each PostgreSQL statement reads what was committed when it started).
 */
export async function settleInboundEvents(tx: Executor, eventIds: readonly string[], time: number): Promise<void> {
  const failed = sql<number>`(select count(*) from deliveries where deliveries.msg_id = inbound_events.msg_id and deliveries.status <> ${DeliveryStatus.success})`;
  const total = sql<number>`(select count(*) from deliveries where deliveries.msg_id = inbound_events.msg_id)`;
  await tx
    .updateTable('inbound_events')
    .set({
      state: sql<string>`case when ${failed} = 0 then 'processed' else 'failed' end`,
      state_reason: sql<string | null>`case when ${failed} = 0 then null else cast(${failed} as text) || ' of ' || cast(${total} as text) || ' destinations failed' end`,
      updated_at: time,
    })
    .where('id', 'in', [...eventIds])
    .where('state', '=', 'received')
    .where('msg_id', 'is not', null)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('deliveries').select('deliveries.id').whereRef('deliveries.msg_id', '=', 'inbound_events.msg_id').where('deliveries.next_attempt_at', 'is not', null))),
    )
    .execute();
}

export function inboundEventStore({ engine, now }: SqlContext): InboundEventStore {
  return {
    async receiveInboundEvent(input, router) {
      return engine.write(async (tx) => {
        const time = now();
        const id = newId('inboundEvent', time);
        const row: InboundEventRow = {
          id,
          source_id: input.sourceId,
          state: 'received',
          state_reason: null,
          event_type: input.eventType,
          provider_event_id: input.providerEventId,
          dedup_key: input.dedupKey,
          duplicate_of: null,
          msg_id: null,
          validation_errors: hasProblems(input.validationErrors) ? toJson(input.validationErrors) : null,
          ...requestColumns(input.request),
          body: input.body,
          body_expires_at: time + input.bodyRetentionDays * DAY_MS,
          replays: 0,
          received_at: time,
          updated_at: time,
        };
        const first = input.dedupKey === null ? id : await rememberDedupKey(tx, input.sourceId, input.dedupKey, id, time + input.dedupWindowMs, time);
        let outcome: ReceiveOutcome;
        if (first !== id) {
          outcome = 'duplicate';
          Object.assign(row, { state: 'duplicate', state_reason: `duplicate of ${first}`, duplicate_of: first });
        } else if (row.validation_errors !== null) {
          outcome = 'quarantined';
          Object.assign(row, { state: 'quarantined', state_reason: 'failed schema validation' });
        } else {
          outcome = 'accepted';
          const { msgId, queued } = await forward(tx, engine, row, router, time);
          Object.assign(row, { msg_id: msgId, ...forwardedState(queued, null) });
        }
        await tx.insertInto('inbound_events').values(row).execute();
        return { event: toInboundEvent(row), outcome };
      });
    },

    async recordRejectedRequest(input) {
      return engine.write(async (tx) => {
        const time = now();
        const row: InboundEventRow = {
          id: newId('inboundEvent', time),
          source_id: input.sourceId,
          state: 'rejected',
          state_reason: input.reason,
          event_type: null,
          provider_event_id: null,
          dedup_key: null,
          duplicate_of: null,
          msg_id: null,
          validation_errors: null,
          ...requestColumns(input.request),
          body: null,
          body_expires_at: null,
          replays: 0,
          received_at: time,
          updated_at: time,
        };
        await tx.insertInto('inbound_events').values(row).execute();
        if (input.failingRule) await recordVerificationFailure(tx, input.sourceId, input.failingRule, input.reason, time);
        return toInboundEvent(row);
      });
    },

    async getInboundEvent(sourceId, eventId) {
      const row = await engine.read((db) => findEvent(db, sourceId, eventId));
      return row && toInboundEvent(row);
    },

    async listInboundEvents(sourceId, page, filter) {
      const { rows, direction } = await engine.read(async (db) => {
        const base = db
          .selectFrom('inbound_events')
          .select(listedColumns)
          .where('source_id', '=', sourceId)
          .where((eb) => {
            const conditions = createdBetween('inbound_events.received_at', filter);
            if (hasItems(filter.states)) conditions.push(eb('state', 'in', filter.states));
            if (hasItems(filter.eventTypes)) conditions.push(eb('event_type', 'in', filter.eventTypes));
            return eb.and(conditions);
          });
        const { query, direction } = paginate(base, 'inbound_events.id', page, 'descending');
        return { rows: await query.execute(), direction };
      });
      return toPage(rows.map(toInboundEvent), page, direction, (event) => event.id);
    },

    async replayInboundEvent(sourceId, eventId, router) {
      return engine.write(async (tx): Promise<Outcome<InboundEvent>> => {
        await lockInboundEvents(tx, engine.dialect, [eventId]);
        const row = await findEvent(tx, sourceId, eventId);
        if (!row) return notFound;
        if (UNREPLAYABLE.includes(row.state as InboundEventState)) return conflict(`A ${row.state} event cannot be replayed`);
        const message = row.msg_id === null ? undefined : await tx.selectFrom('messages').selectAll().where('app_id', '=', sourceId).where('id', '=', row.msg_id).executeTakeFirst();
        if (row.body === null || !message) return pruned;
        const time = now();
        // The destinations as they are now: existing deliveries run again from scratch, new destinations get one.
        const { deliveries } = await queueDeliveries(tx, toMessage(message), router, {
          engine,
          time,
          firstAttemptAt: time,
          triggerType: TriggerType.manual,
          resetExisting: requeued(time),
        });
        const changes = { ...forwardedState(deliveries.length, null), replays: row.replays + 1, updated_at: Math.max(time, row.updated_at) };
        await tx.updateTable('inbound_events').set(changes).where('id', '=', row.id).execute();
        return ok(toInboundEvent({ ...row, ...changes }));
      });
    },

    async releaseInboundEvent(sourceId, eventId, router) {
      return engine.write(async (tx): Promise<Outcome<InboundEvent>> => {
        // Locked, so that of two concurrent releases the second sees the first's and is refused.
        await lockInboundEvents(tx, engine.dialect, [eventId]);
        const row = await findEvent(tx, sourceId, eventId);
        if (!row) return notFound;
        if (row.state !== 'quarantined') return conflict(`Only quarantined events can be released; this one is ${row.state}`);
        if (row.body === null) return pruned;
        const time = now();
        const { msgId, queued } = await forward(tx, engine, row, router, time);
        const changes = {
          ...forwardedState(queued, 'released'),
          msg_id: msgId,
          validation_errors: null,
          replays: row.replays + 1,
          updated_at: Math.max(time, row.updated_at),
        };
        await tx.updateTable('inbound_events').set(changes).where('id', '=', row.id).execute();
        return ok(toInboundEvent({ ...row, ...changes }));
      });
    },
  };
}
