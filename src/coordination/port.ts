/**
 * What processes of one Hookyard deployment share beyond the store: send-rate budgets, the single probe of a
 * half-open circuit breaker, and "new work was committed" wake-ups. A single process keeps all of it in memory;
 * a cluster keeps it in Redis (or, for wake-ups, PostgreSQL LISTEN/NOTIFY), behind these interfaces.
 */

/**
 * Per-key send rate (an endpoint's `throttleRate`, messages per second). A caller asks for a send slot; when the
 * next free slot is later, it is booked under the caller's ticket, and the caller comes back then: presenting the
 * same ticket at its slot, it sends, unless the key's sends of the last second already fill the rate (a delivery
 * before it went out late), in which case it is put back until they do not. So deliveries held back return one by
 * one at the rate, instead of all competing again, whichever process they return to, and no second holds more.
 */
export interface Throttle {
  /** Books (or redeems) a send slot for `key`; resolves the milliseconds from now until it (0: send now). */
  reserve(key: string, ratePerSecond: number, now: number, ticket: string): Promise<number>;
}

/** The right to send a half-open breaker's probe: held by one worker at a time, for at most `ttlMs`. */
export interface ProbeGate {
  /** `held` when this caller now holds it; otherwise how long until the current holder's right lapses. */
  acquire(endpointId: string, ttlMs: number, now: number): Promise<{ held: true } | { held: false; freeInMs: number }>;
  release(endpointId: string): Promise<void>;
}

/** A request quota: `limit` requests per `windowSeconds`, all of which may come at once (IETF RateLimit `q` and `w`). */
export interface RateLimitPolicy {
  limit: number;
  windowSeconds: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** Requests still allowed right now, after this one. */
  remaining: number;
  /** Seconds until the full quota is available again. */
  resetSeconds: number;
  /** When refused: seconds until one more request is allowed. */
  retryAfterSeconds: number;
}

/** API request quotas per caller (a key, or an address for unauthenticated routes). GCRA: one timestamp per key. */
export interface RateLimiter {
  take(key: string, policy: RateLimitPolicy, now: number): Promise<RateLimitDecision>;
}

/** Tells idle workers, in this process and others, that deliveries were committed and may be due. */
export interface WorkSignal {
  /** Fire and forget; bursts of announcements are coalesced. */
  announce(): void;
  /** The listener also runs after a lost connection is back, as announcements may have been missed meanwhile. */
  subscribe(listener: () => void): () => void;
  close(): Promise<void>;
}

export interface DependencyStatus {
  ok: boolean;
  /** Why not, when not ok; never holds credentials. */
  detail: string | null;
}

export interface Coordination {
  /** `redis` when shared through Redis; otherwise each process decides alone. */
  readonly scope: 'process' | 'redis';
  readonly throttle: Throttle;
  readonly probes: ProbeGate;
  readonly signal: WorkSignal;
  readonly rateLimiter: RateLimiter;
  /** Null when there is no shared dependency to check. */
  health(): Promise<DependencyStatus | null>;
  close(): Promise<void>;
}
