import { newId } from '../../core/ids.js';
import type { ApiToken, PrincipalKind, TokenStore } from '../port.js';
import { fromJson, toDate, toJson, toOptionalDate } from './codec.js';
import { notFound, ok, type SqlContext } from './context.js';
import type { ApiTokenRow } from './database.js';
import { paginate, toPage } from './pagination.js';

function toApiToken(row: ApiTokenRow): ApiToken {
  return {
    id: row.id,
    kind: row.kind as PrincipalKind,
    appId: row.app_id,
    name: row.name,
    scopes: fromJson(row.scopes),
    prefix: row.prefix,
    rateLimit: row.rate_limit,
    createdAt: toDate(row.created_at),
    expiresAt: toOptionalDate(row.expires_at),
    revokedAt: toOptionalDate(row.revoked_at),
    lastUsedAt: toOptionalDate(row.last_used_at),
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
        prefix: input.prefix ?? null,
        rate_limit: input.rateLimit ?? null,
      };
      await engine.write((tx) => tx.insertInto('api_tokens').values(row).execute());
      return toApiToken(row);
    },

    async findApiTokenByHash(tokenHash) {
      const row = await engine.read((db) => db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst());
      return row && { ...toApiToken(row), tokenHash: row.token_hash };
    },

    async getApiToken(id) {
      const row = await engine.read((db) => db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst());
      return row && toApiToken(row);
    },

    async listApiTokens(query, { kinds }) {
      if (kinds.length === 0) return { data: [], iterator: null, prevIterator: null, done: true };
      const rows = await engine.read((db) => {
        const { query: paged, direction } = paginate(db.selectFrom('api_tokens').selectAll().where('kind', 'in', kinds), 'id', query, 'descending');
        return paged.execute().then((result) => ({ result, direction }));
      });
      return toPage(rows.result.map(toApiToken), query, rows.direction, (token) => token.id);
    },

    async revokeApiToken(id) {
      const time = now();
      await engine.write((tx) => tx.updateTable('api_tokens').set({ revoked_at: time }).where('id', '=', id).where('revoked_at', 'is', null).execute());
    },

    async rotateApiToken(id, successor, previousExpiresAt) {
      return engine.write(async (tx) => {
        const time = now();
        const current = await tx.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
        if (!current || current.revoked_at !== null || (current.expires_at !== null && current.expires_at <= time)) return notFound;
        const row: ApiTokenRow = {
          ...current,
          id: newId('token', time),
          token_hash: successor.tokenHash,
          prefix: successor.prefix,
          created_at: time,
          last_used_at: null,
        };
        await tx.insertInto('api_tokens').values(row).execute();
        const until = Math.min(previousExpiresAt.getTime(), current.expires_at ?? Number.POSITIVE_INFINITY);
        await tx.updateTable('api_tokens').set({ expires_at: until }).where('id', '=', id).execute();
        return ok(toApiToken(row));
      });
    },

    async touchApiToken(id, at) {
      await engine.write((tx) => tx.updateTable('api_tokens').set({ last_used_at: at.getTime() }).where('id', '=', id).execute());
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
