import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import { newId } from '../../core/ids.js';
import {
  DeliveryStatus,
  TriggerType,
  type ClaimedDelivery,
  type CreatedMessage,
  type DeliveryHandoff,
  type DeliveryLease,
  type Delivery,
  type Message,
  type MessageFilter,
  type MessageRouter,
  type MessageStore,
  type Outcome,
} from '../port.js';
import { fromOptionalJson, toDate, toOptionalDate, toOptionalJson } from './codec.js';
import { conflict, notFound, ok, type SqlContext } from './context.js';
import { healthColumns, toEndpoint, toHealth, type HealthColumns } from './endpoints.js';
import type { Database, DeliveryRow, EndpointRow, MessageRow } from './database.js';
import type { Executor, SqlEngine } from './engine.js';
import { PreparedInsert, PreparedInsertWith, PreparedQuery } from './prepared.js';
import { channelIncludes, createdBetween, hasItems } from './filters.js';
import { paginate, toPage } from './pagination.js';
import type { KeptEndpoint, SendableEndpoints } from './sendable-endpoints.js';

export const DAY_MS = 86_400_000;

/**
 * Multi-row inserts are split so that an application with thousands of endpoints stays under the bound-parameter
 * limits (32766 on SQLite, 65535 on PostgreSQL) at twelve parameters a row.
 */
const DELIVERY_INSERT_CHUNK = 1000;

export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    appId: row.app_id,
    eventType: row.event_type,
    eventId: row.event_id,
    channels: fromOptionalJson(row.channels),
    tags: fromOptionalJson(row.tags),
    payload: row.payload,
    createdAt: toDate(row.created_at),
    payloadExpiresAt: toDate(row.payload_expires_at),
  };
}

type DeliveryFields = Omit<DeliveryRow, 'lease_owner' | 'lease_until'>;

