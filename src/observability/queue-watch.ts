import { withTimeout } from '../core/timeout.js';
import type { DeliveryQueueStore, StatsStore } from '../store/port.js';

export interface QueueReading {
  /** Deliveries due and not leased, cluster-wide. */
  due: number;
  oldestDueAt: Date | null;
  /** Live endpoints whose breaker is not closed. */
  breakersOpen: number;
}

export interface QueueWatchOptions {
  store: Pick<DeliveryQueueStore, 'dueDeliveryStats'> & Pick<StatsStore, 'countTrippedBreakers'>;
  breakerThreshold: number;
  now: () => number;
  /** A reading younger than this is served from memory. */
  maxAgeMs?: number;
  /** A caller waits no longer than this for a reading. */
  timeoutMs?: number;
}

const MAX_AGE_MS = 1000;
const TIMEOUT_MS = 2000;

/**
 * The state of the delivery queue, as metrics scrapes and health checks need it. Both may come often and from
 * several places (a Prometheus per replica, a load balancer every second), and the queries count rows: a reading
 * is reused for a second, concurrent callers share one query, and a caller waits at most a bounded time, getting
 * null rather than hanging when the store is slow.
 */
export class QueueWatch {
  private cached: { reading: QueueReading; at: number } | null = null;
  private pending: Promise<QueueReading> | null = null;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: QueueWatchOptions) {
    this.maxAgeMs = options.maxAgeMs ?? MAX_AGE_MS;
    this.timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  }

  /** The latest reading, or null when the store failed or did not answer in time. */
  async read(): Promise<QueueReading | null> {
    if (this.cached && this.options.now() - this.cached.at < this.maxAgeMs) return this.cached.reading;
    // A query still running after a timeout is joined by later callers instead of being sent again.
    this.pending ??= this.query().finally(() => (this.pending = null));
    return withTimeout(
      this.pending.catch(() => null),
      this.timeoutMs,
      null,
    );
  }

  private async query(): Promise<QueueReading> {
    const { store, breakerThreshold } = this.options;
    const [work, breakersOpen] = await Promise.all([store.dueDeliveryStats(), store.countTrippedBreakers(breakerThreshold)]);
    const reading = { due: work.due, oldestDueAt: work.oldestDueAt, breakersOpen };
    this.cached = { reading, at: this.options.now() };
    return reading;
  }
}
