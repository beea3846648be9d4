import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { Periodic } from '../core/periodic.js';
import { PruneTargets, type PruneTarget, type RetentionStore } from '../store/port.js';

export type RetentionPolicy = Pick<Config, 'retentionDays' | 'attemptRetentionDays' | 'metadataRetentionDays'>;

export type PruneReport = Record<PruneTarget, number>;

const DAY_MS = 86_400_000;

/** Rows per transaction: on SQLite every write waits for the one in progress, so each must stay short. */
export const PRUNE_BATCH = 500;

/** Whole rows go with their deliveries and attempts, which may be many per message: fewer per transaction. */
const DELETE_BATCH = 100;

/** Between two batches, room for the API's writes (SQLite has one writer; PostgreSQL locks the rows a batch holds). */
const PAUSE_MS = 5;

/**
 * The cut-off of each target at `now`, or null when it is not pruned. Content whose expiry time is stored with it
 * (payloads, inbound bodies, dedup records, idempotency keys) is pruned once that time has passed; the rest by age.
 */
export function pruneCutoffs(policy: RetentionPolicy, now: number): Record<PruneTarget, Date | null> {
  const daysAgo = (days: number) => new Date(now - days * DAY_MS);
  const metadata = policy.metadataRetentionDays > 0 ? daysAgo(policy.metadataRetentionDays) : null;
  return {
    message_payloads: new Date(now),
    attempt_responses: daysAgo(policy.attemptRetentionDays),
    inbound_bodies: new Date(now),
    inbound_dedup: new Date(now),
    idempotency_keys: new Date(now),
    // An event's content lives on in the message that forwarded it, whose payload is kept this long.
    operational_events: daysAgo(policy.retentionDays),
    messages: metadata,
    inbound_events: metadata,
  };
}

export interface PruneOptions {
  now: () => number;
  signal?: AbortSignal;
  /** Rows per transaction; PRUNE_BATCH unless a test wants several batches from little data. */
  batchSize?: number;
}

/** Prunes everything expired, target by target, in short transactions with a pause between them. */
export async function pruneExpiredData(store: RetentionStore, policy: RetentionPolicy, options: PruneOptions): Promise<PruneReport> {
  const cutoffs = pruneCutoffs(policy, options.now());
  const report = Object.fromEntries(PruneTargets.map((target) => [target, 0])) as PruneReport;
  for (const target of PruneTargets) {
    const cutoff = cutoffs[target];
    if (cutoff === null) continue;
    const limit = Math.min(options.batchSize ?? PRUNE_BATCH, target === 'messages' || target === 'inbound_events' ? DELETE_BATCH : PRUNE_BATCH);
    for (;;) {
      if (options.signal?.aborted) return report;
      const pruned = await store.pruneExpired(target, cutoff, limit);
      report[target] += pruned;
      // Fewer than asked: nothing is left, or another process holds the rest and will prune it.
      if (pruned < limit) break;
      await sleep(PAUSE_MS);
    }
  }
  return report;
}

/**
 * Prunes in the background of a worker process, every `intervalMs`; several processes may do so at once. The first
 * pass comes at a random point of the first interval, so processes started together spread out.
 */
export class Pruner {
  readonly name = 'retention';
  private readonly periodic: Periodic;

  constructor(
    private readonly store: RetentionStore,
    private readonly policy: RetentionPolicy,
    private readonly options: { intervalMs: number; now: () => number; logger: Logger; random?: () => number },
  ) {
    const firstDelayMs = Math.floor((options.random ?? Math.random)() * options.intervalMs);
    this.periodic = new Periodic((signal) => this.prune(signal), options.intervalMs, firstDelayMs);
  }

  start(): void {
    this.periodic.start();
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  private async prune(signal: AbortSignal): Promise<void> {
    try {
      const report = await pruneExpiredData(this.store, this.policy, { now: this.options.now, signal });
      const pruned = Object.entries(report).filter(([, count]) => count > 0);
      if (pruned.length > 0) this.options.logger.info({ pruned: Object.fromEntries(pruned) }, 'pruned expired data');
    } catch (error) {
      this.options.logger.error({ err: error }, 'pruning failed');
    }
  }
}