export function toDelivery(row: DeliveryFields): Delivery {
  return {
    id: row.id,
    appId: row.app_id,
    msgId: row.msg_id,
    endpointId: row.endpoint_id,
    status: row.status as DeliveryStatus,
    attemptCount: row.attempt_count,
    nextAttemptAt: toOptionalDate(row.next_attempt_at),
    triggerType: row.trigger_type as TriggerType,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/**
 * Delivery columns renamed for queries that join deliveries to the row they describe, whose own columns keep their
 * names (`id`, `created_at`… exist on both sides).
 */
const deliveryColumns = [
  'deliveries.id as d_id',
  'deliveries.app_id as d_app_id',
  'deliveries.msg_id as d_msg_id',
  'deliveries.endpoint_id as d_endpoint_id',
  'deliveries.status as d_status',
  'deliveries.attempt_count as d_attempt_count',
  'deliveries.next_attempt_at as d_next_attempt_at',
  'deliveries.trigger_type as d_trigger_type',
  'deliveries.created_at as d_created_at',
  'deliveries.updated_at as d_updated_at',
] as const;

interface AliasedDelivery {
  d_id: string;
  d_app_id: string;
  d_msg_id: string;
  d_endpoint_id: string;
  d_status: number;
  d_attempt_count: number;
  d_next_attempt_at: number | null;
  d_trigger_type: number;
  d_created_at: number;
  d_updated_at: number;
}

function toAliasedDelivery(row: AliasedDelivery): Delivery {
  return toDelivery({
    id: row.d_id,
    app_id: row.d_app_id,
    msg_id: row.d_msg_id,
    endpoint_id: row.d_endpoint_id,
    status: row.d_status,
    attempt_count: row.d_attempt_count,
    next_attempt_at: row.d_next_attempt_at,
    trigger_type: row.d_trigger_type,
    created_at: row.d_created_at,
    updated_at: row.d_updated_at,
  });
}

export interface QueueDeliveries {
  engine: Pick<SqlEngine, 'dialect'>;
  time: number;
  firstAttemptAt: number;
  triggerType: TriggerType;
  /** Restricts routing to one endpoint (send-example). */
  onlyEndpointId?: string;
  /**
   * Columns set on a delivery the message already has to a picked endpoint (a replay); without them the message
   * must have none, as a new message has none.
   */
  resetExisting?: Partial<DeliveryRow>;
  /** Offers new deliveries due now to a worker of this process (see DeliveryHandoff), sent to these endpoints. */
  handoff?: Pick<DeliveryHandoff, 'lease'> & { endpoints: SendableEndpoints };
}

type RoutableRow = Pick<EndpointRow, 'id' | 'disabled' | 'event_types' | 'channels'>;
/** Routing's columns, the endpoint's stamp (to find the whole row kept) and its health (for the breaker). */
type LiveEndpointRow = Pick<EndpointRow, 'id' | 'disabled' | 'event_types' | 'channels' | 'version' | 'updated_at'> & HealthColumns;

/** Every message reads its application's endpoints to route: prepared, as publishing does it on every request. */
const routableEndpoints = new PreparedQuery<'app_id'>((db, value) =>
  db
    .selectFrom('endpoints')
    .select(['id', 'disabled', 'event_types', 'channels'])
    .where('app_id', '=', value('app_id') as string)
    .where('deleted_at', 'is', null)
    .orderBy('id'),
);
const routableEndpoint = new PreparedQuery<'app_id' | 'id'>((db, value) =>
  db
    .selectFrom('endpoints')
    .select(['id', 'disabled', 'event_types', 'channels'])
    .where('app_id', '=', value('app_id') as string)
    .where('id', '=', value('id') as string)
    .where('deleted_at', 'is', null),
);
/** The same endpoints with their stamps and health, when the deliveries may be handed off (see SendableEndpoints). */
const liveEndpoints = new PreparedQuery<'app_id'>((db, value) =>
  db
    .selectFrom('endpoints')
    .leftJoin('endpoint_health', 'endpoint_health.endpoint_id', 'endpoints.id')
    .select(['endpoints.id', 'endpoints.disabled', 'endpoints.event_types', 'endpoints.channels', 'endpoints.version', 'endpoints.updated_at'])
    .select(healthColumns)
    .where('endpoints.app_id', '=', value('app_id') as string)
    .where('endpoints.deleted_at', 'is', null)
    .orderBy('endpoints.id'),
);

const messageInsert = new PreparedInsert<MessageRow>('messages');
const deliveryInsert = new PreparedInsert<DeliveryRow>('deliveries');
const messageWithDeliveriesInsert = new PreparedInsertWith<MessageRow, DeliveryRow>('messages', 'deliveries');

/** Deliveries just queued; `leased` when a handoff took them, with the endpoints they go to, in the same order. */
export interface QueuedDeliveries {
  deliveries: Delivery[];
  leased: { lease: DeliveryLease; endpoints: Array<{ kept: KeptEndpoint; health: HealthColumns }> } | null;
}

/** The deliveries a message gets, decided before any is written: their rows, and the handoff's lease if any. */
interface PlannedDeliveries {
  rows: DeliveryRow[];
  leased: QueuedDeliveries['leased'];
}

/**
 * Routes a message over its application's live endpoints: one delivery row per endpoint the router picks, leased
 * to this process's worker when the handoff takes them. Reads only. Endpoints are handed over in id order, with
 * what routing needs and nothing more (no secrets are decrypted).
 */
async function planDeliveries(db: Executor, message: Message, router: MessageRouter, options: QueueDeliveries): Promise<PlannedDeliveries> {
  const { time, resetExisting } = options;
  // Only deliveries due now are worth handing off; a scheduled one waits for its time in the queue.
  const handoff = options.handoff && options.onlyEndpointId === undefined && resetExisting === undefined && options.firstAttemptAt <= time ? options.handoff : null;
  const endpointRows: RoutableRow[] = handoff
    ? (await liveEndpoints.execute<LiveEndpointRow>(options.engine, db, { app_id: message.appId })).rows
    : options.onlyEndpointId === undefined
      ? (await routableEndpoints.execute<RoutableRow>(options.engine, db, { app_id: message.appId })).rows
      : (await routableEndpoint.execute<RoutableRow>(options.engine, db, { app_id: message.appId, id: options.onlyEndpointId })).rows;
  const routed = router(
    message,
    endpointRows.map((row) => ({
      row,
      id: row.id,
      disabled: row.disabled === 1,
      eventTypes: fromOptionalJson<string[]>(row.event_types),
      channels: fromOptionalJson<string[]>(row.channels),
    })),
  );
  const loaded = handoff && routed.length > 0 ? await handoff.endpoints.load(options.engine, db, routed.map((endpoint) => endpoint.row as LiveEndpointRow)) : [];
  // An endpoint deleted since routing read it (PostgreSQL) is not worth a handoff: a claim will find it gone.
  const sendable = loaded.length > 0 && loaded.every((kept) => kept !== null) ? (loaded as KeptEndpoint[]) : null;
  const lease = handoff && sendable ? handoff.lease(routed.length) : null;
  const leaseUntil = lease?.until.getTime() ?? null;
  const rows: DeliveryRow[] = routed.map((endpoint) => ({
    id: newId('delivery', time),
    app_id: message.appId,
    msg_id: message.id,
    endpoint_id: endpoint.id,
    // Leased as a claim leaves a delivery: being sent, and due again only if the lease runs out first.
    status: lease ? DeliveryStatus.sending : DeliveryStatus.pending,
    attempt_count: 0,
    next_attempt_at: leaseUntil ?? options.firstAttemptAt,
    lease_owner: lease?.owner ?? null,
    lease_until: leaseUntil,
    trigger_type: options.triggerType,
    created_at: time,
    updated_at: time,
  }));
  return {
    rows,
    leased: lease && sendable && { lease, endpoints: sendable.map((kept, index) => ({ kept, health: routed[index]!.row as LiveEndpointRow })) },
  };
}

async function insertDeliveries(engine: Pick<SqlEngine, 'dialect'>, tx: Executor, rows: readonly DeliveryRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += DELIVERY_INSERT_CHUNK) {
    await deliveryInsert.execute(engine, tx, rows.slice(start, start + DELIVERY_INSERT_CHUNK));
  }
}

/** Routes a message (see planDeliveries) and queues one delivery per endpoint the router picks, in `tx`. */
export async function queueDeliveries(
  tx: Executor,
  message: Message,
  router: MessageRouter,
  options: QueueDeliveries,
): Promise<QueuedDeliveries> {
  const { rows, leased } = await planDeliveries(tx, message, router, options);
  const { resetExisting } = options;
  if (resetExisting === undefined) {
    await insertDeliveries(options.engine, tx, rows);
    return { deliveries: rows.map(toDelivery), leased };
  }
  const stored: DeliveryRow[] = [];
  for (let start = 0; start < rows.length; start += DELIVERY_INSERT_CHUNK) {
    const chunk = tx
      .insertInto('deliveries')
      .values(rows.slice(start, start + DELIVERY_INSERT_CHUNK))
      .onConflict((oc) => oc.columns(['msg_id', 'endpoint_id']).doUpdateSet(resetExisting));
    stored.push(...(await chunk.returningAll().execute()));
  }
  return { deliveries: stored.map(toDelivery), leased: null };
}

export function messageStore({ engine, secretBox, now }: SqlContext, sendable: SendableEndpoints): MessageStore {
  return {
    async createMessage(appId, input, router, options = {}): Promise<Outcome<CreatedMessage>> {
      const newRow = (time: number): MessageRow => ({
        id: newId('message', time),
        app_id: appId,
        event_type: input.eventType,
        event_id: input.eventId,
        channels: toOptionalJson(input.channels),
        tags: toOptionalJson(input.tags),
        payload: input.payload,
        created_at: time,
        payload_expires_at: time + input.payloadRetentionDays * DAY_MS,
      });
      const queueing = (time: number): QueueDeliveries => ({
        engine,
        time,
        firstAttemptAt: input.deliverAt?.getTime() ?? time,
        // A manual send (send-example) is recorded as such, like a resend.
        triggerType: options.onlyEndpointId === undefined ? TriggerType.scheduled : TriggerType.manual,
        onlyEndpointId: options.onlyEndpointId,
        handoff: options.handoff && { lease: options.handoff.lease, endpoints: sendable },
      });
      const duplicate = () => conflict(`A message with eventId ${JSON.stringify(input.eventId)} already exists`);

      /**
       * PostgreSQL: routed first, then written by one statement without a transaction around it, two round trips
       * instead of five. Reading the endpoints inside the transaction would not lock them either.
       */
      const publishInOneStatement = async () => {
        const time = now();
        const row = newRow(time);
        const message = toMessage(row);
        const { rows, leased } = await engine.read((db) => planDeliveries(db, message, router, queueing(time)));
        try {
          if (rows.length <= DELIVERY_INSERT_CHUNK) {
            await engine.writeStatement((db) => (rows.length === 0 ? messageInsert.execute(engine, db, [row]) : messageWithDeliveriesInsert.execute(db, row, rows)));
          } else {
            // A fan-out this wide is several statements, so a transaction.
            await engine.write(async (tx) => {
              await messageInsert.execute(engine, tx, [row]);
              await insertDeliveries(engine, tx, rows);
            });
          }
        } catch (error) {
          if (engine.isUniqueViolation(error)) return duplicate();
          throw error;
        }
        return ok({ message, deliveries: rows.map(toDelivery), leased, time });
      };

      const written =
        engine.dialect === 'postgres'
          ? await publishInOneStatement()
          : await engine.write(async (tx) => {
              const time = now();
              const row = newRow(time);
              try {
                await messageInsert.execute(engine, tx, [row]);
              } catch (error) {
                if (engine.isUniqueViolation(error)) return duplicate();
                throw error;
              }
              const message = toMessage(row);
              const { deliveries, leased } = await queueDeliveries(tx, message, router, queueing(time));
              return ok({ message, deliveries, leased, time });
            });
      if (!written.ok) return written;
      const { message, deliveries, leased, time } = written.value;
      if (!leased) return ok({ message, deliveries, leased: [] });
      // Decoding the endpoints (opening their secrets) needs no transaction: done once the writer is free again.
      const content = { id: message.id, eventType: message.eventType, channels: message.channels, payload: message.payload, createdAt: message.createdAt, inbound: null };
      const handedOff = deliveries.map(
        (delivery, index): ClaimedDelivery => ({
          delivery,
          lease: leased.lease,
          message: content,
          endpoint: sendable.decoded(leased.endpoints[index]!.kept, secretBox, time),
          appThrottleRate: options.handoff!.appThrottleRate,
          health: toHealth(delivery.endpointId, leased.endpoints[index]!.health),
        }),
      );
      return ok({ message, deliveries, leased: handedOff });
    },

    async getMessage(appId, idOrEventId) {
      const rows = await engine.read((db) =>
        db
          .selectFrom('messages')
          .selectAll()
          .where('app_id', '=', appId)
          .where((eb) => eb.or([eb('id', '=', idOrEventId), eb('event_id', '=', idOrEventId)]))
          .limit(2)
          .execute(),
      );
      // A client's eventId may equal another message's id; an id always finds the message it names.
      const row = rows.find((candidate) => candidate.id === idOrEventId) ?? rows[0];
      return row && toMessage(row);
    },

    async listMessages(appId, page, filter) {
      const { rows, direction } = await engine.read(async (db) => {
        const base = db
          .selectFrom('messages')
          .selectAll()
          .where('app_id', '=', appId)
          .where((eb) => eb.and(messageConditions(eb, filter)));
        const { query, direction } = paginate(base, 'messages.id', page, 'descending');
        return { rows: await query.execute(), direction };
      });
      return toPage(rows.map(toMessage), page, direction, (message) => message.id);
    },

    async expungeMessageContent(appId, msgId) {
      return engine.write(async (tx) => {
        const result = await tx.updateTable('messages').set({ payload: null }).where('app_id', '=', appId).where('id', '=', msgId).executeTakeFirst();
        return result.numUpdatedRows > 0n ? ok(undefined) : notFound;
      });
    },

    async listEndpointMessages(appId, endpointId, page, filter) {
      const { rows, direction } = await engine.read(async (db) => {
        const base = db
          .selectFrom('deliveries')
          .innerJoin('messages', 'messages.id', 'deliveries.msg_id')
          .selectAll('messages')
          .select(deliveryColumns)
          .where('deliveries.app_id', '=', appId)
          .where('deliveries.endpoint_id', '=', endpointId)
          .where((eb) => {
            const conditions = messageConditions(eb, filter);
            if (filter.status !== null && filter.status !== undefined) conditions.push(eb('deliveries.status', '=', filter.status));
            return eb.and(conditions);
          });
        // deliveries.msg_id is messages.id, and (endpoint_id, msg_id) is indexed.
        const { query, direction } = paginate(base, 'deliveries.msg_id', page, 'descending');
        return { rows: await query.execute(), direction };
      });
      const data = rows.map((row) => ({ message: toMessage(row), delivery: toAliasedDelivery(row) }));
      return toPage(data, page, direction, (item) => item.message.id);
    },

    async listMessageDestinations(appId, msgId, page) {
      const { rows, direction } = await engine.read(async (db) => {
        const base = db
          .selectFrom('deliveries')
          .innerJoin('endpoints', 'endpoints.id', 'deliveries.endpoint_id')
          .selectAll('endpoints')
          .select(deliveryColumns)
          .where('deliveries.app_id', '=', appId)
          .where('deliveries.msg_id', '=', msgId)
          .where('endpoints.deleted_at', 'is', null);
        const { query, direction } = paginate(base, 'deliveries.endpoint_id', page, 'ascending');
        return { rows: await query.execute(), direction };
      });
      const time = now();
      const data = rows.map((row) => ({ endpoint: toEndpoint(row, secretBox, time), delivery: toAliasedDelivery(row) }));
      return toPage(data, page, direction, (item) => item.endpoint.id);
    },
  };
}

function messageConditions(eb: ExpressionBuilder<Database, 'messages'>, filter: MessageFilter): Expression<SqlBool>[] {
  const conditions = createdBetween('messages.created_at', filter);
  if (filter.channel) conditions.push(channelIncludes('messages.channels', filter.channel));
  if (hasItems(filter.eventTypes)) conditions.push(eb('messages.event_type', 'in', filter.eventTypes));
  return conditions;
}
