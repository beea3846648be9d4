import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { Coalescer, Listeners, LocalProbeGate, LocalRateLimiter, LocalThrottle, TICKET_EARLY_MS, throttleParameters } from './local.js';
import type { Coordination, DependencyStatus, ProbeGate, RateLimiter, Throttle, WorkSignal } from './port.js';

/**
 * `LocalThrottle`'s booked slots and window of sends in one atomic step, on Redis's clock so that workers with
 * drifting clocks share them. KEYS: the booking TAT, the ticket's slot, the list of the last second's send times
 * (newest first). Returns the milliseconds until the caller may send (0: now). Keys expire once their time has
 * passed: idle endpoints cost nothing.
 */
const RESERVE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local early = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local gap = tonumber(ARGV[5])
local at = tonumber(redis.call('GET', KEYS[2]) or '-1')
if at < 0 then
  local free = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
  at = math.max(now, free - tolerance)
  redis.call('SET', KEYS[1], string.format('%.3f', free + interval), 'PX', math.ceil(free + interval - now) + 1000)
elseif now >= at - early then
  at = now
end
if at <= now then
  while true do
    local oldest = redis.call('LINDEX', KEYS[3], -1)
    if not oldest or tonumber(oldest) > now - 1000 then break end
    redis.call('RPOP', KEYS[3])
  end
  local newest = redis.call('LINDEX', KEYS[3], 0)
  if newest then at = math.max(at, tonumber(newest) + gap) end
  if redis.call('LLEN', KEYS[3]) >= limit then at = math.max(at, tonumber(redis.call('LINDEX', KEYS[3], limit - 1)) + 1000) end
end
if at > now then
  redis.call('SET', KEYS[2], string.format('%.3f', at), 'PX', math.ceil(at - now) + 60000)
  return math.ceil(at - now)
end
redis.call('DEL', KEYS[2])
redis.call('LPUSH', KEYS[3], now)
redis.call('PEXPIRE', KEYS[3], 1000)
return 0
`;

/** Takes the probe key if free (-1), else tells how long it is still held, in milliseconds. */
const ACQUIRE_SCRIPT = `
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return -1 end
return redis.call('PTTL', KEYS[1])
`;

/** Deletes the probe key only while it still holds our token: an expired probe must not free a successor's. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * The API quota's GCRA step (see gcraTake), atomically and on Redis's clock. Returns {allowed, remaining, reset ms,
 * retry-after ms}; the key lives until its TAT has passed.
 */
const TAKE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local interval = window / tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local nextTat = tat + interval
local allowAt = nextTat - window
if now < allowAt then return {0, 0, math.ceil(tat - now), math.ceil(allowAt - now)} end
redis.call('SET', KEYS[1], string.format('%.3f', nextTat), 'PX', math.ceil(nextTat - now) + 1000)
return {1, math.floor((now + window - nextTat) / interval), math.ceil(nextTat - now), 0}
`;

interface ScriptedRedis extends Redis {
  hookyardTake(key: string, windowMs: number, limit: number): Promise<[number, number, number, number]>;
  hookyardReserve(bookedKey: string, ticketKey: string, sendsKey: string, intervalMs: number, toleranceMs: number, earlyMs: number, sendsPerSecond: number, minGapMs: number): Promise<number>;
  hookyardAcquire(key: string, token: string, ttlMs: number): Promise<number>;
  hookyardRelease(key: string, token: string): Promise<number>;
}

export interface RedisCoordinationOptions {
  url: string;
  /** Every key and channel starts with it, so deployments (and test runs) can share one Redis. */
  keyPrefix: string;
  logger: Logger;
  /** How long a start waits for a first connection before going on degraded. */
  connectTimeoutMs?: number;
}

/**
 * Cluster-wide throttles, probe gates, API quotas and wake-ups through Redis. While Redis is unreachable every operation falls
 * back to this process's own memory (a throttle or quota then holds per process, not per cluster) and `health()` reports
 * it; nothing waits on Redis, because nothing Hookyard has accepted depends on it.
 */
export class RedisCoordination implements Coordination {
  readonly scope = 'redis' as const;
  readonly throttle: Throttle;
  readonly probes: ProbeGate;
  readonly signal: WorkSignal;
  readonly rateLimiter: RateLimiter;

  private readonly client: ScriptedRedis;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly logger: Logger;
  private readonly fallbackThrottle = new LocalThrottle();
  private readonly fallbackProbes = new LocalProbeGate();
  private readonly fallbackRateLimiter = new LocalRateLimiter();
  private readonly listeners = new Listeners();
  private readonly announcer: Coalescer;
  private lastError: string | null = null;
  private degradedSince: number | null = null;

  static async connect(options: RedisCoordinationOptions): Promise<RedisCoordination> {
    const coordination = new RedisCoordination(options);
    await coordination.firstConnection(options.connectTimeoutMs ?? 5000);
    return coordination;
  }

