import type { IdempotencyClaim, IdempotencyStore } from '../port.js';
import { fromJson, toJson } from './codec.js';
import type { SqlContext } from './context.js';

export function idempotencyStore({ engine, now }: SqlContext): IdempotencyStore {
  return {
    async claimIdempotencyKey(record) {
      return engine.write(async (tx): Promise<IdempotencyClaim> => {
        const time = now();
        const fresh = {
          scope: record.scope,
          fingerprint: record.fingerprint,
          state: 'in_flight',
          status_code: null,
          body: null,
          headers: null,
          locked_until: record.lockedUntil.getTime(),
          expires_at: record.expiresAt.getTime(),
          created_at: time,
        };
        // Insert-or-nothing first, so that two processes racing for a new key cannot both win.
        const inserted = await tx.insertInto('idempotency_keys').values(fresh).onConflict((oc) => oc.column('scope').doNothing()).executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return { state: 'claimed' };
        const row = await tx.selectFrom('idempotency_keys').selectAll().where('scope', '=', record.scope).executeTakeFirstOrThrow();
        const expired = row.expires_at <= time;
        const abandoned = row.state === 'in_flight' && row.locked_until <= time;
        if (expired || abandoned) {
          // Compare-and-set on the lock so that only one of several takers succeeds.
          const taken = await tx
            .updateTable('idempotency_keys')
            .set(fresh)
            .where('scope', '=', record.scope)
            .where('locked_until', '=', row.locked_until)
            .where('state', '=', row.state)
            .executeTakeFirst();
          if (Number(taken.numUpdatedRows) > 0) return { state: 'claimed' };
          return { state: 'in_flight', fingerprint: row.fingerprint };
        }
        if (row.state === 'completed') {
          return {
            state: 'completed',
            fingerprint: row.fingerprint,
            statusCode: row.status_code ?? 200,
            body: row.body ?? '',
            headers: row.headers ? fromJson<Record<string, string>>(row.headers) : {},
          };
        }
        return { state: 'in_flight', fingerprint: row.fingerprint };
      });
    },

    async completeIdempotencyKey(scope, response) {
      await engine.write((tx) =>
        tx
          .updateTable('idempotency_keys')
          .set({ state: 'completed', status_code: response.statusCode, body: response.body, headers: toJson(response.headers) })
          .where('scope', '=', scope)
          .execute(),
      );
    },

    async releaseIdempotencyKey(scope) {
      await engine.write((tx) => tx.deleteFrom('idempotency_keys').where('scope', '=', scope).where('state', '=', 'in_flight').execute());
    },
  };
}
