/**
 * Per-endpoint send rate (`throttleRate`, messages per second). A delivery asks for a send slot; when the next free
 * slot is later, it is booked and the delivery is put back in the queue until then, so held-back deliveries return
 * one by one at the rate instead of all competing again. The interface is small and asynchronous so that a shared
 * implementation (Redis, for several worker processes) can replace the in-process one; the algorithm (GCRA, one
 * timestamp per key) fits a single atomic script there.
 */
export interface Throttle {
  /** Books the next send slot for `key`; resolves the milliseconds from `now` until it (0: send now). */
  reserve(key: string, ratePerSecond: number, now: number): Promise<number>;
}

/**
 * How much a quiet endpoint may receive at once, in seconds of its rate. Small, so that any one-second window sees
 * at most about 1.1 × the rate, while a high rate is not forced into perfectly even spacing.
 */
const BURST_SECONDS = 0.1;

/** Keys whose booked time has passed are dropped once this many exist, so idle endpoints cost nothing. */
const PRUNE_ABOVE = 10_000;

/** Generic cell rate algorithm: per key, the time the next slot becomes free if nothing bursts. */
export class LocalThrottle implements Throttle {
  private readonly nextFree = new Map<string, number>();

  async reserve(key: string, ratePerSecond: number, now: number): Promise<number> {
    if (!(ratePerSecond > 0)) return 0;
    const interval = 1000 / ratePerSecond;
    const burst = Math.max(1, ratePerSecond * BURST_SECONDS);
    // A slot may be taken this much ahead of its even-spacing time: what lets a burst through.
    const tolerance = (burst - 1) * interval;
    if (!this.nextFree.has(key) && this.nextFree.size >= PRUNE_ABOVE) this.prune(now);
    const free = Math.max(this.nextFree.get(key) ?? now, now);
    const at = Math.max(now, free - tolerance);
    this.nextFree.set(key, free + interval);
    return Math.ceil(at - now);
  }

  private prune(now: number): void {
    for (const [key, free] of this.nextFree) if (free <= now) this.nextFree.delete(key);
  }
}
