import { sql } from 'kysely';
import { newId } from '../../core/ids.js';
import type { OAuthClient, OAuthStore, OAuthSubjectKind, RefreshToken } from '../port.js';
import { fromJson, toDate, toJson, toOptionalDate } from './codec.js';
import { notFound, ok, type SqlContext } from './context.js';
import type { OAuthClientRow, OAuthRefreshTokenRow } from './database.js';
import type { Executor } from './engine.js';
import { paginate, toPage } from './pagination.js';

function toClient(row: OAuthClientRow): OAuthClient {
  return {
    id: row.id,
    name: row.name,
    scopes: fromJson(row.scopes),
    appId: row.app_id,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    revokedAt: toOptionalDate(row.revoked_at),
    previousSecretExpiresAt: toOptionalDate(row.previous_secret_expires_at),
  };
}

function toRefreshToken(row: OAuthRefreshTokenRow): RefreshToken {
  return {
    id: row.id,
    familyId: row.family_id,
    subjectId: row.subject_id,
    subjectKind: row.subject_kind as OAuthSubjectKind,
    scopes: fromJson(row.scopes),
    appId: row.app_id,
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
    usedAt: toOptionalDate(row.used_at),
    revokedAt: toOptionalDate(row.revoked_at),
  };
}

/** Revocations are kept until the longest-lived of the tokens they cover would have expired; later ones extend. */
async function recordRevocations(tx: Executor, ids: string[], until: number): Promise<void> {
  if (ids.length === 0) return;
  await tx
    .insertInto('oauth_revocations')
    .values(ids.map((id) => ({ id, expires_at: until })))
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        expires_at: sql<number>`case when excluded.expires_at > oauth_revocations.expires_at then excluded.expires_at else oauth_revocations.expires_at end`,
      }),
    )
    .execute();
}

async function revokeFamily(tx: Executor, familyId: string, time: number, until: number): Promise<void> {
  await tx.updateTable('oauth_refresh_tokens').set({ revoked_at: time }).where('family_id', '=', familyId).where('revoked_at', 'is', null).execute();
  await recordRevocations(tx, [familyId], until);
}

export function oauthStore({ engine, now }: SqlContext): OAuthStore {
  return {
    async createOAuthClient(input) {
      const time = now();
      const row: OAuthClientRow = {
        id: newId('oauthClient', time),
        name: input.name,
        secret_hash: input.secretHash,
        previous_secret_hash: null,
        previous_secret_expires_at: null,
        scopes: toJson(input.scopes),
        app_id: input.appId,
        created_at: time,
        updated_at: time,
        revoked_at: null,
      };
      await engine.write((tx) => tx.insertInto('oauth_clients').values(row).execute());
      return toClient(row);
    },

    async getOAuthClient(id) {
      const row = await engine.read((db) => db.selectFrom('oauth_clients').selectAll().where('id', '=', id).executeTakeFirst());
      if (!row) return undefined;
      const previousValid = row.previous_secret_hash !== null && (row.previous_secret_expires_at ?? 0) > now();
      return { ...toClient(row), secretHashes: previousValid ? [row.secret_hash, row.previous_secret_hash!] : [row.secret_hash] };
    },

    async listOAuthClients(query) {
      const rows = await engine.read((db) => {
        const { query: paged, direction } = paginate(db.selectFrom('oauth_clients').selectAll(), 'id', query, 'descending');
        return paged.execute().then((result) => ({ result, direction }));
      });
      return toPage(rows.result.map(toClient), query, rows.direction, (client) => client.id);
    },

    async revokeOAuthClient(id) {
      return engine.write(async (tx) => {
        const time = now();
        const { numUpdatedRows } = await tx
          .updateTable('oauth_clients')
          .set({ revoked_at: time, updated_at: time })
          .where('id', '=', id)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (numUpdatedRows === 0n) return notFound;
        await tx.updateTable('oauth_refresh_tokens').set({ revoked_at: time }).where('subject_id', '=', id).where('revoked_at', 'is', null).execute();
        return ok(undefined);
      });
    },

    async rotateOAuthClientSecret(id, secretHash, previousExpiresAt) {
      return engine.write(async (tx) => {
        const current = await tx.selectFrom('oauth_clients').selectAll().where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
        if (!current) return notFound;
        const time = now();
        const updated: OAuthClientRow = {
          ...current,
          secret_hash: secretHash,
          previous_secret_hash: current.secret_hash,
          previous_secret_expires_at: previousExpiresAt.getTime(),
          updated_at: time,
        };
        await tx.updateTable('oauth_clients').set(updated).where('id', '=', id).execute();
        return ok(toClient(updated));
      });
    },

    async createRefreshToken(input) {
      const time = now();
      const row: OAuthRefreshTokenRow = {
        id: newId('refreshToken', time),
        family_id: input.familyId,
        token_hash: input.tokenHash,
        subject_id: input.subjectId,
        subject_kind: input.subjectKind,
        scopes: toJson(input.scopes),
        app_id: input.appId,
        created_at: time,
        expires_at: input.expiresAt.getTime(),
        used_at: null,
        revoked_at: null,
      };
      await engine.write((tx) => tx.insertInto('oauth_refresh_tokens').values(row).execute());
      return toRefreshToken(row);
    },

    async findRefreshToken(tokenHash) {
      const row = await engine.read((db) => db.selectFrom('oauth_refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst());
      return row && toRefreshToken(row);
    },

    async rotateRefreshToken(presentedHash, successor, revokeFamilyUntil) {
      return engine.write(async (tx) => {
        const time = now();
        const presented = await tx.selectFrom('oauth_refresh_tokens').selectAll().where('token_hash', '=', presentedHash).executeTakeFirst();
        if (!presented || presented.revoked_at !== null || presented.expires_at <= time) return { state: 'invalid' as const };
        // Only the holder who exchanges it first gets a successor: a second exchange, even concurrent, is reuse.
        const claimed =
          presented.used_at === null &&
          (
            await tx
              .updateTable('oauth_refresh_tokens')
              .set({ used_at: time })
              .where('id', '=', presented.id)
              .where('used_at', 'is', null)
              .executeTakeFirst()
          ).numUpdatedRows > 0n;
        if (!claimed) {
          await revokeFamily(tx, presented.family_id, time, revokeFamilyUntil.getTime());
          return { state: 'reused' as const, familyId: presented.family_id };
        }
        const row: OAuthRefreshTokenRow = {
          ...presented,
          id: newId('refreshToken', time),
          token_hash: successor.tokenHash,
          scopes: toJson(successor.scopes),
          created_at: time,
          expires_at: successor.expiresAt.getTime(),
          used_at: null,
          revoked_at: null,
        };
        await tx.insertInto('oauth_refresh_tokens').values(row).execute();
        return { state: 'rotated' as const, previous: toRefreshToken({ ...presented, used_at: time }), successor: toRefreshToken(row) };
      });
    },

    async revokeRefreshFamily(familyId, until) {
      await engine.write((tx) => revokeFamily(tx, familyId, now(), until.getTime()));
    },

    async revokeOAuthIds(ids, until) {
      await engine.write((tx) => recordRevocations(tx, ids, until.getTime()));
    },

    async revokedOAuthIds(ids) {
      if (ids.length === 0) return [];
      const rows = await engine.read((db) =>
        db.selectFrom('oauth_revocations').select('id').where('id', 'in', ids).where('expires_at', '>', now()).execute(),
      );
      return rows.map((row) => row.id);
    },
  };
}
