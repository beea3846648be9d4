import { newId } from '../../core/ids.js';
import type { SecretBox } from '../../core/secret-box.js';
import type { Endpoint, EndpointHealth, EndpointInput, EndpointStore, Outcome } from '../port.js';
import { fromBool, fromJson, fromOptionalJson, toBool, toDate, toJson, toOptionalDate, toOptionalJson } from './codec.js';
import { conflict, notFound, ok, versionMismatch, type SqlContext } from './context.js';
import type { EndpointHealthRow, EndpointRow } from './database.js';
import type { Executor } from './engine.js';
import { recordEndpointEvent } from './operational-events.js';
import { paginate, toPage } from './pagination.js';

interface SealedSecret {
  key: string;
  expiresAt: number | null;
}

/** Rotated-out secrets kept for signing during their grace period; older ones are dropped. */
const MAX_PREVIOUS_SECRETS = 5;

/** The endpoint_health columns toHealth reads, for queries that join an endpoint's health to it. */
export const healthColumns = [
  'endpoint_health.consecutive_failures',
  'endpoint_health.failing_since',
  'endpoint_health.last_failure_at',
  'endpoint_health.last_success_at',
] as const;

export type HealthColumns = Pick<EndpointHealthRow, 'failing_since' | 'last_failure_at' | 'last_success_at'> & { consecutive_failures: number | null };

export function toHealth(endpointId: string, row: HealthColumns | undefined): EndpointHealth {
  return {
    endpointId,
    consecutiveFailures: row?.consecutive_failures ?? 0,
    failingSince: toOptionalDate(row?.failing_since ?? null),
    lastFailureAt: toOptionalDate(row?.last_failure_at ?? null),
    lastSuccessAt: toOptionalDate(row?.last_success_at ?? null),
  };
}

/**
 * Decrypts the secrets still valid at `time`, current first. The time is the caller's store clock rather than the
 * wall clock, so that signing and the API agree with each other, and with tests that move the clock.
 */
export function toEndpoint(row: EndpointRow, secretBox: SecretBox, time: number): Endpoint {
  const secrets = fromJson<SealedSecret[]>(row.secrets)
    .filter((secret) => secret.expiresAt === null || secret.expiresAt > time)
    .map((secret) => ({ key: secretBox.decrypt(secret.key), expiresAt: secret.expiresAt === null ? null : new Date(secret.expiresAt) }));
  return {
    id: row.id,
    appId: row.app_id,
    uid: row.uid,
    url: row.url,
    description: row.description,
    disabled: toBool(row.disabled),
    eventTypes: fromOptionalJson(row.event_types),
    channels: fromOptionalJson(row.channels),
    throttleRate: row.throttle_rate,
    metadata: fromJson(row.metadata),
    headers: fromJson(row.headers),
    secrets,
    retrySchedule: fromOptionalJson(row.retry_schedule),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    version: row.version,
  };
}

export async function findEndpoint(db: Executor, appId: string, idOrUid: string): Promise<EndpointRow | undefined> {
  const rows = await db
    .selectFrom('endpoints')
    .selectAll()
    .where('app_id', '=', appId)
    .where('deleted_at', 'is', null)
    .where((eb) => eb.or([eb('id', '=', idOrUid), eb('uid', '=', idOrUid)]))
    .limit(2)
    .execute();
  // A uid may look like another endpoint's id; an id always finds the endpoint it names.
  return rows.find((row) => row.id === idOrUid) ?? rows[0];
}

function fields(input: EndpointInput) {
  return {
    uid: input.uid,
    url: input.url,
    description: input.description,
    disabled: fromBool(input.disabled),
    event_types: toOptionalJson(input.eventTypes),
    channels: toOptionalJson(input.channels),
    throttle_rate: input.throttleRate,
    metadata: toJson(input.metadata),
    headers: toJson(input.headers),
    retry_schedule: toOptionalJson(input.retrySchedule),
  };
}

