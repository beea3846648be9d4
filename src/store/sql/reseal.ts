import type { KeyRotationStore } from '../port.js';
import { fromJson, toJson } from './codec.js';
import type { SqlContext } from './context.js';

/** Rows per write transaction: on SQLite each batch holds the single writer, so batches stay short. */
const BATCH = 200;

interface SealedSecret {
  key: string;
  expiresAt: number | null;
}

/**
 * Walks each table holding sealed values in id order, a batch per transaction, and reseals what the current key did
 * not seal. Safe to run while Hookyard serves (every process opens old and new seals during the rotation) and to run
 * again after an interruption: already resealed rows are skipped.
 */
export function keyRotationStore({ engine, secretBox }: SqlContext): KeyRotationStore {
  return {
    async resealSecrets() {
      const counts = { endpointSecrets: 0, sources: 0, idempotentResponses: 0 };

      for (let after = ''; ; ) {
        const rows = await engine.read((db) => db.selectFrom('endpoints').select(['id', 'secrets']).where('id', '>', after).orderBy('id').limit(BATCH).execute());
        if (rows.length === 0) break;
        after = rows.at(-1)!.id;
        await engine.write(async (tx) => {
          for (const row of rows) {
            const secrets = fromJson<SealedSecret[]>(row.secrets);
            if (!secrets.some((secret) => secretBox.needsResealing(secret.key))) continue;
            const resealed = secrets.map((secret) => (secretBox.needsResealing(secret.key) ? { ...secret, key: secretBox.reseal(secret.key) } : secret));
            await tx.updateTable('endpoints').set({ secrets: toJson(resealed) }).where('id', '=', row.id).execute();
            counts.endpointSecrets += secrets.filter((secret) => secretBox.needsResealing(secret.key)).length;
          }
        });
      }

      for (let after = ''; ; ) {
        const rows = await engine.read((db) => db.selectFrom('sources').select(['id', 'config_sealed', 'token_sealed']).where('id', '>', after).orderBy('id').limit(BATCH).execute());
        if (rows.length === 0) break;
        after = rows.at(-1)!.id;
        await engine.write(async (tx) => {
          for (const row of rows) {
            if (!secretBox.needsResealing(row.config_sealed) && !secretBox.needsResealing(row.token_sealed)) continue;
            await tx
              .updateTable('sources')
              .set({ config_sealed: secretBox.reseal(row.config_sealed), token_sealed: secretBox.reseal(row.token_sealed) })
              .where('id', '=', row.id)
              .execute();
            counts.sources += 1;
          }
        });
      }

      for (let after = ''; ; ) {
        const rows = await engine.read((db) =>
          db.selectFrom('idempotency_keys').select(['scope', 'body']).where('scope', '>', after).orderBy('scope').limit(BATCH).execute(),
        );
        if (rows.length === 0) break;
        after = rows.at(-1)!.scope;
        await engine.write(async (tx) => {
          for (const row of rows) {
            // Responses stored before they were sealed (plain JSON), and empty ones, stay as they are.
            if (!row.body || !/^v\d+\./.test(row.body) || !secretBox.needsResealing(row.body)) continue;
            await tx.updateTable('idempotency_keys').set({ body: secretBox.reseal(row.body) }).where('scope', '=', row.scope).execute();
            counts.idempotentResponses += 1;
          }
        });
      }
      return counts;
    },
  };
}
