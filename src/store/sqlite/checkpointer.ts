import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';

/** WAL frames (pages) that may pile up before a checkpoint is asked for; SQLite's own default threshold. */
const FRAMES_PER_CHECKPOINT = 1000;

export interface CheckpointPolicy {
  /**
   * Commits between checkpoints (the committer cannot tell how many frames each wrote). Each checkpoint syncs the
   * database file, and those syncs slow the WAL syncs that commits wait for: fewer and larger is better.
   */
  commitsPerCheckpoint: number;
  /** WAL length (frames of 4 KiB) past which the next checkpoint holds writes back so that the WAL can start over. */
  restartFrames: number;
}

/** Longest that writes are held back for a checkpoint: past it they go on, and the WAL starts over another time. */
const QUIESCE_LIMIT_MS = 2000;

export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { commitsPerCheckpoint: 1000, restartFrames: 16_384 };

interface CheckpointResult {
  ok: boolean;
  /** Frames in the WAL file. */
  frames?: number;
  /** Of those, frames now copied into the database. */
  copied?: number;
  error?: string;
}

/**
 * Runs `work` while no write transaction is under way and none may start: the group committer's interlude.
 */
export type Quiesce = <T>(work: () => Promise<T>) => Promise<T>;

/**
 * Keeps the WAL short by checkpointing in a worker thread (see checkpoint-worker.mjs) instead of inside the commits
 * of the writer connection, where SQLite runs them by default. One checkpoint at a time; commits that happen
 * meanwhile only mark that another one is wanted.
 *
 * A checkpoint copies the WAL into the database, but only the writer starts the WAL over, and only if no frame was
 * committed since a checkpoint caught up completely: under steady load that never happens and the WAL file grows
 * without bound. So once it is long, a checkpoint runs with writes held back (`quiesce`, for the few milliseconds
 * it takes to copy what the last one left); the next transaction then writes from the start of the file again.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private running = false;
  private wanted = false;
  private commitsSince = 0;
  private failed: string | null = null;
  private reply: ((result: CheckpointResult) => void) | null = null;

  constructor(
    path: string,
    private readonly quiesce: Quiesce,
    private readonly onFailure: (reason: string) => void,
    private readonly policy: CheckpointPolicy = DEFAULT_CHECKPOINT_POLICY,
  ) {
    this.worker = new Worker(new URL('./checkpoint-worker.mjs', import.meta.url), { workerData: { path } });
    this.worker.unref();
    this.worker.on('message', (result: CheckpointResult) => this.reply?.(result));
    this.worker.on('error', (error) => this.fail(error.message));
  }

  /** Told after every commit. */
  committed(): void {
    if (this.failed !== null) return;
    this.commitsSince += 1;
    if (this.commitsSince < this.policy.commitsPerCheckpoint) return;
    this.commitsSince = 0;
    if (this.running) this.wanted = true;
    else void this.run();
  }

  private checkpoint(): Promise<CheckpointResult> {
    return new Promise((resolve) => {
      this.reply = resolve;
      this.worker.postMessage('checkpoint');
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      for (;;) {
        this.wanted = false;
        let result = await this.checkpoint();
        if (result.ok && (result.frames ?? 0) >= this.policy.restartFrames) {
          result = await this.quiesce(() => Promise.race([this.checkpoint(), delay(QUIESCE_LIMIT_MS, { ok: true, frames: 0, copied: 0 }, { ref: false })]));
        }
        if (!result.ok) return this.fail(result.error ?? 'checkpoint failed');
        // Frames the checkpoint could not copy were written meanwhile: checkpoint again if many.
        if (!this.wanted && (result.frames ?? 0) - (result.copied ?? 0) < FRAMES_PER_CHECKPOINT) return;
      }
    } finally {
      this.reply = null;
      this.running = false;
    }
  }

  private fail(reason: string): void {
    if (this.failed !== null) return;
    this.failed = reason;
    this.reply?.({ ok: false, error: reason });
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
