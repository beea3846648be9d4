import { isFailedOutcome, type Executor } from '../sql/engine.js';

interface PendingWrite {
  work: (tx: Executor) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitStats {
  batches: number;
  writes: number;
  lastBatchSize: number;
  lastCommitMs: number;
}

/** Savepoint statements on the writer connection, run directly: they are the same three statements every time. */
export interface Savepoints {
  begin(): void;
  undo(): void;
  release(): void;
}

/**
 * Makes committed transactions durable: resolves once everything committed before the call is on disk. Null when
 * commits are durable (or not meant to be) by themselves.
 */
export type Durability = (() => Promise<void>) | null;

/**
 * Runs the writes that arrive while a commit is in progress together in the next transaction, so concurrent
 * requests share one commit. Each write runs inside its own savepoint: a write that throws or returns a failed
 * Outcome is undone alone.
 *
 * Callers are answered only once their transaction is durable. The disk sync happens off the event loop (see
 * `WalSyncer`), and the next batch runs while the previous one's sync is under way: the disk's latency bounds how
 * long each caller waits, not how many writes per second the process can commit.
 */
export class GroupCommitter {
  private queue: PendingWrite[] = [];
  private flushing = false;
  readonly stats: GroupCommitStats = { batches: 0, writes: 0, lastBatchSize: 0, lastCommitMs: 0 };

  constructor(
    private readonly db: Executor,
    private readonly savepoints: Savepoints,
    private readonly durable: Durability,
    private readonly maxBatch: number = 512,
    private readonly onBatch?: (size: number, ms: number) => void,
  ) {}

  run<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        await this.commit(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async commit(batch: PendingWrite[]): Promise<void> {
    const started = performance.now();
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      await this.db.transaction().execute(async (tx) => {
        for (const item of batch) {
          this.savepoints.begin();
          try {
            const value = await item.work(tx);
            if (isFailedOutcome(value)) this.savepoints.undo();
            this.savepoints.release();
            outcomes.push({ ok: true, value });
          } catch (error) {
            this.savepoints.undo();
            this.savepoints.release();
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    const settle = () => {
      const elapsed = performance.now() - started;
      this.stats.batches += 1;
      this.stats.writes += batch.length;
      this.stats.lastBatchSize = batch.length;
      this.stats.lastCommitMs = elapsed;
      this.onBatch?.(batch.length, elapsed);
      batch.forEach((item, index) => {
        const outcome = outcomes[index]!;
        if (outcome.ok) item.resolve(outcome.value);
        else item.reject(outcome.error);
      });
    };
    if (this.durable === null) return settle();
    // Not awaited: the next batch runs meanwhile. Batches become durable, and are answered, in commit order.
    this.durable().then(settle, (error: unknown) => {
      for (const item of batch) item.reject(error);
    });
  }
}

/**
 * Coalesces disk syncs: a caller gets a sync that began after its call (so it covers the caller's commit), and while
 * one sync runs, every caller arriving meanwhile shares the single next one.
 */
export class WalSyncer {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(private readonly sync: () => Promise<void>) {}

  request(): Promise<void> {
    if (this.running === null) {
      this.running = this.start();
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        this.running = this.start();
        return this.running;
      });
    return this.queued;
  }

  private async start(): Promise<void> {
    try {
      await this.sync();
    } finally {
      this.running = null;
    }
  }
}
