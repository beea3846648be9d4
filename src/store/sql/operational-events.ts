import { newId } from '../../core/ids.js';
import {
  DeliveryStatus,
  FAILING_AFTER_ATTEMPTS,
  OPERATIONAL_OWNER_ID,
  TriggerType,
  type Attempt,
  type DeliveryResult,
  type OperationalEventType,
  type OperationalWebhookStore,
  type VerificationFailingRule,
} from '../port.js';
import { toJson } from './codec.js';
import type { SqlContext } from './context.js';
import type { DeliveryRow, EndpointRow, MessageRow } from './database.js';
import type { Executor, SqlEngine } from './engine.js';
import { PreparedQuery, inList, listValue } from './prepared.js';
import { toEndpoint } from './endpoints.js';
import { DAY_MS } from './messages.js';

/** The operator endpoint: one per deployment, owned by OPERATIONAL_OWNER_ID. */
const OPERATIONAL_ENDPOINT_ID = 'ep_hookyard_operational';

export async function recordOperationalEvent(tx: Executor, type: OperationalEventType, ownerId: string, data: Record<string, unknown>, time: number): Promise<void> {
  await tx.insertInto('operational_events').values({ type, app_id: ownerId, payload: toJson(data), created_at: time }).execute();
}

/**
 * Records `endpoint.created|updated|deleted|disabled|enabled` for an application's endpoint, in the caller's
 * transaction. Svix has no such events for a source's destinations, and the operator endpoint reports nothing
 * about itself: neither has an application, so nothing is recorded for them.
 */
export async function recordEndpointEvent(
  tx: Executor,
  type: 'endpoint.created' | 'endpoint.updated' | 'endpoint.deleted' | 'endpoint.disabled' | 'endpoint.enabled',
  endpoint: Pick<EndpointRow, 'id' | 'uid' | 'app_id'>,
  time: number,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const app = await tx.selectFrom('applications').select('uid').where('id', '=', endpoint.app_id).executeTakeFirst();
  if (!app) return;
  const data = { appId: endpoint.app_id, appUid: app.uid, endpointId: endpoint.id, endpointUid: endpoint.uid, ...extra };
  await recordOperationalEvent(tx, type, endpoint.app_id, data, time);
}

type AttemptEvent = 'failing' | 'exhausted' | 'recovered';

/**
 * Svix's rules: `failing` on the fourth failed attempt of a delivery that will still be retried (once: when the
 * fourth attempt is also the last, `exhausted` says more), `exhausted` when a delivery ends failed after an attempt,
 * `recovered` when a delivery succeeds after one of the other two was recorded for it.
 */
function attemptEvent(attempt: Attempt, disposition: DeliveryResult['disposition'], attemptCount: number, reported: boolean): AttemptEvent | null {
  if (attempt.status === DeliveryStatus.success) return reported ? 'recovered' : null;
  if (disposition.kind === 'failed') return 'exhausted';
  if (disposition.kind === 'retry' && !reported && attemptCount >= FAILING_AFTER_ATTEMPTS) return 'failing';
  return null;
}

/**
 * Records the `message.attempt.*` events (`ingest.message.attempt.*` for a source's destinations) that a batch of
 * results causes, in the transaction that records the results, after the deliveries were updated. Late results
 * (`recorded` false) changed no delivery and report nothing.
 */
/**
 * The deliveries of a batch of results that may have something to report: most results are first-attempt
 * successes, which report nothing and need not be read. Prepared, with the ids as one list parameter: it runs with
 * every recorded batch, whatever its size.
 */
const reportableDeliveries = new PreparedQuery<'ids' | 'failing_after' | 'fail'>((db, value, dialect) =>
  db
    .selectFrom('deliveries')
    .leftJoin('messages', 'messages.id', 'deliveries.msg_id')
    .leftJoin('applications', 'applications.id', 'deliveries.app_id')
    .select([
      'deliveries.id',
      'deliveries.app_id',
      'deliveries.msg_id',
      'deliveries.endpoint_id',
      'deliveries.attempt_count',
      'deliveries.failure_reported_at',
      'messages.event_id',
      'applications.id as application_id',
      'applications.uid as app_uid',
    ])
    .where(inList(dialect, 'deliveries.id', value('ids')))
    .where((eb) =>
      eb.or([
        eb('deliveries.failure_reported_at', 'is not', null),
        eb('deliveries.attempt_count', '>=', value('failing_after') as number),
        eb('deliveries.status', '=', value('fail') as number),
      ]),
    ),
);

