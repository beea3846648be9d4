import type { Source, SourceStore } from '../store/port.js';

interface Entry {
  source: Source | null;
  expiresAt: number;
}

/**
 * Finds sources by the token in their ingest URL. Every received webhook needs one lookup, and sources change
 * rarely, so answers (also "no such token") are kept for a few seconds: a change made in another process reaches
 * this one within `cacheMs`; one made through this process's API is seen at once.
 */
export class SourceDirectory {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly store: Pick<SourceStore, 'findSourceByToken'>,
    private readonly now: () => number,
    private readonly cacheMs = 5000,
    private readonly maxEntries = 10_000,
  ) {}

  async byToken(token: string): Promise<Source | null> {
    const time = this.now();
    const cached = this.cache.get(token);
    if (cached && cached.expiresAt > time) return cached.source;
    const source = (await this.store.findSourceByToken(token)) ?? null;
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(token, { source, expiresAt: time + this.cacheMs });
    return source;
  }

  /** Drops every cached answer about a source (it changed) and about unknown tokens (one may now exist). */
  forget(sourceId: string): void {
    for (const [token, entry] of this.cache) if (entry.source === null || entry.source.id === sourceId) this.cache.delete(token);
  }
}
