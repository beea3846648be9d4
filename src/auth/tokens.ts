import { constantTimeEqual, hashToken } from '../core/secret-box.js';
import { randomToken } from '../core/ids.js';
import type { PrincipalKind, Store } from '../store/port.js';

export interface Principal {
  tokenId: string;
  kind: PrincipalKind;
  /** Set when the credential is confined to one application. */
  appId: string | null;
  scopes: string[];
}

const tokenPrefixes: Record<PrincipalKind, string> = { admin: 'hy_admin_', app_portal: 'appsk_' };

export function generateToken(kind: PrincipalKind): string {
  return `${tokenPrefixes[kind]}${randomToken(32)}`;
}

interface CacheEntry {
  principal: Principal | null;
  expiresAt: number;
}

/**
 * Resolves bearer tokens to principals. Tokens are stored as SHA-256 hashes and looked up by hash; the short cache
 * keeps the store off the hot path, which bounds how long a revoked token keeps working (cacheMs) unless the
 * revocation happened in this process, which evicts it at once.
 */
export class TokenAuthenticator {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
    private readonly cacheMs = 5000,
    private readonly maxEntries = 10_000,
  ) {}

  async authenticate(token: string): Promise<Principal | null> {
    const hash = hashToken(token);
    const cached = this.cache.get(hash);
    const time = this.now();
    if (cached && cached.expiresAt > time) return cached.principal;
    const row = await this.store.findApiTokenByHash(hash);
    let principal: Principal | null = null;
    if (
      row &&
      constantTimeEqual(row.tokenHash, hash) &&
      row.revokedAt === null &&
      (row.expiresAt === null || row.expiresAt.getTime() > time)
    ) {
      principal = { tokenId: row.id, kind: row.kind, appId: row.appId, scopes: row.scopes };
    }
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    const expiresAt = Math.min(time + this.cacheMs, row?.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY);
    this.cache.set(hash, { principal, expiresAt });
    return principal;
  }

  forget(tokenId: string): void {
    for (const [hash, entry] of this.cache) if (entry.principal?.tokenId === tokenId) this.cache.delete(hash);
  }
}

/**
 * Makes sure an admin credential exists. An operator-supplied token is registered (hashed) if new; otherwise, on
 * the very first start, one is generated and returned so it can be shown once.
 */
export async function bootstrapAdminToken(store: Store, configured: string | null): Promise<string | null> {
  if (configured) {
    const hash = hashToken(configured);
    if (!(await store.findApiTokenByHash(hash))) {
      await store.createApiToken({ kind: 'admin', appId: null, name: 'HOOKYARD_ADMIN_TOKEN', scopes: ['admin'], tokenHash: hash, expiresAt: null });
    }
    return null;
  }
  // The settings row makes "first start" a durable fact, so a second process or restart never mints another.
  const claim = await store.putSettingIfAbsent('admin_token_bootstrap', `pending:${process.pid}:${Date.now()}`);
  if (!claim.startsWith(`pending:${process.pid}:`) || (await store.countApiTokens('admin')) > 0) return null;
  const token = generateToken('admin');
  await store.createApiToken({ kind: 'admin', appId: null, name: 'bootstrap', scopes: ['admin'], tokenHash: hashToken(token), expiresAt: null });
  return token;
}
