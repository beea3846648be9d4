import type { ProbeGate, RateLimitDecision, RateLimitPolicy, RateLimiter, Throttle, WorkSignal } from './port.js';

/**
 * How much a quiet endpoint may receive at once, in seconds of its rate. Small, so that any one-second window sees
 * at most about 1.1 × the rate, while a high rate is not forced into perfectly even spacing.
 */
export const BURST_SECONDS = 0.1;

/** Keys whose booked time has passed are dropped once this many exist, so idle endpoints cost nothing. */
const PRUNE_ABOVE = 10_000;

/** A ticket presented this much before its slot still holds it: clocks of different processes differ a little. */
export const TICKET_EARLY_MS = 50;

/**
 * Throttle parameters for a rate: slot spacing; how far ahead of its even-spacing time a slot may be taken (the
 * burst); how many sends any one second may hold, which is what the booked slots give when every delivery comes
 * back on time; and how close a send may follow the one before it: half a slot, less the burst, so that a
 * delivery coming back on time right after a late one does not go out in the same instant.
 */
export function throttleParameters(ratePerSecond: number): { intervalMs: number; toleranceMs: number; sendsPerSecond: number; minGapMs: number } {
  const intervalMs = 1000 / ratePerSecond;
  const burst = Math.max(1, ratePerSecond * BURST_SECONDS);
  const toleranceMs = (burst - 1) * intervalMs;
  return {
    intervalMs,
    toleranceMs,
    // The epsilon keeps float noise (30 × 0.1 = 3.0000000000000004) from adding a send.
    sendsPerSecond: Math.ceil(ratePerSecond + burst - 1 - 1e-9),
    minGapMs: Math.max(0, intervalMs / 2 - toleranceMs),
  };
}

/** The times of a key's sends during the last second, oldest first. */
class SendWindow {
  private times: number[] = [];
  private head = 0;

  /** When the next send may go: now, once the newest send is `minGapMs` old, and once the window has room. */
  roomAt(now: number, limit: number, minGapMs: number): number {
    while (this.head < this.times.length && this.times[this.head]! <= now - 1000) this.head++;
    if (this.head > 64 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    const count = this.times.length - this.head;
    const afterNewest = count > 0 ? this.times[this.times.length - 1]! + minGapMs : now;
    const windowRoom = count < limit ? now : this.times[this.times.length - limit]! + 1000;
    return Math.max(now, afterNewest, windowRoom);
  }

  add(now: number): void {
    this.times.push(now);
  }

  get last(): number {
    return this.times.length > this.head ? this.times[this.times.length - 1]! : -Infinity;
  }
}

/**
 * Per key, a GCRA schedule of booked slots, which spreads deliveries that must wait over the coming seconds, and
 * the window of the last second's sends, which every send must fit. A delivery that comes back late for its slot
 * sends late, and the one booked after it still sends at its own slot if the window has room (and half a slot has
 * passed since), else it is put back until then. So workers coming back late never crowd a second beyond the rate
 * (and its burst), and never make the endpoint fall behind its rate either.
 */
interface Schedule {
  booked: number;
  window: SendWindow;
}

/** The throttle in memory, with slots booked per ticket (see `Throttle`). */
export class LocalThrottle implements Throttle {
  private readonly schedules = new Map<string, Schedule>();
  /** The slot booked for each ticket not yet redeemed. */
  private readonly tickets = new Map<string, number>();

  async reserve(key: string, ratePerSecond: number, now: number, ticket: string): Promise<number> {
    if (!(ratePerSecond > 0)) return 0;
    const { intervalMs, toleranceMs, sendsPerSecond, minGapMs } = throttleParameters(ratePerSecond);
    let schedule = this.schedules.get(key);
    if (!schedule) {
      if (this.schedules.size >= PRUNE_ABOVE) this.pruneSchedules(now);
      schedule = { booked: now, window: new SendWindow() };
      this.schedules.set(key, schedule);
    }
    // Tickets of deliveries that went elsewhere (canceled, sent by another process) are never redeemed.
    if (this.tickets.size >= PRUNE_ABOVE) this.pruneTickets(now - 60_000);

    let at = this.tickets.get(ticket);
    if (at === undefined) {
      const free = Math.max(schedule.booked, now);
      at = Math.max(now, free - toleranceMs);
      schedule.booked = free + intervalMs;
    } else if (now >= at - TICKET_EARLY_MS) {
      at = now;
    }
    if (at <= now) at = schedule.window.roomAt(now, sendsPerSecond, minGapMs);
    if (at > now) {
      this.tickets.set(ticket, at);
      return Math.ceil(at - now);
    }
    this.tickets.delete(ticket);
    schedule.window.add(now);
    return 0;
  }

  private pruneSchedules(now: number): void {
    for (const [key, schedule] of this.schedules) if (schedule.booked <= now && schedule.window.last <= now - 1000) this.schedules.delete(key);
  }

  private pruneTickets(before: number): void {
    for (const [ticket, slot] of this.tickets) if (slot <= before) this.tickets.delete(ticket);
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
