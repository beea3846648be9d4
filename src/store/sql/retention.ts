import { idFloorAt } from '../../core/ids.js';
import type { PruneTarget, RetentionStore } from '../port.js';
import type { SqlContext } from './context.js';
import type { Executor, SqlEngine } from './engine.js';

type Prune = (tx: Executor, cutoff: number, limit: number) => Promise<number>;

/** Where pruning nulls content, and the time column (an expiry, or the creation time) it goes by. */
const CONTENT = {
  message_payloads: { table: 'messages', content: 'payload', time: 'payload_expires_at', alsoNulled: [] },
  attempt_responses: { table: 'attempts', content: 'response', time: 'created_at', alsoNulled: ['request_headers'] },
  inbound_bodies: { table: 'inbound_events', content: 'body', time: 'body_expires_at', alsoNulled: [] },
} as const;

type ContentTarget = keyof typeof CONTENT;

/**
 * Each target picks at most `limit` rows through an index that holds only what is left to prune, then changes
 * exactly those, re-checking the condition. On PostgreSQL the pick locks the rows and skips those another pruner
 * holds, so concurrent pruners share the work instead of queueing on each other.
 */
function prunes(dialect: SqlEngine['dialect']): Record<PruneTarget, Prune> {
  const lock = <Q extends { forUpdate(): Q; skipLocked(): Q }>(query: Q): Q => (dialect === 'postgres' ? query.forUpdate().skipLocked() : query);
  const count = (result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }) => Number(result.numUpdatedRows ?? result.numDeletedRows ?? 0n);

  function nullContent(target: ContentTarget): Prune {
    const { table, content, time, alsoNulled } = CONTENT[target];
    return async (tx, cutoff, limit) => {
      const { ref } = tx.dynamic;
      const picked = await lock(tx.selectFrom(table).select('id').where(ref(content), 'is not', null).where(ref(time), '<=', cutoff).limit(limit)).execute();
      if (picked.length === 0) return 0;
      const result = await tx
        .updateTable(table)
        .set(Object.fromEntries([content, ...alsoNulled].map((column) => [column, null])))
        .where(
          'id',
          'in',
          picked.map((row) => row.id),
        )
        .where(ref(time), '<=', cutoff)
        .executeTakeFirst();
      return count(result);
    };
  }

  return {
    message_payloads: nullContent('message_payloads'),
    attempt_responses: nullContent('attempt_responses'),
    inbound_bodies: nullContent('inbound_bodies'),

    async inbound_dedup(tx, cutoff, limit) {
      const keys = await lock(tx.selectFrom('inbound_dedup').select(['source_id', 'dedup_key']).where('expires_at', '<=', cutoff).limit(limit)).execute();
      if (keys.length === 0) return 0;
      // A receive may have taken an expired record over since it was picked: the expiry is checked again.
      const result = await tx
        .deleteFrom('inbound_dedup')
        .where((eb) => eb(eb.refTuple('source_id', 'dedup_key'), 'in', keys.map((key) => eb.tuple(key.source_id, key.dedup_key))))
        .where('expires_at', '<=', cutoff)
        .executeTakeFirst();
      return count(result);
    },

    async idempotency_keys(tx, cutoff, limit) {
      const keys = await lock(tx.selectFrom('idempotency_keys').select('scope').where('expires_at', '<=', cutoff).limit(limit)).execute();
      if (keys.length === 0) return 0;
      const result = await tx
        .deleteFrom('idempotency_keys')
        .where('scope', 'in', keys.map((key) => key.scope))
        .where('expires_at', '<=', cutoff)
        .executeTakeFirst();
      return count(result);
    },

    async operational_events(tx, cutoff, limit) {
      const rows = await lock(tx.selectFrom('operational_events').select('seq').where('created_at', '<=', cutoff).limit(limit)).execute();
      if (rows.length === 0) return 0;
      const result = await tx
        .deleteFrom('operational_events')
        .where('seq', 'in', rows.map((row) => row.seq))
        .executeTakeFirst();
      return count(result);
    },

    // Whole rows are picked by id, which sorts by creation time, through the primary key: an index on the creation
    // time of the busiest table would cost every insert for a clean-up that is off by default.
    async messages(tx, cutoff, limit) {
      const floor = idFloorAt('message', cutoff);
      const rows = await lock(
        tx
          .selectFrom('messages')
          .select('id')
          .where('id', '<', floor)
          // A message still owed to an endpoint (a retry far out, an open breaker) is kept until it is settled.
          .where(({ not, exists, selectFrom }) =>
            not(exists(selectFrom('deliveries').select('deliveries.id').whereRef('deliveries.msg_id', '=', 'messages.id').where('deliveries.next_attempt_at', 'is not', null))),
          )
          .orderBy('id')
          .limit(limit),
      ).execute();
      if (rows.length === 0) return 0;
      const ids = rows.map((row) => row.id);
      await tx.deleteFrom('attempts').where('msg_id', 'in', ids).execute();
      await tx.deleteFrom('deliveries').where('msg_id', 'in', ids).execute();
      return count(await tx.deleteFrom('messages').where('id', 'in', ids).executeTakeFirst());
    },

    async inbound_events(tx, cutoff, limit) {
      const floor = idFloorAt('inboundEvent', cutoff);
      // An event still being forwarded is kept until it settles, like a message still owed.
      const rows = await lock(
        tx.selectFrom('inbound_events').select('id').where('id', '<', floor).where('state', '<>', 'received').orderBy('id').limit(limit),
      ).execute();
      if (rows.length === 0) return 0;
      const result = await tx
        .deleteFrom('inbound_events')
        .where('id', 'in', rows.map((row) => row.id))
        .executeTakeFirst();
      return count(result);
    },
  };
}

export function retentionStore({ engine }: SqlContext): RetentionStore {
  const byTarget = prunes(engine.dialect);
  return {
    async pruneExpired(target, cutoff, limit) {
      if (limit <= 0) return 0;
      return engine.write((tx) => byTarget[target](tx, cutoff.getTime(), limit));
    },
  };
}
