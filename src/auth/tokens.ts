import { constantTimeEqual, hashToken } from '../core/secret-box.js';
import { ExpiringCache } from '../core/expiring-cache.js';
import { randomToken } from '../core/ids.js';
import type { ApiToken, PrincipalKind, Store } from '../store/port.js';
import { PORTAL_READ_SCOPES, PORTAL_WRITE_SCOPES } from './scopes.js';

export interface Principal {
  /** The credential's id: a token or key id, or for an OAuth access token its client's or key's id. */
  tokenId: string;
  kind: PrincipalKind;
  /** Set when the credential is confined to one application. */
  appId: string | null;
  scopes: string[];
  /** Requests per second allowed to this credential; null: the configured default. */
  rateLimit: number | null;
  /** For an OAuth access token: its id, its refresh family, and when it expires. */
  session?: { id: string; familyId: string | null; expiresAt: Date };
}

const tokenPrefixes: Record<'admin' | 'app_portal', string> = { admin: 'hy_admin_', app_portal: 'appsk_' };

export function generateToken(kind: 'admin' | 'app_portal'): string {
  return `${tokenPrefixes[kind]}${randomToken(32)}`;
}

/** API keys look like `hyk_1a2B3c4D_<secret>`: the part before the second underscore is shown in lists. */
export function generateApiKey(): { key: string; prefix: string } {
  const prefix = `hyk_${randomToken(6).replace(/[-_]/g, 'x')}`;
  return { key: `${prefix}_${randomToken(32)}`, prefix };
}

/** Signs a short-lived access token into a principal, or null if it is not one of ours, expired or revoked. */
export type AccessTokenVerifier = (token: string) => Promise<Principal | null>;

/** How often a key's last use is written: often enough to tell a key in use from a forgotten one. */
const LAST_USED_EVERY_MS = 60_000;

/** The scopes a stored token carries; portal tokens made before scopes were finer-grained are mapped onto them. */
function scopesOf(token: ApiToken): string[] {
  if (token.kind !== 'app_portal' || !token.scopes.includes('app:write') || token.scopes.includes('endpoint:write')) return token.scopes;
  return [...PORTAL_WRITE_SCOPES];
}

export function portalScopes(readOnly: boolean): string[] {
  return [...(readOnly ? PORTAL_READ_SCOPES : PORTAL_WRITE_SCOPES)];
}

/**
 * Resolves bearer tokens to principals. Tokens are stored as SHA-256 hashes and looked up by hash; the short cache
 * keeps the store off the hot path, which bounds how long a revoked token keeps working (cacheMs) unless the
 * revocation happened in this process, which evicts it at once.
 */
export class TokenAuthenticator {
  private readonly cache: ExpiringCache<string, Principal | null>;

  /** Verifies OAuth access tokens (signed, not stored); set once the authorization server is wired in. */
  accessTokens: AccessTokenVerifier | null = null;

  constructor(
    private readonly store: Pick<Store, 'findApiTokenByHash' | 'touchApiToken'>,
    private readonly now: () => number = Date.now,
    private readonly cacheMs = 5000,
    maxEntries = 10_000,
  ) {
    this.cache = new ExpiringCache(maxEntries);
  }

  async authenticate(token: string): Promise<Principal | null> {
    const hash = hashToken(token);
    const time = this.now();
    const cached = this.cache.get(hash, time);
    if (cached !== undefined) return cached;
    // Access tokens are JWTs (three dot-separated parts); stored credentials never contain a dot.
    if (this.accessTokens && token.split('.').length === 3) {
      const principal = await this.accessTokens(token);
      this.remember(hash, principal, time + this.cacheMs);
      return principal;
    }
    const row = await this.store.findApiTokenByHash(hash);
    let principal: Principal | null = null;
    if (
      row &&
      constantTimeEqual(row.tokenHash, hash) &&
      row.revokedAt === null &&
      (row.expiresAt === null || row.expiresAt.getTime() > time)
    ) {
      principal = { tokenId: row.id, kind: row.kind, appId: row.appId, scopes: scopesOf(row), rateLimit: row.rateLimit };
      if (row.kind === 'api_key' && (row.lastUsedAt === null || time - row.lastUsedAt.getTime() >= LAST_USED_EVERY_MS)) {
        // Bookkeeping, not part of the request: a failure to record it must not fail the call.
        void this.store.touchApiToken(row.id, new Date(time)).catch(() => undefined);
      }
    }
    this.remember(hash, principal, Math.min(time + this.cacheMs, row?.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY));
    return principal;
  }

  private remember(hash: string, principal: Principal | null, expiresAt: number): void {
    this.cache.set(hash, principal, expiresAt);
  }

  forget(tokenId: string): void {
    this.cache.deleteWhere((principal) => principal?.tokenId === tokenId);
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
