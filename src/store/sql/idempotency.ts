import type { IdempotencyClaim, IdempotencyStore } from '../port.js';
import { fromJson, toJson } from './codec.js';
import type { SqlContext } from './context.js';
import type { IdempotencyKeyRow } from './database.js';

/**
 * Each pass either settles the claim or saw the row change under it (taken over or released by another process
 * between statements); a few passes are plenty, as every change that forces another one settles someone's claim.
 */
const CLAIM_PASSES = 3;

export function idempotencyStore({ engine, now }: SqlContext): IdempotencyStore {
  return {
    async claimIdempotencyKey(record) {
      return engine.write(async (tx): Promise<IdempotencyClaim> => {
        const time = now();
        const fresh: IdempotencyKeyRow = {
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
        let lastSeen: IdempotencyKeyRow | undefined;
        for (let pass = 0; pass < CLAIM_PASSES; pass++) {
          // Insert-or-nothing first, so that two processes racing for a new key cannot both win: on PostgreSQL the
          // second insert waits for the first transaction and then does nothing.
          const inserted = await tx.insertInto('idempotency_keys').values(fresh).onConflict((oc) => oc.column('scope').doNothing()).executeTakeFirst();
          if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return { state: 'claimed' };
          const row = await tx.selectFrom('idempotency_keys').selectAll().where('scope', '=', record.scope).executeTakeFirst();
          if (!row) continue;
          lastSeen = row;
          const expired = row.expires_at <= time;
          const abandoned = row.state === 'in_flight' && row.locked_until <= time;
          if (expired || abandoned) {
            // Compare-and-set on what was read, so that of several takers only one succeeds; a loser looks again and
            // then reports the winner's fingerprint rather than the abandoned one.
            const taken = await tx
              .updateTable('idempotency_keys')
              .set(fresh)
              .where('scope', '=', record.scope)
              .where('state', '=', row.state)
              .where('locked_until', '=', row.locked_until)
              .where('expires_at', '=', row.expires_at)
              .executeTakeFirst();
            if (Number(taken.numUpdatedRows) > 0) return { state: 'claimed' };
            continue;
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
        }
        // The key kept changing hands: someone else is working on it, so the caller waits and asks again.
        return { state: 'in_flight', fingerprint: lastSeen?.fingerprint ?? record.fingerprint };
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
      // Only a request still in flight gives its key up; a stored response stays replayable until it expires.
      await engine.write((tx) => tx.deleteFrom('idempotency_keys').where('scope', '=', scope).where('state', '=', 'in_flight').execute());
    },
  };
}
