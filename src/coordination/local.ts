import type { ProbeGate, RateLimitDecision, RateLimitPolicy, RateLimiter, Throttle, WorkSignal } from './port.js';

/**
 * How much a quiet endpoint may receive at once, in seconds of its rate. Small, so that any one-second window sees
 * at most about 1.1 × the rate, while a high rate is not forced into perfectly even spacing.
 */
export const BURST_SECONDS = 0.1;

/** Keys whose booked time has passed are dropped once this many exist, so idle endpoints cost nothing. */
const PRUNE_ABOVE = 10_000;

/** A ticket redeemed this much before its slot still holds it: clocks of different processes differ a little. */
export const TICKET_EARLY_MS = 50;

/**
 * GCRA parameters for a rate: slot spacing, how far ahead of its even-spacing time a slot may be taken, and how
 * late a booked slot may still be redeemed. A ticket much later than that books again, rather than send in a crowd
 * with the deliveries booked after it.
 */
export function gcraParameters(ratePerSecond: number): { intervalMs: number; toleranceMs: number; lateMs: number } {
  const intervalMs = 1000 / ratePerSecond;
  const burst = Math.max(1, ratePerSecond * BURST_SECONDS);
  return { intervalMs, toleranceMs: (burst - 1) * intervalMs, lateMs: Math.max(intervalMs, 100) };
}

/** Generic cell rate algorithm in memory: per key, the time the next slot becomes free if nothing bursts. */
export class LocalThrottle implements Throttle {
  private readonly nextFree = new Map<string, number>();
  /** Slots booked per ticket. */
  private readonly booked = new Map<string, number>();

  async reserve(key: string, ratePerSecond: number, now: number, ticket: string): Promise<number> {
    if (!(ratePerSecond > 0)) return 0;
    const { intervalMs, toleranceMs, lateMs } = gcraParameters(ratePerSecond);
    const slot = this.booked.get(ticket);
    if (slot !== undefined) {
      this.booked.delete(ticket);
      if (now >= slot - TICKET_EARLY_MS && now <= slot + lateMs) return 0;
    }
    if (!this.nextFree.has(key) && this.nextFree.size >= PRUNE_ABOVE) this.prune(this.nextFree, now);
    // Tickets of deliveries that went elsewhere (canceled, sent by another process) are never redeemed.
    if (this.booked.size >= PRUNE_ABOVE) this.prune(this.booked, now - 60_000);
    const free = Math.max(this.nextFree.get(key) ?? now, now);
    const at = Math.max(now, free - toleranceMs);
    this.nextFree.set(key, free + intervalMs);
    if (at > now) this.booked.set(ticket, at);
    return Math.ceil(at - now);
  }

  private prune(times: Map<string, number>, before: number): void {
    for (const [key, time] of times) if (time <= before) times.delete(key);
  }
}

/**
 * One GCRA step over a stored theoretical arrival time (TAT): the request is allowed when taking it keeps the TAT
 * within one window of now. Returns the decision and the TAT to store (unchanged when refused).
 */
export function gcraTake(storedTat: number | null, policy: RateLimitPolicy, now: number): { decision: RateLimitDecision; tat: number } {
  const windowMs = policy.windowSeconds * 1000;
  const intervalMs = windowMs / policy.limit;
  const tat = Math.max(storedTat ?? now, now);
  const next = tat + intervalMs;
  const allowAt = next - windowMs;
  if (now < allowAt) {
    return {
      decision: { allowed: false, remaining: 0, resetSeconds: Math.ceil((tat - now) / 1000), retryAfterSeconds: Math.max(1, Math.ceil((allowAt - now) / 1000)) },
      tat,
    };
  }
  const remaining = Math.max(0, Math.floor((now + windowMs - next) / intervalMs));
  return { decision: { allowed: true, remaining, resetSeconds: Math.ceil((next - now) / 1000), retryAfterSeconds: 0 }, tat: next };
}

export class LocalRateLimiter implements RateLimiter {
  private readonly tats = new Map<string, number>();

  async take(key: string, policy: RateLimitPolicy, now: number): Promise<RateLimitDecision> {
    if (!this.tats.has(key) && this.tats.size >= PRUNE_ABOVE) {
      // A TAT in the past means a full quota, the same as no entry at all.
      for (const [stale, tat] of this.tats) if (tat <= now) this.tats.delete(stale);
    }
    const { decision, tat } = gcraTake(this.tats.get(key) ?? null, policy, now);
    this.tats.set(key, tat);
    return decision;
  }
}

export class LocalProbeGate implements ProbeGate {
  private readonly held = new Map<string, number>();

  async acquire(endpointId: string, ttlMs: number, now: number): Promise<{ held: true } | { held: false; freeInMs: number }> {
    const until = this.held.get(endpointId);
    if (until !== undefined && until > now) return { held: false, freeInMs: until - now };
    this.held.set(endpointId, now + ttlMs);
    return { held: true };
  }

  async release(endpointId: string): Promise<void> {
    this.held.delete(endpointId);
  }
}

/**
 * Within one process the API wakes its worker directly, so there is nothing to carry: announcements go nowhere
 * and subscribers are never called.
 */
export class ProcessWorkSignal implements WorkSignal {
  announce(): void {}

  subscribe(): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {}
}

/**
 * Turns many announcements into few sends: while one send is under way, further announcements only mark that
 * another is needed once it completes. Nothing waits when the system is quiet; under load the sends are spaced by
 * their own round trips.
 */
export class Coalescer {
  private sending = false;
  private again = false;

  constructor(private readonly send: () => Promise<unknown>) {}

  trigger(): void {
    if (this.sending) {
      this.again = true;
      return;
    }
    this.sending = true;
    void this.send()
      .catch(() => undefined)
      .finally(() => {
        this.sending = false;
        if (this.again) {
          this.again = false;
          this.trigger();
        }
      });
  }
}

/** Calls every listener, keeping one listener's exception from reaching the others or the caller. */
export class Listeners {
  private readonly listeners = new Set<() => void>();

  add(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        // A wake-up is a hint; the poll covers a listener that failed to act on it.
      }
    }
  }
}
