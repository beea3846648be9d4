import type { Logger } from 'pino';
import type { DeliveryControlStore } from '../store/port.js';

/**
 * Runs endpoint recovery tasks (Svix's "recover failed messages") in the background: the API answers 202 with the
 * task at once, and the task re-queues the endpoint's failed deliveries, as manual runs, for the workers to send.
 */
export class RecoveryTasks {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly store: Pick<DeliveryControlStore, 'getBackgroundTask' | 'recoverFailedDeliveries' | 'finishBackgroundTask'>,
    private readonly logger: Logger,
    /** Told when deliveries were re-queued, so a worker in this process picks them up at once. */
    private readonly onRequeued: () => void,
  ) {}

  start(taskId: string): void {
    const task = this.run(taskId).finally(() => this.running.delete(task));
    this.running.add(task);
  }

  /** Waits for the tasks already started; a task cut off by a crash stays `running` and can be requested again. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private async run(taskId: string): Promise<void> {
    try {
      const task = await this.store.getBackgroundTask(taskId);
      if (!task || task.status !== 'running') return;
      const since = new Date(task.params.since);
      const until = task.params.until === null ? null : new Date(task.params.until);
      const requeued = await this.store.recoverFailedDeliveries(task.appId, task.endpointId, { since, until });
      await this.store.finishBackgroundTask(taskId, 'finished', { requeued });
      if (requeued > 0) this.onRequeued();
    } catch (error) {
      this.logger.error({ err: error, taskId }, 'recovery task failed');
      await this.store.finishBackgroundTask(taskId, 'failed', null).catch(() => undefined);
    }
  }
}
