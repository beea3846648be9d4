import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Store } from '../store/port.js';
import { LocalProbeGate, LocalRateLimiter, LocalThrottle, ProcessWorkSignal } from './local.js';
import type { Coordination, WorkSignal } from './port.js';
import { RedisCoordination } from './redis.js';

/**
 * Picks how this process shares throttles, probes, API quotas and wake-ups: through Redis when it is configured; otherwise in
 * memory, with wake-ups through PostgreSQL LISTEN/NOTIFY when the store is shared.
 */
export async function openCoordination(config: Pick<Config, 'redisUrl' | 'redisKeyPrefix'>, store: Store, logger: Logger): Promise<Coordination> {
  if (config.redisUrl) return RedisCoordination.connect({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix, logger });
  return new ProcessCoordination(store.createWorkSignal(logger.child({ component: 'work-signal' })) ?? new ProcessWorkSignal());
}

class ProcessCoordination implements Coordination {
  readonly scope = 'process' as const;
  readonly throttle = new LocalThrottle();
  readonly probes = new LocalProbeGate();
  readonly rateLimiter = new LocalRateLimiter();

  constructor(readonly signal: WorkSignal) {}

  async health(): Promise<null> {
    return null;
  }

  async close(): Promise<void> {
    await this.signal.close();
  }
}
