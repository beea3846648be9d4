import type { Logger } from 'pino';
import type { BackgroundTask, DeliveryControlStore } from '../store/port.js';

/** Does one kind of task's work; resolves how many deliveries or events it re-queued. */
export type TaskHandler = (task: BackgroundTask) => Promise<number>;

/**
 * Runs long operations in the background (endpoint recovery, inbound replay): the API answers 202 with the task at
 * once, the handler for the task's kind does the work, and the task row records how it ended.
 */
export class BackgroundTasks {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly store: Pick<DeliveryControlStore, 'getBackgroundTask' | 'finishBackgroundTask'>,
    private readonly handlers: Readonly<Record<BackgroundTask['kind'], TaskHandler>>,
    private readonly logger: Logger,
    /** Told when work was re-queued, so a worker in this process picks it up at once. */
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
      const requeued = await this.handlers[task.kind](task);
      await this.store.finishBackgroundTask(taskId, 'finished', { requeued });
      if (requeued > 0) this.onRequeued();
    } catch (error) {
      this.logger.error({ err: error, taskId }, 'background task failed');
      await this.store.finishBackgroundTask(taskId, 'failed', null).catch(() => undefined);
    }
  }
}