export function endpointStore({ engine, secretBox, now }: SqlContext): EndpointStore {
  const uidTaken = (uid: string | null) => conflict(`An endpoint with uid ${JSON.stringify(uid)} already exists in this application`);

  async function liveRow(tx: Executor, appId: string, id: string) {
    return tx.selectFrom('endpoints').selectAll().where('app_id', '=', appId).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  }

  return {
    async createEndpoint(appId, input) {
      return engine.write(async (tx): Promise<Outcome<Endpoint>> => {
        const time = now();
        const row: EndpointRow = {
          id: newId('endpoint', time),
          app_id: appId,
          ...fields(input),
          secrets: toJson([{ key: secretBox.encrypt(input.secret), expiresAt: null }] satisfies SealedSecret[]),
          created_at: time,
          updated_at: time,
          version: 1,
          deleted_at: null,
        };
        try {
          await tx.insertInto('endpoints').values(row).execute();
        } catch (error) {
          if (engine.isUniqueViolation(error)) return uidTaken(input.uid);
          throw error;
        }
        await recordEndpointEvent(tx, 'endpoint.created', row, time);
        return ok(toEndpoint(row, secretBox, time));
      });
    },

    async getEndpoint(appId, idOrUid) {
      const row = await engine.read((db) => findEndpoint(db, appId, idOrUid));
      return row && toEndpoint(row, secretBox, now());
    },

    async listEndpoints(appId, page) {
      const rows = await engine.read(async (db) => {
        const { query, direction } = paginate(
          db.selectFrom('endpoints').selectAll().where('app_id', '=', appId).where('deleted_at', 'is', null),
          'id',
          page,
          'ascending',
        );
        return { result: await query.execute(), direction };
      });
      const time = now();
      return toPage(rows.result.map((row) => toEndpoint(row, secretBox, time)), page, rows.direction, (e) => e.id);
    },

    async updateEndpoint(appId, id, input, expectedVersion) {
      return engine.write(async (tx): Promise<Outcome<Endpoint>> => {
        const current = await liveRow(tx, appId, id);
        if (!current) return notFound;
        if (expectedVersion !== undefined && current.version !== expectedVersion) return versionMismatch;
        const time = Math.max(now(), current.updated_at);
        const updated: EndpointRow = { ...current, ...fields(input), updated_at: time, version: current.version + 1 };
        try {
          await tx.updateTable('endpoints').set(updated).where('id', '=', id).execute();
        } catch (error) {
          if (engine.isUniqueViolation(error)) return uidTaken(input.uid);
          throw error;
        }
        await recordEndpointEvent(tx, 'endpoint.updated', updated, time);
        if (updated.disabled !== current.disabled) {
          await recordEndpointEvent(tx, updated.disabled ? 'endpoint.disabled' : 'endpoint.enabled', updated, time, updated.disabled ? { failSince: null, trigger: 'manual' } : {});
        }
        return ok(toEndpoint(updated, secretBox, time));
      });
    },

    async deleteEndpoint(appId, id, expectedVersion) {
      return engine.write(async (tx): Promise<Outcome<void>> => {
        const current = await liveRow(tx, appId, id);
        if (!current) return notFound;
        if (expectedVersion !== undefined && current.version !== expectedVersion) return versionMismatch;
        const time = now();
        await tx.updateTable('endpoints').set({ deleted_at: time, updated_at: time, version: current.version + 1 }).where('id', '=', id).execute();
        await recordEndpointEvent(tx, 'endpoint.deleted', current, time);
        return ok(undefined);
      });
    },

    async rotateEndpointSecret(appId, id, newSecret, previousExpiresAt) {
      return engine.write(async (tx): Promise<Outcome<Endpoint>> => {
        const current = await liveRow(tx, appId, id);
        if (!current) return notFound;
        const time = now();
        const [active, ...older] = fromJson<SealedSecret[]>(current.secrets);
        const previous = [...(active ? [{ key: active.key, expiresAt: previousExpiresAt.getTime() }] : []), ...older]
          .filter((secret) => secret.expiresAt !== null && secret.expiresAt > time)
          .slice(0, MAX_PREVIOUS_SECRETS);
        const secrets: SealedSecret[] = [{ key: secretBox.encrypt(newSecret), expiresAt: null }, ...previous];
        const updated: EndpointRow = { ...current, secrets: toJson(secrets), updated_at: Math.max(time, current.updated_at), version: current.version + 1 };
        await tx.updateTable('endpoints').set({ secrets: updated.secrets, updated_at: updated.updated_at, version: updated.version }).where('id', '=', id).execute();
        return ok(toEndpoint(updated, secretBox, time));
      });
    },
  };
}
