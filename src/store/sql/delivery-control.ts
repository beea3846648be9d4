import { newId } from '../../core/ids.js';
import { DeliveryStatus, TriggerType, type BackgroundTask, type DeliveryControlStore } from '../port.js';
import { fromJson, fromOptionalJson, toDate, toJson, toOptionalJson } from './codec.js';
import { notFound, ok, type SqlContext } from './context.js';
import type { BackgroundTaskRow, DeliveryRow } from './database.js';
import { toDelivery } from './messages.js';

/** What the NOT NULL endpoint_id column holds for tasks that concern no endpoint; no endpoint id is empty. */
const NO_ENDPOINT = '';

function toBackgroundTask(row: BackgroundTaskRow): BackgroundTask {
  return {
    id: row.id,
    kind: row.kind as BackgroundTask['kind'],
    status: row.status as BackgroundTask['status'],
    appId: row.app_id,
    endpointId: row.endpoint_id === NO_ENDPOINT ? null : row.endpoint_id,
    params: fromJson(row.params),
    result: fromOptionalJson(row.result),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/**
 * A delivery put back in the queue to be tried now, as a fresh manual run: any worker's lease on it is void, and
 * a cancellation no longer applies (the engine cancels it again if the endpoint still cannot take it).
 */
export function requeued(time: number) {
  return {
    status: DeliveryStatus.pending,
    attempt_count: 0,
    next_attempt_at: time,
    lease_owner: null,
    lease_until: null,
    canceled_at: null,
    trigger_type: TriggerType.manual,
    updated_at: time,
  };
}

export function deliveryControlStore({ engine, now }: SqlContext): DeliveryControlStore {
  return {
    async resendMessage(appId, msgId, endpointId) {
      return engine.write(async (tx) => {
        const message = await tx.selectFrom('messages').select('id').where('app_id', '=', appId).where('id', '=', msgId).executeTakeFirst();
        if (!message) return notFound;
        const endpoint = await tx
          .selectFrom('endpoints')
          .select('id')
          .where('app_id', '=', appId)
          .where('id', '=', endpointId)
          .where('deleted_at', 'is', null)
          .executeTakeFirst();
        if (!endpoint) return notFound;
        const time = now();
        const fresh: DeliveryRow = {
          id: newId('delivery', time),
          app_id: appId,
          msg_id: msgId,
          endpoint_id: endpointId,
          created_at: time,
          ...requeued(time),
        };
        // The message may never have been routed to this endpoint (it subscribed later); then the resend creates it.
        const row = await tx
          .insertInto('deliveries')
          .values(fresh)
          .onConflict((oc) => oc.columns(['msg_id', 'endpoint_id']).doUpdateSet(requeued(time)))
          .returningAll()
          .executeTakeFirstOrThrow();
        return ok(toDelivery(row));
      });
    },

    async createBackgroundTask(task) {
      return engine.write(async (tx) => {
        const time = now();
        const row: BackgroundTaskRow = {
          id: newId('task', time),
          kind: task.kind,
          status: 'running',
          app_id: task.appId,
          endpoint_id: task.endpointId ?? NO_ENDPOINT,
          params: toJson(task.params),
          result: null,
          created_at: time,
          updated_at: time,
        };
        await tx.insertInto('background_tasks').values(row).execute();
        return toBackgroundTask(row);
      });
    },

    async getBackgroundTask(id) {
      const row = await engine.read((db) => db.selectFrom('background_tasks').selectAll().where('id', '=', id).executeTakeFirst());
      return row && toBackgroundTask(row);
    },

    async recoverFailedDeliveries(appId, endpointId, range) {
      return engine.write(async (tx) => {
        let query = tx
          .updateTable('deliveries')
          .set(requeued(now()))
          .where('app_id', '=', appId)
          .where('endpoint_id', '=', endpointId)
          .where('status', '=', DeliveryStatus.fail)
          // Canceled deliveries have status fail too, and are recovered with the rest. Svix's recover range:
          // `since` inclusive, `until` exclusive.
          .where('created_at', '>=', range.since.getTime());
        if (range.until) query = query.where('created_at', '<', range.until.getTime());
        const result = await query.executeTakeFirst();
        return Number(result.numUpdatedRows);
      });
    },

    async finishBackgroundTask(id, status, result) {
      await engine.write(async (tx) => {
        await tx
          .updateTable('background_tasks')
          .set({ status, result: toOptionalJson(result), updated_at: now() })
          .where('id', '=', id)
          .execute();
      });
    },
  };
}
