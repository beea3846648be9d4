import type { EventType, EventTypeInput, EventTypeStore, Outcome } from '../port.js';
import { fromBool, fromOptionalJson, toBool, toDate, toOptionalJson } from './codec.js';
import { conflict, notFound, ok, versionMismatch, type SqlContext } from './context.js';
import type { EventTypeRow } from './database.js';
import { paginate, toPage } from './pagination.js';

function toEventType(row: EventTypeRow): EventType {
  return {
    name: row.name,
    description: row.description,
    archived: toBool(row.archived),
    deprecated: toBool(row.deprecated),
    featureFlag: row.feature_flag,
    schemas: fromOptionalJson(row.schemas),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    version: row.version,
  };
}

function fields(input: EventTypeInput) {
  return {
    description: input.description,
    archived: fromBool(input.archived),
    deprecated: fromBool(input.deprecated),
    feature_flag: input.featureFlag,
    schemas: toOptionalJson(input.schemas),
  };
}

export function eventTypeStore({ engine, now }: SqlContext): EventTypeStore {
  return {
    async createEventType(input) {
      return engine.write(async (tx): Promise<Outcome<EventType>> => {
        const time = now();
        const existing = await tx.selectFrom('event_types').selectAll().where('name', '=', input.name).executeTakeFirst();
        if (existing && !toBool(existing.archived)) return conflict(`Event type ${JSON.stringify(input.name)} already exists`);
        if (existing) {
          // Creating an archived name brings it back with the new definition, as archiving is Svix's soft delete.
          const revived: EventTypeRow = { ...existing, ...fields(input), updated_at: Math.max(time, existing.updated_at), version: existing.version + 1 };
          await tx.updateTable('event_types').set(revived).where('name', '=', input.name).execute();
          return ok(toEventType(revived));
        }
        const row: EventTypeRow = { name: input.name, ...fields(input), created_at: time, updated_at: time, version: 1 };
        try {
          await tx.insertInto('event_types').values(row).execute();
        } catch (error) {
          if (engine.isUniqueViolation(error)) return conflict(`Event type ${JSON.stringify(input.name)} already exists`);
          throw error;
        }
        return ok(toEventType(row));
      });
    },

    async getEventType(name) {
      const row = await engine.read((db) => db.selectFrom('event_types').selectAll().where('name', '=', name).executeTakeFirst());
      return row && toEventType(row);
    },

    async listEventTypes(page) {
      const rows = await engine.read(async (db) => {
        let base = db.selectFrom('event_types').selectAll();
        if (!page.includeArchived) base = base.where('archived', '=', 0);
        const { query, direction } = paginate(base, 'name', page, 'ascending');
        return { result: await query.execute(), direction };
      });
      return toPage(rows.result.map(toEventType), page, rows.direction, (e) => e.name);
    },

    async updateEventType(name, input, expectedVersion) {
      return engine.write(async (tx): Promise<Outcome<EventType>> => {
        const current = await tx.selectFrom('event_types').selectAll().where('name', '=', name).executeTakeFirst();
        if (!current) return notFound;
        if (expectedVersion !== undefined && current.version !== expectedVersion) return versionMismatch;
        const updated: EventTypeRow = { ...current, ...fields(input), updated_at: Math.max(now(), current.updated_at), version: current.version + 1 };
        await tx.updateTable('event_types').set(updated).where('name', '=', name).execute();
        return ok(toEventType(updated));
      });
    },

    async deleteEventType(name, expunge, expectedVersion) {
      return engine.write(async (tx): Promise<Outcome<void>> => {
        const current = await tx.selectFrom('event_types').select(['version', 'updated_at']).where('name', '=', name).executeTakeFirst();
        if (!current) return notFound;
        if (expectedVersion !== undefined && current.version !== expectedVersion) return versionMismatch;
        if (expunge) await tx.deleteFrom('event_types').where('name', '=', name).execute();
        else {
          const time = Math.max(now(), current.updated_at);
          await tx.updateTable('event_types').set({ archived: 1, updated_at: time, version: current.version + 1 }).where('name', '=', name).execute();
        }
        return ok(undefined);
      });
    },
  };
}
