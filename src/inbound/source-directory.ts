import { ExpiringCache } from '../core/expiring-cache.js';
import type { Source, SourceStore } from '../store/port.js';

/**
 * Finds sources by the token in their ingest URL. Every received webhook needs one lookup, and sources change
 * rarely, so answers (also "no such token") are kept for a few seconds: a change made in another process reaches
 * this one within `cacheMs`; one made through this process's API is seen at once.
 */
export class SourceDirectory {
  private readonly cache = new ExpiringCache<string, Source | null>();

  constructor(
    private readonly store: Pick<SourceStore, 'findSourceByToken'>,
    private readonly now: () => number,
    private readonly cacheMs = 5000,
  ) {}

  async byToken(token: string): Promise<Source | null> {
    const time = this.now();
    const cached = this.cache.get(token, time);
    if (cached !== undefined) return cached;
    const source = (await this.store.findSourceByToken(token)) ?? null;
    this.cache.set(token, source, time + this.cacheMs);
    return source;
  }

  /** Drops every cached answer about a source (it changed) and about unknown tokens (one may now exist). */
  forget(sourceId: string): void {
    this.cache.deleteWhere((source) => source === null || source.id === sourceId);
  }
}