interface ReportableDelivery {
  id: string;
  app_id: string;
  msg_id: string;
  endpoint_id: string;
  attempt_count: number;
  failure_reported_at: number | null;
  event_id: string | null;
  application_id: string | null;
  app_uid: string | null;
}

export async function recordAttemptEvents(
  engine: Pick<SqlEngine, 'dialect'>,
  tx: Executor,
  results: readonly DeliveryResult[],
  recorded: readonly boolean[],
  time: number,
): Promise<void> {
  const byDelivery = new Map<string, DeliveryResult & { attempt: Attempt }>();
  results.forEach((result, index) => {
    const { attempt } = result;
    if (recorded[index] && attempt && attempt.appId !== OPERATIONAL_OWNER_ID) byDelivery.set(result.deliveryId, { ...result, attempt });
  });
  if (byDelivery.size === 0) return;
  const { rows } = await reportableDeliveries.execute<ReportableDelivery>(engine, tx, {
    ids: listValue(engine.dialect, [...byDelivery.keys()]),
    failing_after: FAILING_AFTER_ATTEMPTS,
    fail: DeliveryStatus.fail,
  });
  for (const row of rows) {
    const { attempt, disposition } = byDelivery.get(row.id)!;
    const event = attemptEvent(attempt, disposition, row.attempt_count, row.failure_reported_at != null);
    if (event === null) continue;
    await tx
      .updateTable('deliveries')
      .set({ failure_reported_at: event === 'recovered' ? null : time })
      .where('id', '=', row.id)
      .execute();
    const common = {
      endpointId: row.endpoint_id,
      msgId: row.msg_id,
      msgEventId: row.event_id ?? null,
      lastAttempt: { id: attempt.id, responseStatusCode: attempt.responseStatusCode, timestamp: attempt.createdAt.toISOString() },
    };
    // A delivery without an application forwards an inbound event: its owner is a source.
    if (row.application_id === null) {
      await recordOperationalEvent(tx, `ingest.message.attempt.${event}`, row.app_id, { sourceId: row.app_id, ...common }, time);
    } else {
      await recordOperationalEvent(tx, `message.attempt.${event}`, row.app_id, { appId: row.app_id, appUid: row.app_uid, ...common }, time);
    }
  }
}

/**
 * Counts a rejected request against its source's current window and records `source.verification_failing` when the
 * window reaches the threshold. The counter is one upserted row per source, so that concurrent rejections, in any
 * process, queue on it and exactly one of them sees the threshold reached while unreported.
 */
