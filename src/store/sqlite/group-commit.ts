import { isFailedOutcome, type Executor } from '../sql/engine.js';

/** Work run between two transactions (see `GroupCommitter.between`). */
interface Interlude {
  interlude: () => Promise<void>;
}

interface PendingWrite {
  work: (tx: Executor) => Promise<unknown>;
  /** Whether its caller waits for a disk sync (see WriteOptions.durable). */
  durable: boolean;
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
  private queue: Array<PendingWrite | Interlude> = [];
  private flushing = false;
  /** Settles when every batch committed so far has been answered: batches are answered in commit order. */
  private answered: Promise<void> = Promise.resolve();
  readonly stats: GroupCommitStats = { batches: 0, writes: 0, lastBatchSize: 0, lastCommitMs: 0 };

  constructor(
    private readonly db: Executor,
    private readonly savepoints: Savepoints,
    private readonly durable: Durability,
    private readonly maxBatch: number = 512,
    private readonly onBatch?: (size: number, ms: number) => void,
  ) {}

  run<T>(work: (tx: Executor) => Promise<T>, durable = true): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue({ work, durable, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  /**
   * Runs `work` once the transaction under way (if any) has committed, holding back the writes that arrive
   * meanwhile until it is done. Their callers wait a little longer; none fails.
   */
  between<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue({ interlude: () => work().then(resolve, reject) });
    });
  }

  private enqueue(entry: PendingWrite | Interlude): void {
    this.queue.push(entry);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => void this.drain());
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0]!;
        if ('interlude' in head) {
          this.queue.shift();
          await head.interlude();
          continue;
        }
        const end = this.queue.findIndex((entry) => 'interlude' in entry);
        const batch = this.queue.splice(0, Math.min(this.maxBatch, end === -1 ? this.queue.length : end)) as PendingWrite[];
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
    // Not awaited: the next batch runs meanwhile. A batch that asks for no sync of its own still waits for the
    // batches before it, so that nothing read from them (a claimed delivery) is acted on before they are durable.
    const previous = this.answered;
    const fail = (error: unknown) => {
      for (const item of batch) item.reject(error);
    };
    this.answered = batch.some((item) => item.durable)
      ? Promise.all([previous, this.durable()]).then(settle, fail)
      : previous.then(settle);
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