  private constructor(options: RedisCoordinationOptions) {
    this.prefix = options.keyPrefix;
    this.logger = options.logger.child({ component: 'redis' });
    const clientOptions: RedisOptions = {
      lazyConnect: true,
      // Fail fast while disconnected: callers fall back at once instead of queueing behind a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 1000,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000),
    };
    this.client = new Redis(options.url, clientOptions) as ScriptedRedis;
    this.client.defineCommand('hookyardReserve', { numberOfKeys: 3, lua: RESERVE_SCRIPT });
    this.client.defineCommand('hookyardAcquire', { numberOfKeys: 1, lua: ACQUIRE_SCRIPT });
    this.client.defineCommand('hookyardRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    this.client.defineCommand('hookyardTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    // A subscribed connection cannot run other commands; its own reconnects re-subscribe automatically.
    this.subscriber = new Redis(options.url, { ...clientOptions, enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined });
    for (const connection of [this.client, this.subscriber]) {
      connection.on('error', (error: Error) => this.markDown(error));
      connection.on('ready', () => this.markUp());
    }
    const channel = this.key('work');
    this.subscriber.on('message', (from: string) => {
      if (from === channel) this.listeners.notify();
    });
    // Announcements sent while the subscription was down are lost; waking on its return covers them.
    this.subscriber.on('ready', () => this.listeners.notify());
    this.announcer = new Coalescer(() => this.client.publish(channel, ''));

    this.throttle = {
      reserve: async (key, ratePerSecond, now, ticket) => {
        if (!(ratePerSecond > 0)) return 0;
        const { intervalMs, toleranceMs, sendsPerSecond, minGapMs } = throttleParameters(ratePerSecond);
        try {
          const keys = [this.key(`throttle:${key}`), this.key(`slot:${ticket}`), this.key(`throttle-sends:${key}`)] as const;
          return await this.client.hookyardReserve(...keys, intervalMs, toleranceMs, TICKET_EARLY_MS, sendsPerSecond, minGapMs);
        } catch (error) {
          this.markDown(error as Error);
          return this.fallbackThrottle.reserve(key, ratePerSecond, now, ticket);
        }
      },
    };
    this.rateLimiter = {
      take: async (key, policy, now) => {
        try {
          const [allowed, remaining, resetMs, retryAfterMs] = await this.client.hookyardTake(this.key(`quota:${key}`), policy.windowSeconds * 1000, policy.limit);
          return {
            allowed: allowed === 1,
            remaining,
            resetSeconds: Math.ceil(resetMs / 1000),
            retryAfterSeconds: allowed === 1 ? 0 : Math.max(1, Math.ceil(retryAfterMs / 1000)),
          };
        } catch (error) {
          this.markDown(error as Error);
          return this.fallbackRateLimiter.take(key, policy, now);
        }
      },
    };
    const token = randomBytes(8).toString('hex');
    this.probes = {
      acquire: async (endpointId, ttlMs, now) => {
        try {
          const heldForMs = await this.client.hookyardAcquire(this.key(`probe:${endpointId}`), token, Math.max(1, Math.ceil(ttlMs)));
          return heldForMs === -1 ? { held: true } : { held: false, freeInMs: Math.max(0, heldForMs) };
        } catch (error) {
          this.markDown(error as Error);
          return this.fallbackProbes.acquire(endpointId, ttlMs, now);
        }
      },
      release: async (endpointId) => {
        await this.fallbackProbes.release(endpointId);
        try {
          await this.client.hookyardRelease(this.key(`probe:${endpointId}`), token);
        } catch (error) {
          // The key expires by itself; meanwhile other workers wait a little longer for the next probe.
          this.markDown(error as Error);
        }
      },
    };
    this.signal = {
      announce: () => this.announcer.trigger(),
      subscribe: (listener) => this.listeners.add(listener),
      close: async () => undefined,
    };
  }

  private key(name: string): string {
    return `${this.prefix}${name}`;
  }

  private async firstConnection(timeoutMs: number): Promise<void> {
    const connected = Promise.all([this.client.connect(), this.subscriber.connect().then(() => this.subscriber.subscribe(this.key('work')))]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    try {
      const result = await Promise.race([connected, timedOut]);
      if (result === 'timeout') this.logger.warn('Redis is not reachable yet; running degraded until it is');
    } catch (error) {
      this.markDown(error as Error);
      this.logger.warn('Redis is not reachable yet; running degraded until it is');
      // ioredis keeps retrying; the subscription is made once the connection is back.
      this.subscriber.once('ready', () => void this.subscriber.subscribe(this.key('work')).catch(() => undefined));
    } finally {
      clearTimeout(timer);
    }
  }

  private markDown(error: Error): void {
    this.lastError = error.message;
    if (this.degradedSince === null) {
      this.degradedSince = Date.now();
      this.logger.warn({ err: { message: error.message } }, 'Redis unavailable: throttles and probes are per process until it is back');
    }
  }

  private markUp(): void {
    if (this.client.status !== 'ready' || this.subscriber.status !== 'ready') return;
    if (this.degradedSince !== null) this.logger.info({ downMs: Date.now() - this.degradedSince }, 'Redis is back');
    this.degradedSince = null;
    this.lastError = null;
  }

  async health(): Promise<DependencyStatus> {
    try {
      await this.client.ping();
      if (this.subscriber.status !== 'ready') return { ok: false, detail: `subscriber ${this.subscriber.status}` };
      return { ok: true, detail: null };
    } catch (error) {
      this.markDown(error as Error);
      return { ok: false, detail: this.lastError ?? (error as Error).message };
    }
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
