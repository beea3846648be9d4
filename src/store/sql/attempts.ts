import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Attempt, AttemptFilter, AttemptStore, DeliveryStatus, EndpointStats, TriggerType } from '../port.js';
import { fromOptionalJson, toDate, toOptionalJson } from './codec.js';
import { notFound, ok, type SqlContext } from './context.js';
import type { AttemptRow, Database } from './database.js';
import type { Executor } from './engine.js';
import { channelIncludes, createdBetween, hasItems } from './filters.js';
import { paginate, toPage } from './pagination.js';
import { statusCounts } from './stats.js';

function toAttempt(row: AttemptRow): Attempt {
  return {
    id: row.id,
    appId: row.app_id,
    msgId: row.msg_id,
    endpointId: row.endpoint_id,
    deliveryId: row.delivery_id,
    url: row.url,
    status: row.status as DeliveryStatus,
    responseStatusCode: row.response_status_code,
    response: row.response,
    requestHeaders: fromOptionalJson(row.request_headers),
    responseDurationMs: row.response_duration_ms,
    triggerType: row.trigger_type as TriggerType,
    createdAt: toDate(row.created_at),
  };
}

/** Records one attempt inside the caller's transaction; the delivery engine writes it with the delivery's new state. */
export async function insertAttempt(tx: Executor, attempt: Attempt): Promise<void> {
  await tx.insertInto('attempts').values(attemptRow(attempt)).execute();
}

export function attemptRow(attempt: Attempt): AttemptRow {
  return {
    id: attempt.id,
    app_id: attempt.appId,
    msg_id: attempt.msgId,
    endpoint_id: attempt.endpointId,
    delivery_id: attempt.deliveryId,
    url: attempt.url,
    status: attempt.status,
    response_status_code: attempt.responseStatusCode,
    response: attempt.response,
    response_duration_ms: attempt.responseDurationMs,
    trigger_type: attempt.triggerType,
    created_at: attempt.createdAt.getTime(),
    request_headers: toOptionalJson(attempt.requestHeaders),
  };
}

function attemptConditions(eb: ExpressionBuilder<Database, 'attempts'>, filter: AttemptFilter): Expression<SqlBool> {
  const conditions = createdBetween('attempts.created_at', filter);
  if (filter.status !== null && filter.status !== undefined) conditions.push(eb('attempts.status', '=', filter.status));
  const codeClass = filter.statusCodeClass;
  if (codeClass !== null && codeClass !== undefined) {
    // Class 0 is "no response at all" (connection refused, timeout), recorded as status code 0.
    conditions.push(
      codeClass === 0
        ? eb('attempts.response_status_code', '=', 0)
        : eb.between('attempts.response_status_code', codeClass, codeClass + 99),
    );
  }
  if (hasItems(filter.eventTypes) || filter.channel) {
    // Event type and channels belong to the message; a lookup by its primary key avoids a join when unused.
    let message = eb.selectFrom('messages').select('messages.id').whereRef('messages.id', '=', 'attempts.msg_id');
    if (filter.channel) message = message.where(channelIncludes('messages.channels', filter.channel));
    if (hasItems(filter.eventTypes)) message = message.where('messages.event_type', 'in', filter.eventTypes);
    conditions.push(eb.exists(message));
  }
  return eb.and(conditions);
}

export function attemptStore({ engine }: SqlContext): AttemptStore {
  return {
    async getAttempt(appId, msgId, attemptId) {
      const row = await engine.read((db) =>
        db.selectFrom('attempts').selectAll().where('app_id', '=', appId).where('msg_id', '=', msgId).where('id', '=', attemptId).executeTakeFirst(),
      );
      return row && toAttempt(row);
    },

    async listAttemptsByEndpoint(appId, endpointId, page, filter) {
      const { rows, direction } = await engine.read(async (db) => {
        const base = db
          .selectFrom('attempts')
          .selectAll()
          .where('app_id', '=', appId)
          .where('endpoint_id', '=', endpointId)
          .where((eb) => attemptConditions(eb, filter));
        const { query, direction } = paginate(base, 'attempts.id', page, 'descending');
        return { rows: await query.execute(), direction };
      });
      return toPage(rows.map(toAttempt), page, direction, (attempt) => attempt.id);
    },

    async listAttemptsByMessage(appId, msgId, page, filter) {
      const { rows, direction } = await engine.read(async (db) => {
        let base = db
          .selectFrom('attempts')
          .selectAll()
          .where('app_id', '=', appId)
          .where('msg_id', '=', msgId)
          .where((eb) => attemptConditions(eb, filter));
        if (filter.endpointId) base = base.where('endpoint_id', '=', filter.endpointId);
        const { query, direction } = paginate(base, 'attempts.id', page, 'descending');
        return { rows: await query.execute(), direction };
      });
      return toPage(rows.map(toAttempt), page, direction, (attempt) => attempt.id);
    },

    async expungeAttemptContent(appId, msgId, attemptId) {
      return engine.write(async (tx) => {
        const result = await tx
          .updateTable('attempts')
          .set({ response: null, request_headers: null })
          .where('app_id', '=', appId)
          .where('msg_id', '=', msgId)
          .where('id', '=', attemptId)
          .executeTakeFirst();
        return result.numUpdatedRows > 0n ? ok(undefined) : notFound;
      });
    },

    async endpointStats(appId, endpointId, range): Promise<EndpointStats> {
      const rows = await engine.read((db) => {
        let query = db
          .selectFrom('deliveries')
          .select((eb) => ['status', eb.fn.countAll<number | string>().as('total'), eb.fn.count<number | string>('canceled_at').as('canceled')])
          .where('app_id', '=', appId)
          .where('endpoint_id', '=', endpointId)
          .groupBy('status');
        // A half-open range, like the recover range, so adjacent windows never count a delivery twice.
        if (range.since) query = query.where('created_at', '>=', range.since.getTime());
        if (range.until) query = query.where('created_at', '<', range.until.getTime());
        return query.execute();
      });
      return statusCounts(rows);
    },
  };
}
