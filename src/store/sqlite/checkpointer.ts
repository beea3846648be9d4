import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/** WAL frames (pages) that may pile up before a checkpoint is asked for; SQLite's own default threshold. */
const FRAMES_PER_CHECKPOINT = 1000;
/** Commits between checkpoints when the caller cannot tell how many frames each wrote. */
const COMMITS_PER_CHECKPOINT = 50;

/**
 * Keeps the WAL short by checkpointing in a worker thread (see checkpoint-worker.mjs) instead of inside the commits
 * of the writer connection, where SQLite runs them by default. One checkpoint at a time; commits that happen
 * meanwhile only mark that another one is wanted.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private running = false;
  private wanted = false;
  private commitsSince = 0;
  private failed: string | null = null;

  constructor(path: string, private readonly onFailure: (reason: string) => void) {
    this.worker = new Worker(new URL('./checkpoint-worker.mjs', import.meta.url), { workerData: { path } });
    this.worker.unref();
    this.worker.on('message', (result: { ok: boolean; frames?: number; error?: string }) => {
      this.running = false;
      if (!result.ok) return this.fail(result.error ?? 'checkpoint failed');
      // Frames still in the WAL after a checkpoint were written meanwhile: checkpoint again if many.
      if (this.wanted || (result.frames ?? 0) >= FRAMES_PER_CHECKPOINT) {
        this.wanted = false;
        this.start();
      }
    });
    this.worker.on('error', (error) => this.fail(error.message));
  }

  /** Told after every commit. */
  committed(): void {
    if (this.failed !== null) return;
    this.commitsSince += 1;
    if (this.commitsSince < COMMITS_PER_CHECKPOINT) return;
    this.commitsSince = 0;
    if (this.running) this.wanted = true;
    else this.start();
  }

  private start(): void {
    this.running = true;
    this.worker.postMessage('checkpoint');
  }

  private fail(reason: string): void {
    if (this.failed !== null) return;
    this.failed = reason;
    this.running = false;
    this.onFailure(reason);
  }

  async close(): Promise<void> {
    const exited = once(this.worker, 'exit');
    this.worker.postMessage('close');
    const timer = setTimeout(() => void this.worker.terminate(), 2000);
    await exited.catch(() => undefined);
    clearTimeout(timer);
  }
}
