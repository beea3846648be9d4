import { sql } from 'kysely';
import {
  DeliveryStatus,
  OPERATIONAL_OWNER_ID,
  type ClaimedDelivery,
  type DeliveryDisposition,
  type DeliveryQueueStore,
  type Attempt,
  type DeliveryResult,
  type EndpointHealth,
  type OperationalEvent,
} from '../port.js';
import type { SecretBox } from '../../core/secret-box.js';
import { fromJson, fromOptionalJson, toDate, toJson, toOptionalDate } from './codec.js';
import type { SqlContext } from './context.js';
import type { AttemptRow, DeliveryRow, EndpointHealthRow, EndpointRow } from './database.js';
import type { Executor, SqlEngine } from './engine.js';
import { attemptRow } from './attempts.js';
import { PreparedInsert, PreparedQuery, compilableRaw, inList, listValue } from './prepared.js';
import { healthColumns, toHealth, type HealthColumns } from './endpoints.js';
import type { SendableEndpoints } from './sendable-endpoints.js';
import { lockInboundEvents, settleInboundEvents } from './inbound-events.js';
import { toDelivery } from './messages.js';
import { recordAttemptEvents } from './operational-events.js';

/** Dispositions after which a delivery owes no more attempts. */
const FINAL_DISPOSITIONS: ReadonlySet<DeliveryDisposition['kind']> = new Set(['success', 'failed', 'canceled']);

/** The inbound event a result may settle: that of a forwarding delivery that has just ended. */
function settledEvent(result: DeliveryResult): string | null {
  return result.inboundEventId && FINAL_DISPOSITIONS.has(result.disposition.kind) ? result.inboundEventId : null;
}

/**
 * Claims and results need no disk sync of their own: a claim lost in a machine crash leaves its deliveries due
 * (they are sent again, as after any lost lease), and so does a lost result. They become durable with the next
 * sync, which every accepted message's commit waits for.
 */
const NOT_DURABLE = { durable: false } as const;

/** Bound on one claim, so that a claim transaction (and its `in (…)` list) stays short whatever the caller asks. */
const MAX_CLAIM = 500;

/** The delivery columns a disposition sets (its lease always ends with it). */
function dispositionColumns(disposition: DeliveryDisposition, time: number): { status: number; next_attempt_at: number | null; canceled_at: number | null } {
  switch (disposition.kind) {
    case 'success':
      return { status: DeliveryStatus.success, next_attempt_at: null, canceled_at: null };
    case 'retry':
    case 'deferred':
      return { status: DeliveryStatus.pending, next_attempt_at: disposition.at.getTime(), canceled_at: null };
    case 'failed':
      return { status: DeliveryStatus.fail, next_attempt_at: null, canceled_at: null };
    case 'canceled':
      return { status: DeliveryStatus.fail, next_attempt_at: null, canceled_at: time };
  }
}

/**
 * An endpoint's health after a batch of its attempts, in the order they were made: a success resets the run of
 * failures, a failure extends it (keeping the time the run began). One upsert per endpoint and batch, whatever the
 * number of attempts, with the same result as one upsert per attempt.
 */
interface HealthChange {
  appId: string;
  /** Whether the batch holds a success: the stored run of failures is then replaced, not extended. */
  reset: boolean;
  /** Failures after the last success (all of them without one). */
  failures: number;
  firstFailureAt: number | null;
  lastFailureAt: number | null;
  lastSuccessAt: number | null;
}

function healthChanges(attempts: readonly Attempt[]): Map<string, HealthChange> {
  const changes = new Map<string, HealthChange>();
  for (const attempt of attempts) {
    const at = attempt.createdAt.getTime();
    let change = changes.get(attempt.endpointId);
    if (!change) {
      change = { appId: attempt.appId, reset: false, failures: 0, firstFailureAt: null, lastFailureAt: null, lastSuccessAt: null };
      changes.set(attempt.endpointId, change);
    }
    if (attempt.status === DeliveryStatus.success) {
      Object.assign(change, { reset: true, failures: 0, firstFailureAt: null, lastSuccessAt: at });
    } else {
      change.failures += 1;
      change.firstFailureAt ??= at;
      change.lastFailureAt = at;
    }
  }
  return changes;
}

