import type { Application, ApplicationInput, ApplicationStore, Outcome } from '../port.js';
import { fromJson, toDate, toJson } from './codec.js';
import { conflict, notFound, ok, versionMismatch, type SqlContext } from './context.js';
import type { ApplicationRow } from './database.js';
import type { Executor } from './engine.js';
import { paginate, toPage } from './pagination.js';
import { newId } from '../../core/ids.js';

function toApplication(row: ApplicationRow): Application {
  return {
    id: row.id,
    uid: row.uid,
    name: row.name,
    throttleRate: row.throttle_rate,
    metadata: fromJson(row.metadata),
    payloadRetentionPeriod: row.payload_retention_days ?? null,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    version: row.version,
  };
}

export async function findApplication(db: Executor, idOrUid: string): Promise<ApplicationRow | undefined> {
  return db
    .selectFrom('applications')
    .selectAll()
    .where('deleted_at', 'is', null)
    .where((eb) => eb.or([eb('id', '=', idOrUid), eb('uid', '=', idOrUid)]))
    .orderBy('id')
    .executeTakeFirst();
}

export function applicationStore({ engine, now }: SqlContext): ApplicationStore {
  const uidTaken = (uid: string | null) => conflict(`An application with uid ${JSON.stringify(uid)} already exists`);

  return {
    async createApplication(input: ApplicationInput): Promise<Outcome<Application>> {
      return engine.write(async (tx) => {
        const time = now();
        const row: ApplicationRow = {
          id: newId('application', time),
          uid: input.uid,
          name: input.name,
          throttle_rate: input.throttleRate,
          metadata: toJson(input.metadata),
          created_at: time,
          updated_at: time,
          version: 1,
          deleted_at: null,
          payload_retention_days: input.payloadRetentionPeriod ?? null,
        };
        try {
          await tx.insertInto('applications').values(row).execute();
        } catch (error) {
          if (engine.isUniqueViolation(error)) return uidTaken(input.uid);
          throw error;
        }
        return ok(toApplication(row));
      });
    },

    async getApplication(idOrUid) {
      const row = await engine.read((db) => findApplication(db, idOrUid));
      return row && toApplication(row);
    },

    async listApplications(page) {
      const rows = await engine.read((db) => {
        const { query, direction } = paginate(db.selectFrom('applications').selectAll().where('deleted_at', 'is', null), 'id', page, 'ascending');
        return query.execute().then((result) => ({ result, direction }));
      });
      return toPage(rows.result.map(toApplication), page, rows.direction, (app) => app.id);
    },

    async updateApplication(id, input, expectedVersion) {
      return engine.write(async (tx) => {
        const current = await tx.selectFrom('applications').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
        if (!current) return notFound;
        if (expectedVersion !== undefined && current.version !== expectedVersion) return versionMismatch;
        const updated: ApplicationRow = {
          ...current,
          uid: input.uid,
          name: input.name,
          throttle_rate: input.throttleRate,
          metadata: toJson(input.metadata),
          payload_retention_days: input.payloadRetentionPeriod ?? null,
          updated_at: Math.max(now(), current.updated_at),
          version: current.version + 1,
        };
        try {
          await tx.updateTable('applications').set(updated).where('id', '=', id).execute();
        } catch (error) {
          if (engine.isUniqueViolation(error)) return uidTaken(input.uid);
          throw error;
        }
        return ok(toApplication(updated));
      });
    },

    async deleteApplication(id, expectedVersion) {
      return engine.write(async (tx) => {
        const current = await tx.selectFrom('applications').select(['version']).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
        if (!current) return notFound;
        if (expectedVersion !== undefined && current.version !== expectedVersion) return versionMismatch;
        const time = now();
        await tx.updateTable('applications').set({ deleted_at: time, updated_at: time }).where('id', '=', id).execute();
        // Endpoints go with their application, so nothing more is sent on its behalf.
        await tx.updateTable('endpoints').set({ deleted_at: time, updated_at: time }).where('app_id', '=', id).where('deleted_at', 'is', null).execute();
        return ok(undefined);
      });
    },
  };
}
