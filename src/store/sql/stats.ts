import { sql, type Expression, type SqlBool } from 'kysely';
import { idFloorAt, type IdKind } from '../../core/ids.js';
import { DeliveryStatus, OPERATIONAL_OWNER_ID, type EndpointStats, type LatencyPercentiles, type StatsStore, type TimeRange } from '../port.js';
import { toOptionalDate } from './codec.js';
import type { SqlContext } from './context.js';

/** Rows of `status, count(*) as total, count(canceled_at) as canceled … group by status`, as drivers return them. */
export interface StatusCountRow {
  status: number;
  total: number | string | bigint;
  canceled: number | string | bigint;
}

/** Folds per-status counts into stats; a canceled delivery reads as `fail` on the wire but is counted on its own. */
export function statusCounts(rows: readonly StatusCountRow[]): EndpointStats {
  const stats: EndpointStats = { success: 0, pending: 0, fail: 0, sending: 0, canceled: 0 };
  for (const row of rows) {
    const canceled = Number(row.canceled);
    const rest = Number(row.total) - canceled;
    stats.canceled += canceled;
    if (row.status === DeliveryStatus.success) stats.success += rest;
    else if (row.status === DeliveryStatus.pending) stats.pending += rest;
    else if (row.status === DeliveryStatus.fail) stats.fail += rest;
    else if (row.status === DeliveryStatus.sending) stats.sending += rest;
  }
  return stats;
}

/**
 * Rows created in `[since, until)`. Deliveries and attempts have time-sorted ids minted at creation, never earlier
 * than their `created_at` (a clock stepping back mints ids after the last one), so `id >= floor(since)` holds for
 * every row in range: it lets the primary key (or the `(endpoint_id, id)` index) skip older rows, and `created_at`
 * decides exactly.
 */
function createdIn(table: 'deliveries' | 'attempts' | 'messages', kind: IdKind, range: TimeRange): Expression<SqlBool>[] {
  const conditions: Expression<SqlBool>[] = [];
  if (range.since) {
    conditions.push(sql<SqlBool>`${sql.ref(`${table}.id`)} >= ${idFloorAt(kind, range.since.getTime())}`);
    conditions.push(sql<SqlBool>`${sql.ref(`${table}.created_at`)} >= ${range.since.getTime()}`);
  }
  if (range.until) conditions.push(sql<SqlBool>`${sql.ref(`${table}.created_at`)} < ${range.until.getTime()}`);
  return conditions;
}

const PERCENTILES = [50, 90, 99] as const;

/** Nearest rank (the smallest value with at least p % of the values at or below it), as a zero-based offset. */
function rankOffset(percentile: number, count: number): number {
  return Math.max(1, Math.ceil((percentile / 100) * count)) - 1;
}

export function statsStore({ engine }: SqlContext): StatsStore {
  return {
    async deliveryCounts(range) {
      const rows = await engine.read((db) =>
        db
          .selectFrom('deliveries')
          .select((eb) => ['status', eb.fn.countAll<number | string>().as('total'), eb.fn.count<number | string>('canceled_at').as('canceled')])
          .where((eb) => eb.and(createdIn('deliveries', 'delivery', range)))
          // Hookyard's own operational webhooks are not the deployment's traffic.
          .where('deliveries.app_id', '!=', OPERATIONAL_OWNER_ID)
          .groupBy('status')
          .execute(),
      );
      return statusCounts(rows);
    },

    async attemptLatency(range, endpoint) {
      // Percentiles by counting and then reading the value at each rank: the same SQL on SQLite and PostgreSQL
      // (SQLite has no percentile_cont), exact, and each read an ordered scan of the range's attempts only.
      return engine.read(async (db) => {
        let scope = db.selectFrom('attempts').where((eb) => eb.and(createdIn('attempts', 'attempt', range)));
        scope = endpoint
          ? scope.where('attempts.app_id', '=', endpoint.appId).where('attempts.endpoint_id', '=', endpoint.endpointId)
          : scope.where('attempts.app_id', '!=', OPERATIONAL_OWNER_ID);
        const counted = await scope.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst();
        const count = Number(counted?.n ?? 0);
        const result: LatencyPercentiles = { count, p50: null, p90: null, p99: null };
        if (count === 0) return result;
        for (const percentile of PERCENTILES) {
          const row = await scope
            .select('attempts.response_duration_ms as ms')
            .orderBy('attempts.response_duration_ms')
            .limit(1)
            .offset(rankOffset(percentile, count))
            .executeTakeFirst();
          // Attempts pruned between the count and this read shorten the list: the rank is then past its end.
          result[`p${percentile}`] = row ? Number(row.ms) : null;
        }
        return result;
      });
    },

    async messageCount(range) {
      const row = await engine.read((db) =>
        db
          .selectFrom('messages')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .where((eb) => eb.and(createdIn('messages', 'message', range)))
          .where('messages.app_id', '!=', OPERATIONAL_OWNER_ID)
          .executeTakeFirst(),
      );
      return Number(row?.n ?? 0);
    },

    async listFailingEndpoints(limit) {
      const rows = await engine.read((db) =>
        db
          .selectFrom('endpoint_health')
          .innerJoin('endpoints', 'endpoints.id', 'endpoint_health.endpoint_id')
          .select([
            'endpoints.app_id',
            'endpoints.id',
            'endpoints.url',
            'endpoints.disabled',
            'endpoint_health.consecutive_failures',
            'endpoint_health.failing_since',
            'endpoint_health.last_failure_at',
          ])
          .where('endpoint_health.consecutive_failures', '>', 0)
          .where('endpoints.deleted_at', 'is', null)
          .where('endpoints.app_id', '!=', OPERATIONAL_OWNER_ID)
          .orderBy('endpoint_health.consecutive_failures', 'desc')
          .orderBy('endpoints.id')
          .limit(limit)
          .execute(),
      );
      return rows.map((row) => ({
        appId: row.app_id,
        endpointId: row.id,
        url: row.url,
        disabled: row.disabled === 1,
        consecutiveFailures: row.consecutive_failures,
        failingSince: toOptionalDate(row.failing_since),
        lastFailureAt: toOptionalDate(row.last_failure_at),
      }));
    },

    async countTrippedBreakers(threshold) {
      const row = await engine.read((db) =>
        db
          .selectFrom('endpoint_health')
          .innerJoin('endpoints', 'endpoints.id', 'endpoint_health.endpoint_id')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .where('endpoint_health.consecutive_failures', '>=', threshold)
          .where('endpoints.deleted_at', 'is', null)
          .where('endpoints.disabled', '=', 0)
          .executeTakeFirst(),
      );
      return Number(row?.n ?? 0);
    },
  };
}