type HealthValue = 'endpoint_id' | 'app_id' | 'failures' | 'failing_since' | 'last_failure_at' | 'last_success_at' | 'updated_at';

const healthInsert = (db: Executor, value: (name: HealthValue) => unknown) =>
  db.insertInto('endpoint_health').values({
    endpoint_id: value('endpoint_id') as string,
    app_id: value('app_id') as string,
    consecutive_failures: value('failures') as number,
    failing_since: value('failing_since') as number | null,
    last_failure_at: value('last_failure_at') as number | null,
    last_success_at: value('last_success_at') as number | null,
    updated_at: value('updated_at') as number,
  });

/** What `toHealth` reads, named: a `*` projection is not prepared on PostgreSQL (see `hotStatements`). */
const healthReturned = ['consecutive_failures', 'failing_since', 'last_failure_at', 'last_success_at'] as const;

/** After a success: the run of failures is what followed it. */
const resetHealth = new PreparedQuery<HealthValue>((db, value) =>
  healthInsert(db, value)
    .onConflict((oc) =>
      oc.column('endpoint_id').doUpdateSet((eb) => ({
        consecutive_failures: eb.ref('excluded.consecutive_failures'),
        failing_since: eb.ref('excluded.failing_since'),
        last_failure_at: eb.fn.coalesce('excluded.last_failure_at', 'endpoint_health.last_failure_at'),
        last_success_at: eb.ref('excluded.last_success_at'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returning(healthReturned),
);

/** Only failures: the run grows, and keeps the time it began. */
const extendHealth = new PreparedQuery<HealthValue>((db, value) =>
  healthInsert(db, value)
    .onConflict((oc) =>
      oc.column('endpoint_id').doUpdateSet((eb) => ({
        consecutive_failures: eb('endpoint_health.consecutive_failures', '+', eb.ref('excluded.consecutive_failures')),
        failing_since: eb.fn.coalesce('endpoint_health.failing_since', 'excluded.failing_since'),
        last_failure_at: eb.ref('excluded.last_failure_at'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returning(healthReturned),
);

/** Upserts the health of every endpoint the attempts went to; resolves each one's health after the batch. */
async function recordHealth(engine: Pick<SqlEngine, 'dialect'>, tx: Executor, attempts: readonly Attempt[], time: number): Promise<EndpointHealth[]> {
  const health: EndpointHealth[] = [];
  for (const [endpointId, change] of healthChanges(attempts)) {
    const { rows } = await (change.reset ? resetHealth : extendHealth).execute<EndpointHealthRow>(engine, tx, {
      endpoint_id: endpointId,
      app_id: change.appId,
      failures: change.failures,
      failing_since: change.firstFailureAt,
      last_failure_at: change.lastFailureAt,
      last_success_at: change.lastSuccessAt,
      updated_at: time,
    });
    health.push(toHealth(endpointId, rows[0]));
  }
  return health;
}

/** Values of one result's delivery update: id, status, next attempt, canceled at, attempts made, lease owner, lease end. */
type ResultRow = [string, number, number | null, number | null, number, string, number];

/** Results per update statement: each is one row of the statement's value list, however long. */
const RESULT_UPDATE_CHUNK = 500;

const resultsSet = (time: unknown) =>
  sql`lease_owner = null, lease_until = null, updated_at = ${time}, status = v.status, next_attempt_at = v.next_attempt_at, canceled_at = v.canceled_at`;

/** SQLite: the results as one JSON parameter, a row of values each. */
const sqliteResultsUpdate = new PreparedQuery<'time' | 'rows'>((db, value) =>
  compilableRaw(
    db,
    sql`update deliveries set ${resultsSet(value('time'))}, attempt_count = deliveries.attempt_count + v.attempts
        from (select value ->> 0 as id, value ->> 1 as status, value ->> 2 as next_attempt_at, value ->> 3 as canceled_at,
                     value ->> 4 as attempts, value ->> 5 as held_by, value ->> 6 as held_until
              from json_each(${value('rows')})) as v
        where deliveries.id = v.id and deliveries.lease_owner = v.held_by and deliveries.lease_until = v.held_until
        returning deliveries.id`,
  ),
);

/** PostgreSQL: the results as one array parameter a column. */
const postgresResultsUpdate = new PreparedQuery<'time' | 'ids' | 'statuses' | 'next' | 'canceled' | 'attempts' | 'owners' | 'until'>((db, value) =>
  compilableRaw(
    db,
    sql`update deliveries as d set ${resultsSet(value('time'))}, attempt_count = d.attempt_count + v.attempts
        from unnest(${value('ids')}::text[], ${value('statuses')}::integer[], ${value('next')}::bigint[], ${value('canceled')}::bigint[],
                    ${value('attempts')}::integer[], ${value('owners')}::text[], ${value('until')}::bigint[])
          as v(id, status, next_attempt_at, canceled_at, attempts, held_by, held_until)
        where d.id = v.id collate "C" and d.lease_owner = v.held_by and d.lease_until = v.held_until
        returning d.id`,
  ),
);

/**
 * One statement for a whole batch of results, instead of one per result (a round trip each on PostgreSQL), and the
 * same statement whatever the batch's size. A result changes its delivery only while the result's lease is still the
 * delivery's; the ids returned are those it changed.
 */
async function updateResults(engine: Pick<SqlEngine, 'dialect'>, tx: Executor, rows: readonly ResultRow[], time: number): Promise<Set<string>> {
  const changed = new Set<string>();
  if (rows.length === 0) return changed;
  const result =
    engine.dialect === 'postgres'
      ? await postgresResultsUpdate.execute<{ id: string }>(engine, tx, {
          time,
          ids: column(rows, 0),
          statuses: column(rows, 1),
          next: column(rows, 2),
          canceled: column(rows, 3),
          attempts: column(rows, 4),
          owners: column(rows, 5),
          until: column(rows, 6),
        })
      : await sqliteResultsUpdate.execute<{ id: string }>(engine, tx, { time, rows: JSON.stringify(rows) });
  for (const row of result.rows) changed.add(row.id);
  return changed;
}

function column<T>(rows: readonly ResultRow[], index: number): T[] {
  return rows.map((row) => row[index] as T);
}

/**
 * Splits results into statements of at most RESULT_UPDATE_CHUNK rows, none holding the same delivery twice: a
 * second result for a delivery goes into a later statement, which then finds the lease already ended by the first.
 */
function resultChunks(rows: readonly ResultRow[]): ResultRow[][] {
  const chunks: Array<{ rows: ResultRow[]; ids: Set<string> }> = [];
  for (const row of rows) {
    let chunk = chunks.find((candidate) => candidate.rows.length < RESULT_UPDATE_CHUNK && !candidate.ids.has(row[0]));
    if (!chunk) chunks.push((chunk = { rows: [], ids: new Set() }));
    chunk.rows.push(row);
    chunk.ids.add(row[0]);
  }
  return chunks.map((chunk) => chunk.rows);
}

const attemptInsert = new PreparedInsert<AttemptRow>('attempts');
/** 12 parameters a row: well inside both databases' limits per statement. */
const ATTEMPT_INSERT_CHUNK = 200;

/** Due deliveries in the order they fell due; on PostgreSQL skipping rows another claim is taking right now. */
const dueDeliveries = new PreparedQuery<'time' | 'limit'>((db, value, dialect) => {
  const due = db
    .selectFrom('deliveries')
    .select('id')
    .where('next_attempt_at', '<=', value('time') as number)
    .orderBy('next_attempt_at')
    .limit(value('limit') as number);
  // SQLite has a single writer, so the select and the update after it cannot interleave with another claim.
  return dialect === 'postgres' ? due.forUpdate().skipLocked() : due;
});

const leaseDeliveries = new PreparedQuery<'ids' | 'owner' | 'until' | 'time' | 'status'>((db, value, dialect) =>
  db
    .updateTable('deliveries')
    .set({
      status: value('status') as number,
      lease_owner: value('owner') as string,
      lease_until: value('until') as number,
      // A crashed worker never records its claims; pushing them to the lease's end makes them due again then.
      next_attempt_at: value('until') as number,
      updated_at: value('time') as number,
    })
    .where(inList(dialect, 'id', value('ids'))),
);

const nextDueAt = new PreparedQuery<never>((db) =>
  db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.min('next_attempt_at').as('next'))
    .where('next_attempt_at', 'is not', null),
);

/** The columns a claim reads, named: a `*` projection is not prepared on PostgreSQL (see `hotStatements`). */
const claimedColumns = ['id', 'app_id', 'msg_id', 'endpoint_id', 'status', 'attempt_count', 'next_attempt_at', 'lease_owner', 'lease_until', 'trigger_type', 'created_at', 'updated_at'] as const;

const claimedRows = new PreparedQuery<'ids'>((db, value, dialect) =>
  db
    .selectFrom('deliveries')
    .select(claimedColumns)
    .where(inList(dialect, 'id', value('ids')))
    .orderBy('next_attempt_at'),
);

/** The claimed deliveries' messages, each once however many of its deliveries were claimed (a fan-out's are many). */
const claimedMessages = new PreparedQuery<'ids'>((db, value, dialect) =>
  db
    .selectFrom('messages')
    .leftJoin('inbound_events', 'inbound_events.id', 'messages.source_event_id')
    .select([
      'messages.id',
      'messages.event_type',
      'messages.channels',
      'messages.payload',
      'messages.created_at',
      'inbound_events.id as i_id',
      'inbound_events.body as i_body',
      'inbound_events.content_type as i_content_type',
      'inbound_events.headers as i_headers',
    ])
    .where(inList(dialect, 'messages.id', value('ids'))),
);

/** The claimed deliveries' endpoints: their stamps (see SendableEndpoints), health and application throttle. */
const claimedEndpoints = new PreparedQuery<'ids'>((db, value, dialect) =>
  db
    .selectFrom('endpoints')
    .leftJoin('endpoint_health', 'endpoint_health.endpoint_id', 'endpoints.id')
    .leftJoin('applications', 'applications.id', 'endpoints.app_id')
    .select(['endpoints.id', 'endpoints.version', 'endpoints.updated_at', 'endpoints.deleted_at'])
    .select([...healthColumns, 'applications.throttle_rate as a_throttle_rate'])
    .where(inList(dialect, 'endpoints.id', value('ids'))),
);

interface ClaimedMessageRow {
  id: string;
  event_type: string;
  channels: string | null;
  payload: string | null;
  created_at: number;
  i_id: string | null;
  i_body: Buffer | null;
  i_content_type: string | null;
  i_headers: string | null;
}

type ClaimedEndpointRow = Pick<EndpointRow, 'id' | 'version' | 'updated_at' | 'deleted_at'> & HealthColumns & { a_throttle_rate: number | null };

/**
 * The claimed deliveries with what sending needs. A claim's deliveries mostly go to a few endpoints, and a fan-out's
 * to many endpoints from few messages, so messages and endpoints (with their health and application throttle) are
 * read once each, not once per delivery: a query each, and one decoded message and Endpoint shared by their
 * deliveries.
 */
async function loadClaimed(
  engine: Pick<SqlEngine, 'dialect'>,
  db: Executor,
  ids: string[],
  sendable: SendableEndpoints,
  box: SecretBox,
  time: number,
): Promise<ClaimedDelivery[]> {
  const { rows } = await claimedRows.execute<DeliveryRow>(engine, db, { ids: listValue(engine.dialect, ids) });
  if (rows.length === 0) return [];
  const messageIds = [...new Set(rows.map((row) => row.msg_id))];
  const { rows: messageRows } = await claimedMessages.execute<ClaimedMessageRow>(engine, db, { ids: listValue(engine.dialect, messageIds) });
  const messages = new Map(
    messageRows.map((row): [string, ClaimedDelivery['message']] => [
      row.id,
      {
        id: row.id,
        eventType: row.event_type,
        channels: fromOptionalJson(row.channels),
        payload: row.payload,
        createdAt: toDate(row.created_at),
        inbound: row.i_id === null ? null : { eventId: row.i_id, body: row.i_body, contentType: row.i_content_type, headers: fromJson(row.i_headers!) },
      },
    ]),
  );
  const endpointIds = [...new Set(rows.map((row) => row.endpoint_id))];
  const { rows: endpointRows } = await claimedEndpoints.execute<ClaimedEndpointRow>(engine, db, { ids: listValue(engine.dialect, endpointIds) });
  const live = endpointRows.filter((row) => row.deleted_at === null);
  const kept = new Map((await sendable.load(engine, db, live)).map((endpoint, index) => [live[index]!.id, endpoint]));
  const targets = new Map(
    endpointRows.map((row) => {
      const endpoint = kept.get(row.id);
      return [row.id, { endpoint: endpoint ? sendable.decoded(endpoint, box, time) : null, health: toHealth(row.id, row), appThrottleRate: row.a_throttle_rate }];
    }),
  );
  return rows.map((row): ClaimedDelivery => {
    const target = targets.get(row.endpoint_id);
    return {
      delivery: toDelivery(row),
      lease: { owner: row.lease_owner!, until: toDate(row.lease_until!) },
      message: messages.get(row.msg_id) ?? null,
      endpoint: target?.endpoint ?? null,
      appThrottleRate: target?.appThrottleRate ?? null,
      health: target?.health ?? toHealth(row.endpoint_id, undefined),
    };
  });
}

export function deliveryQueueStore({ engine, secretBox, now }: SqlContext, sendable: SendableEndpoints): DeliveryQueueStore {
  return {
    async claimDueDeliveries({ owner, limit, leaseMs }) {
      const time = now();
      const leaseUntil = time + leaseMs;
      const { ids, nextDue } = await engine.write(async (tx) => {
        const count = Math.max(0, Math.min(limit, MAX_CLAIM));
        const picked = count > 0 ? (await dueDeliveries.execute<{ id: string }>(engine, tx, { time, limit: count })).rows.map((row) => row.id) : [];
        if (picked.length > 0) {
          await leaseDeliveries.execute(engine, tx, {
            ids: listValue(engine.dialect, picked),
            owner,
            until: leaseUntil,
            time,
            status: DeliveryStatus.sending,
          });
        }
        const next = (await nextDueAt.execute<{ next: number | null }>(engine, tx, {})).rows[0];
        return { ids: picked, nextDue: next?.next ?? null };
      }, NOT_DURABLE);
      // Read after the commit, outside the write: payloads and secrets need not hold the single SQLite writer.
      const deliveries = ids.length === 0 ? [] : await engine.read((db) => loadClaimed(engine, db, ids, sendable, secretBox, time));
      return {
        // Another claim may have taken a row since (its lease expired in between); it is no longer ours to send.
        deliveries: deliveries.filter((claimed) => claimed.lease.owner === owner && claimed.lease.until.getTime() === leaseUntil),
        nextDueAt: toOptionalDate(nextDue),
      };
    },

    async recordDeliveryResults(results) {
      if (results.length === 0) return { recorded: [], health: [] };
      // Only deliveries that forward inbound events can settle one; outbound batches skip both statements for it.
      const settling = new Set(results.map(settledEvent).filter((id) => id !== null));
      return engine.write(async (tx) => {
        const time = now();
        await lockInboundEvents(tx, engine.dialect, [...settling]);
        const rows = results.map((result): ResultRow => {
          const columns = dispositionColumns(result.disposition, time);
          return [result.deliveryId, columns.status, columns.next_attempt_at, columns.canceled_at, result.attempt ? 1 : 0, result.lease.owner, result.lease.until.getTime()];
        });
        // Statements run in chunk order, so a result in a later chunk sees what the earlier ones changed.
        const changed = new Map<ResultRow, boolean>();
        for (const chunk of resultChunks(rows)) {
          const ids = await updateResults(engine, tx, chunk, time);
          for (const row of chunk) changed.set(row, ids.has(row[0]));
        }
        const recorded = rows.map((row) => changed.get(row)!);
        // A late result may not change a delivery that someone else now holds, but the request it reports was
        // really sent: the attempt and its effect on the endpoint's health are kept either way.
        const attempts = results.flatMap((result) => (result.attempt ? [result.attempt] : []));
        for (let start = 0; start < attempts.length; start += ATTEMPT_INSERT_CHUNK) {
          await attemptInsert.execute(engine, tx, attempts.slice(start, start + ATTEMPT_INSERT_CHUNK).map(attemptRow));
        }
        const health = await recordHealth(engine, tx, attempts, time);
        await recordAttemptEvents(engine, tx, results, recorded, time);
        // A late result changed nothing, so it settles nothing either.
        const settled = new Set(results.map((result, index) => (recorded[index] ? settledEvent(result) : null)).filter((id) => id !== null));
        if (settled.size > 0) await settleInboundEvents(tx, [...settled], time);
        return { recorded, health };
      }, NOT_DURABLE);
    },

    async releaseDeliveryLeases(owner) {
      return engine.write(async (tx) => {
        const time = now();
        const result = await tx
          .updateTable('deliveries')
          .set({ status: DeliveryStatus.pending, next_attempt_at: time, lease_owner: null, lease_until: null, updated_at: time })
          .where('lease_owner', '=', owner)
          .executeTakeFirst();
        return Number(result.numUpdatedRows);
      });
    },

    async disableEndpoint(appId, endpointId, reason) {
      // The operator endpoint stays on: disabling it would silence the only channel that could report it.
      if (appId === OPERATIONAL_OWNER_ID) return false;
      return engine.write(async (tx) => {
        // The owner is an application, or an inbound source whose destination this is (Svix's ingest events).
        const endpoint = await tx
          .selectFrom('endpoints')
          .leftJoin('applications', 'applications.id', 'endpoints.app_id')
          .select(['endpoints.uid', 'endpoints.updated_at', 'applications.id as app_id', 'applications.uid as app_uid'])
          .where('endpoints.app_id', '=', appId)
          .where('endpoints.id', '=', endpointId)
          .where('endpoints.deleted_at', 'is', null)
          .where('endpoints.disabled', '=', 0)
          .executeTakeFirst();
        if (!endpoint) return false;
        const time = now();
        await tx
          .updateTable('endpoints')
          .set((eb) => ({ disabled: 1, updated_at: Math.max(time, endpoint.updated_at), version: eb('version', '+', 1) }))
          .where('id', '=', endpointId)
          .execute();
        const common = { endpointId, endpointUid: endpoint.uid, failSince: reason.failingSince?.toISOString() ?? null, trigger: 'automatic' };
        await tx
          .insertInto('operational_events')
          .values({
            type: endpoint.app_id === null ? 'ingest.endpoint.disabled' : 'endpoint.disabled',
            app_id: appId,
            payload: toJson(endpoint.app_id === null ? { sourceId: appId, ...common } : { appId, appUid: endpoint.app_uid, ...common }),
            created_at: time,
          })
          .execute();
        return true;
      });
    },

    async getEndpointHealth(appId, endpointId) {
      const row = await engine.read((db) =>
        db.selectFrom('endpoint_health').selectAll().where('app_id', '=', appId).where('endpoint_id', '=', endpointId).executeTakeFirst(),
      );
      return toHealth(endpointId, row);
    },

    async listOperationalEvents({ afterSeq, limit }) {
      const rows = await engine.read((db) =>
        db
          .selectFrom('operational_events')
          .selectAll()
          .where('seq', '>', afterSeq ?? 0)
          .orderBy('seq')
          .limit(limit)
          .execute(),
      );
      return rows.map(
        (row): OperationalEvent => ({
          seq: Number(row.seq),
          type: row.type as OperationalEvent['type'],
          appId: row.app_id,
          payload: fromJson(row.payload),
          createdAt: toDate(row.created_at),
        }),
      );
    },

    async dueDeliveryStats() {
      const time = now();
      const row = await engine.read((db) =>
        db
          .selectFrom('deliveries')
          .select((eb) => [eb.fn.countAll<number | string>().as('due'), eb.fn.min('next_attempt_at').as('oldest')])
          .where('next_attempt_at', '<=', time)
          .executeTakeFirst(),
      );
      return { due: Number(row?.due ?? 0), oldestDueAt: toOptionalDate(row?.oldest ?? null) };
    },
  };
}
