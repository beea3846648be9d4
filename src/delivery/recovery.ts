import type { BackgroundTask, DeliveryControlStore } from '../store/port.js';

/**
 * Svix's "recover failed messages": re-queues an endpoint's failed deliveries created in the task's time range, as
 * manual runs, for the workers to send.
 */
export async function recoverEndpoint(store: Pick<DeliveryControlStore, 'recoverFailedDeliveries'>, task: BackgroundTask): Promise<number> {
  if (task.endpointId === null || task.params.since === null) throw new Error('recovery task without endpoint or start time');
  const until = task.params.until === null ? null : new Date(task.params.until);
  return store.recoverFailedDeliveries(task.appId, task.endpointId, { since: new Date(task.params.since), until });
}
