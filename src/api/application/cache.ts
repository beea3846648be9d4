import { ExpiringCache } from '../../core/expiring-cache.js';
import type { Application, ApplicationStore } from '../../store/port.js';

/**
 * Applications as publishing sees them: every message names its application, and applications change rarely, so
 * found ones are kept for a second. A change made through this process is seen at once (`forget`); one made through
 * another process within a second (a deleted application may take one more message meanwhile, whose deliveries go
 * nowhere, as its endpoints are gone).
 */
export class ApplicationCache {
  private readonly cache = new ExpiringCache<string, Application>();

  constructor(
    private readonly store: Pick<ApplicationStore, 'getApplication'>,
    private readonly now: () => number,
    private readonly cacheMs = 1000,
  ) {}

  async get(idOrUid: string): Promise<Application | undefined> {
    const time = this.now();
    const cached = this.cache.get(idOrUid, time);
    if (cached !== undefined) return cached;
    // Misses are not kept: an application created a moment later must be found at once.
    const application = await this.store.getApplication(idOrUid);
    if (application) this.cache.set(idOrUid, application, time + this.cacheMs);
    return application;
  }

  /** After a change to an application (or to which id or uid names one). */
  forget(): void {
    this.cache.deleteWhere(() => true);
  }
}
