import type { Api } from './client';
import { seg } from './client';
import type { BackgroundTask } from './types';

/** Polls a background task (recovery, bulk replay) until it is no longer running. */
export async function waitForTask(api: Api, taskId: string, timeoutMs = 120_000): Promise<BackgroundTask> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const task = await api.get<BackgroundTask>(`/api/v1/background-task/${seg(taskId)}`);
    if (task.status !== 'running' || Date.now() > until) return task;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
