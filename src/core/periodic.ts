import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs `work` after `firstDelayMs`, then again `intervalMs` after each run ends, until stopped: one run at a time,
 * and a run in progress is handed the signal that `stop()` raises.
 */
export class Periodic {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(
    private readonly work: (signal: AbortSignal) => Promise<void>,
    private readonly intervalMs: number,
    private readonly firstDelayMs = 0,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Resolves once the run in progress, if any, has returned. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { signal } = this.stopping;
    let waitMs = this.firstDelayMs;
    while (!signal.aborted) {
      if (waitMs > 0) await sleep(waitMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      await this.work(signal);
      waitMs = this.intervalMs;
    }
  }
}
