import { newId } from '../../core/ids.js';
import type { ApiToken, PrincipalKind, TokenStore } from '../port.js';
import { fromJson, toDate, toJson, toOptionalDate } from './codec.js';
import type { SqlContext } from './context.js';
import type { ApiTokenRow } from './database.js';

function toApiToken(row: ApiTokenRow): ApiToken {
  return {
    id: row.id,
    kind: row.kind as PrincipalKind,
    appId: row.app_id,
    name: row.name,
    scopes: fromJson(row.scopes),
    createdAt: toDate(row.created_at),
    expiresAt: toOptionalDate(row.expires_at),
    revokedAt: toOptionalDate(row.revoked_at),
  };
}

export function tokenStore({ engine, now }: SqlContext): TokenStore {
  return {
    async createApiToken(input) {
      const time = now();
      const row: ApiTokenRow = {
        id: newId('token', time),
        kind: input.kind,
        app_id: input.appId,
        name: input.name,
        scopes: toJson(input.scopes),
        token_hash: input.tokenHash,
        created_at: time,
        expires_at: input.expiresAt?.getTime() ?? null,
        revoked_at: null,
        last_used_at: null,
      };
      await engine.write((tx) => tx.insertInto('api_tokens').values(row).execute());
      return toApiToken(row);
    },

    async findApiTokenByHash(tokenHash) {
      const row = await engine.read((db) => db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst());
      return row && { ...toApiToken(row), tokenHash: row.token_hash };
    },

    async revokeApiToken(id) {
      const time = now();
      await engine.write((tx) => tx.updateTable('api_tokens').set({ revoked_at: time }).where('id', '=', id).where('revoked_at', 'is', null).execute());
    },

    async countApiTokens(kind) {
      const row = await engine.read((db) =>
        db
          .selectFrom('api_tokens')
          .select((eb) => eb.fn.countAll<number>().as('count'))
          .where('kind', '=', kind)
          .where('revoked_at', 'is', null)
          .executeTakeFirstOrThrow(),
      );
      return Number(row.count);
    },
  };
}