export async function recordVerificationFailure(tx: Executor, sourceId: string, rule: VerificationFailingRule, reason: string, time: number): Promise<void> {
  const window = await tx
    .insertInto('verification_failures')
    .values({ source_id: sourceId, window_started_at: time, failures: 1, reported: 0 })
    .onConflict((oc) =>
      oc.column('source_id').doUpdateSet((eb) => {
        const expired = eb('verification_failures.window_started_at', '<=', time - rule.windowMs);
        return {
          window_started_at: eb.case().when(expired).then(eb.ref('excluded.window_started_at')).else(eb.ref('verification_failures.window_started_at')).end(),
          failures: eb.case().when(expired).then(eb.ref('excluded.failures')).else(eb('verification_failures.failures', '+', 1)).end(),
          reported: eb.case().when(expired).then(eb.ref('excluded.reported')).else(eb.ref('verification_failures.reported')).end(),
        };
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  if (window.failures < rule.threshold || window.reported !== 0) return;
  await tx.updateTable('verification_failures').set({ reported: 1 }).where('source_id', '=', sourceId).execute();
  const source = await tx.selectFrom('sources').select('uid').where('id', '=', sourceId).executeTakeFirst();
  const data = {
    sourceId,
    sourceUid: source?.uid ?? null,
    failures: window.failures,
    windowStart: new Date(Number(window.window_started_at)).toISOString(),
    windowSeconds: Math.round(rule.windowMs / 1000),
    lastReason: reason,
  };
  await recordOperationalEvent(tx, 'source.verification_failing', sourceId, data, time);
}

/** Stored payloads are JSON text; the event's is spliced in as stored. */
function operationalPayload(type: string, createdAt: number, data: string): string {
  return `{"type":${JSON.stringify(type)},"timestamp":"${new Date(createdAt).toISOString()}","data":${data}}`;
}

export function operationalWebhookStore({ engine, secretBox, now }: SqlContext): OperationalWebhookStore {
  return {
    async configureOperationalWebhook(target) {
      await engine.write(async (tx) => {
        const time = now();
        const current = await tx.selectFrom('endpoints').selectAll().where('id', '=', OPERATIONAL_ENDPOINT_ID).executeTakeFirst();
        if (target === null) {
          if (current?.deleted_at === null) {
            await tx.updateTable('endpoints').set({ deleted_at: time, updated_at: time, version: current.version + 1 }).where('id', '=', current.id).execute();
          }
          return;
        }
        const live = current !== undefined && current.deleted_at === null && current.disabled === 0;
        if (live && current.url === target.url && toEndpoint(current, secretBox, time).secrets[0]?.key === target.secret) return;
        const fields = {
          url: target.url,
          disabled: 0,
          secrets: toJson([{ key: secretBox.encrypt(target.secret), expiresAt: null }]),
          updated_at: time,
          deleted_at: null,
        };
        if (current) {
          await tx.updateTable('endpoints').set({ ...fields, version: current.version + 1 }).where('id', '=', current.id).execute();
          return;
        }
        const row: EndpointRow = {
          id: OPERATIONAL_ENDPOINT_ID,
          app_id: OPERATIONAL_OWNER_ID,
          uid: null,
          description: 'Hookyard operational webhooks',
          event_types: null,
          channels: null,
          throttle_rate: null,
          metadata: '{}',
          headers: '{}',
          retry_schedule: null,
          created_at: time,
          version: 1,
          ...fields,
        };
        // Processes starting together may both insert; the first wins, and both were given the same target.
        await tx.insertInto('endpoints').values(row).onConflict((oc) => oc.column('id').doNothing()).execute();
      });
    },

    async forwardOperationalEvents(limit, payloadRetentionDays) {
      // A read first: an idle poll must not take SQLite's single writer.
      const waiting = await engine.read((db) => db.selectFrom('operational_events').select('seq').where('forwarded_at', 'is', null).limit(1).executeTakeFirst());
      if (!waiting) return 0;
      return engine.write(async (tx) => {
        const endpoint = await tx.selectFrom('endpoints').select('id').where('id', '=', OPERATIONAL_ENDPOINT_ID).where('deleted_at', 'is', null).executeTakeFirst();
        if (!endpoint) return 0;
        let pending = tx.selectFrom('operational_events').selectAll().where('forwarded_at', 'is', null).orderBy('seq').limit(limit);
        // Forwarders in other processes skip the events this one is forwarding, instead of waiting to find them done.
        if (engine.dialect === 'postgres') pending = pending.forUpdate().skipLocked();
        const events = await pending.execute();
        if (events.length === 0) return 0;
        const time = now();
        const messages: MessageRow[] = events.map((event) => ({
          id: newId('message', time),
          app_id: OPERATIONAL_OWNER_ID,
          event_type: event.type,
          event_id: `op_${event.seq}`,
          channels: null,
          tags: null,
          payload: operationalPayload(event.type, Number(event.created_at), event.payload),
          created_at: time,
          payload_expires_at: time + payloadRetentionDays * DAY_MS,
        }));
        // The event id is unique per owner: an event that somehow became a message already keeps its one message.
        const inserted = await tx
          .insertInto('messages')
          .values(messages)
          .onConflict((oc) => oc.columns(['app_id', 'event_id']).doNothing())
          .returning('id')
          .execute();
        if (inserted.length > 0) {
          const deliveries: DeliveryRow[] = inserted.map(({ id }) => ({
            id: newId('delivery', time),
            app_id: OPERATIONAL_OWNER_ID,
            msg_id: id,
            endpoint_id: endpoint.id,
            status: DeliveryStatus.pending,
            attempt_count: 0,
            next_attempt_at: time,
            lease_owner: null,
            lease_until: null,
            trigger_type: TriggerType.scheduled,
            created_at: time,
            updated_at: time,
          }));
          await tx.insertInto('deliveries').values(deliveries).execute();
        }
        await tx
          .updateTable('operational_events')
          .set({ forwarded_at: time })
          .where(
            'seq',
            'in',
            events.map((event) => event.seq),
          )
          .execute();
        return events.length;
      });
    },
  };
}
