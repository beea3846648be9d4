import { newId } from '../../core/ids.js';
import { hashToken, type SecretBox } from '../../core/secret-box.js';
import type { Outcome, Source, SourceInput, SourceStore } from '../port.js';
import { fromJson, fromOptionalJson, toDate, toJson, toOptionalJson } from './codec.js';
import { conflict, notFound, ok, versionMismatch, type SqlContext } from './context.js';
import type { SourceRow } from './database.js';
import type { Executor } from './engine.js';
import { paginate, toPage } from './pagination.js';

function toSource(row: SourceRow, secretBox: SecretBox): Source {
  return {
    id: row.id,
    uid: row.uid,
    name: row.name,
    type: row.type,
    config: fromJson(secretBox.decrypt(row.config_sealed)),
    token: secretBox.decrypt(row.token_sealed),
    dedup: fromJson(row.dedup),
    schemas: fromOptionalJson(row.schemas),
    response: fromOptionalJson(row.response),
    metadata: fromJson(row.metadata),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    version: row.version,
  };
}

/** The columns an update replaces; the token has its own operation. */
function fields(input: SourceInput, secretBox: SecretBox) {
  return {
    uid: input.uid,
    name: input.name,
    type: input.type,
    config_sealed: secretBox.encrypt(toJson(input.config)),
    dedup: toJson(input.dedup),
    schemas: toOptionalJson(input.schemas),
    response: toOptionalJson(input.response),
    metadata: toJson(input.metadata),
  };
}

function liveRow(db: Executor, id: string) {
  return db.selectFrom('sources').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
}

export function sourceStore({ engine, secretBox, now }: SqlContext): SourceStore {
  const uidTaken = (uid: string | null) =>
    // Tokens are random, so a unique violation without a uid can only be a token the caller reused.
    conflict(uid === null ? 'A source with this token already exists' : `A source with uid ${JSON.stringify(uid)} already exists`);

  return {
    async createSource(input) {
      return engine.write(async (tx): Promise<Outcome<Source>> => {
        const time = now();
        const row: SourceRow = {
          id: newId('source', time),
          ...fields(input, secretBox),
          token_sealed: secretBox.encrypt(input.token),
          token_hash: hashToken(input.token),
          previous_token_hash: null,
          previous_token_expires_at: null,
          created_at: time,
          updated_at: time,
          version: 1,
          deleted_at: null,
        };
        try {
          await tx.insertInto('sources').values(row).execute();
        } catch (error) {
          if (engine.isUniqueViolation(error)) return uidTaken(input.uid);
          throw error;
        }
        return ok(toSource(row, secretBox));
      });
    },

    async getSource(idOrUid) {
      const rows = await engine.read((db) =>
        db
          .selectFrom('sources')
          .selectAll()
          .where('deleted_at', 'is', null)
          .where((eb) => eb.or([eb('id', '=', idOrUid), eb('uid', '=', idOrUid)]))
          .limit(2)
          .execute(),
      );
      // A uid may look like another source's id; an id always finds the source it names.
      const row = rows.find((candidate) => candidate.id === idOrUid) ?? rows[0];
      return row && toSource(row, secretBox);
    },

    async listSources(page) {
      const { rows, direction } = await engine.read(async (db) => {
        const { query, direction } = paginate(db.selectFrom('sources').selectAll().where('deleted_at', 'is', null), 'id', page, 'ascending');
        return { rows: await query.execute(), direction };
      });
      return toPage(
        rows.map((row) => toSource(row, secretBox)),
        page,
        direction,
        (source) => source.id,
      );
    },

    async updateSource(id, input, expectedVersion) {
      return engine.write(async (tx): Promise<Outcome<Source>> => {
        const current = await liveRow(tx, id);
        if (!current) return notFound;
        if (expectedVersion !== undefined && current.version !== expectedVersion) return versionMismatch;
        const updated: SourceRow = {
          ...current,
          ...fields(input, secretBox),
          updated_at: Math.max(now(), current.updated_at),
          version: current.version + 1,
        };
        try {
          await tx.updateTable('sources').set(updated).where('id', '=', id).execute();
        } catch (error) {
          if (engine.isUniqueViolation(error)) return uidTaken(input.uid);
          throw error;
        }
        return ok(toSource(updated, secretBox));
      });
    },

    async deleteSource(id, expectedVersion) {
      return engine.write(async (tx): Promise<Outcome<void>> => {
        const current = await tx.selectFrom('sources').select('version').where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
        if (!current) return notFound;
        if (expectedVersion !== undefined && current.version !== expectedVersion) return versionMismatch;
        const time = now();
        await tx.updateTable('sources').set({ deleted_at: time, updated_at: time, version: current.version + 1 }).where('id', '=', id).execute();
        // A source's destinations are endpoints filed under its id; they go with it, so nothing more is forwarded.
        await tx.updateTable('endpoints').set({ deleted_at: time, updated_at: time }).where('app_id', '=', id).where('deleted_at', 'is', null).execute();
        return ok(undefined);
      });
    },

    async rotateSourceToken(id, newToken, previousExpiresAt) {
      return engine.write(async (tx): Promise<Outcome<Source>> => {
        const current = await liveRow(tx, id);
        if (!current) return notFound;
        const time = now();
        // Only the token just replaced keeps a grace period: rotating twice ends the older one's at once.
        const graceful = previousExpiresAt.getTime() > time;
        const updated: SourceRow = {
          ...current,
          token_sealed: secretBox.encrypt(newToken),
          token_hash: hashToken(newToken),
          previous_token_hash: graceful ? current.token_hash : null,
          previous_token_expires_at: graceful ? previousExpiresAt.getTime() : null,
          updated_at: Math.max(time, current.updated_at),
          version: current.version + 1,
        };
        try {
          await tx.updateTable('sources').set(updated).where('id', '=', id).execute();
        } catch (error) {
          if (engine.isUniqueViolation(error)) return conflict('A source with this token already exists');
          throw error;
        }
        return ok(toSource(updated, secretBox));
      });
    },

    async findSourceByToken(token) {
      const hash = hashToken(token);
      const time = now();
      const rows = await engine.read((db) =>
        db
          .selectFrom('sources')
          .selectAll()
          .where('deleted_at', 'is', null)
          .where((eb) =>
            eb.or([eb('token_hash', '=', hash), eb.and([eb('previous_token_hash', '=', hash), eb('previous_token_expires_at', '>', time)])]),
          )
          .limit(2)
          .execute(),
      );
      // A current token wins over the same text still in another source's grace period.
      const row = rows.find((candidate) => candidate.token_hash === hash) ?? rows[0];
      return row && toSource(row, secretBox);
    },
  };
}
