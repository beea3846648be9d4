import { sql } from 'kysely';
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

/**
 * Runs the writes that arrive while a commit is in progress together in the next transaction, so concurrent
 * requests share one fsync. Each write runs inside its own savepoint: a write that throws or returns a failed
 * Outcome is undone alone. Callers are answered only after COMMIT returns.
 */
export class GroupCommitter {
  private queue: PendingWrite[] = [];
  private flushing = false;
  readonly stats: GroupCommitStats = { batches: 0, writes: 0, lastBatchSize: 0, lastCommitMs: 0 };

  constructor(
    private readonly db: Executor,
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
          await sql`savepoint w`.execute(tx);
          try {
            const value = await item.work(tx);
            if (isFailedOutcome(value)) await sql`rollback to w`.execute(tx);
            await sql`release w`.execute(tx);
            outcomes.push({ ok: true, value });
          } catch (error) {
            await sql`rollback to w`.execute(tx);
            await sql`release w`.execute(tx);
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
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
  }
}
