import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';
import type { OAuthSubjectKind } from '../../store/port.js';

/** What an access token says about its bearer. */
export interface AccessTokenClaims {
  /** The client, key or token the session acts for. */
  subject: string;
  subjectKind: OAuthSubjectKind;
  scopes: string[];
  appId: string | null;
  /** The refresh-token family it was minted with, if any: revoking the family revokes it. */
  familyId: string | null;
}

export interface VerifiedAccessToken extends AccessTokenClaims {
  id: string;
  issuedAt: Date;
  expiresAt: Date;
}

const ALGORITHM = 'HS256';
const TOKEN_TYPE = 'at+jwt';

/** The signing key is derived from the main key, so there is no further secret to provision or leak. */
function signingKey(mainKeyBase64: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', Buffer.from(mainKeyBase64, 'base64'), Buffer.alloc(0), 'hookyard oauth access tokens v1', 32));
}

function keyId(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 8);
}

/**
 * Short-lived access tokens: JWTs (RFC 9068 profile) signed with HMAC-SHA256. They are checked without the store;
 * the store is asked only whether the token, its refresh family or its subject has been revoked since.
 */
export class AccessTokens {
  private readonly current: { key: Uint8Array; kid: string };
  /** Keys derived from previous main keys: tokens signed before a main-key rotation stay valid until they expire. */
  private readonly byKid: Map<string, Uint8Array>;

  constructor(
    mainKeys: readonly string[],
    private readonly issuer: string,
    private readonly lifetimeSeconds: number,
  ) {
    const keys = mainKeys.map(signingKey);
    this.current = { key: keys[0]!, kid: keyId(keys[0]!) };
    this.byKid = new Map(keys.map((key) => [keyId(key), key]));
  }

  get lifetimeMs(): number {
    return this.lifetimeSeconds * 1000;
  }

  async issue(claims: AccessTokenClaims, nowMs: number): Promise<{ token: string; id: string; expiresAt: Date }> {
    const id = randomBytes(16).toString('base64url');
    const issuedAt = Math.floor(nowMs / 1000);
    const expiresAt = issuedAt + this.lifetimeSeconds;
    const token = await new SignJWT({
      scope: claims.scopes.join(' '),
      client_id: claims.subject,
      knd: claims.subjectKind,
      ...(claims.appId ? { app: claims.appId } : {}),
      ...(claims.familyId ? { fam: claims.familyId } : {}),
    })
      .setProtectedHeader({ alg: ALGORITHM, typ: TOKEN_TYPE, kid: this.current.kid })
      .setIssuer(this.issuer)
      .setSubject(claims.subject)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .setJti(id)
      .sign(this.current.key);
    return { token, id, expiresAt: new Date(expiresAt * 1000) };
  }

  /** The token's claims if it is ours and (unless `allowExpired`, for revocation) still valid; otherwise null. */
  async verify(token: string, nowMs: number, allowExpired = false): Promise<VerifiedAccessToken | null> {
    try {
      const { payload } = await jwtVerify(token, async (header) => this.byKid.get(header.kid ?? '') ?? this.current.key, {
        algorithms: [ALGORITHM],
        issuer: this.issuer,
        typ: TOKEN_TYPE,
        currentDate: new Date(nowMs),
        ...(allowExpired ? { clockTolerance: Number.MAX_SAFE_INTEGER } : {}),
      });
      const kind = payload.knd;
      if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string' || typeof payload.scope !== 'string') return null;
      if (kind !== 'oauth_client' && kind !== 'api_key' && kind !== 'app_portal' && kind !== 'admin') return null;
      return {
        id: payload.jti,
        subject: payload.sub,
        subjectKind: kind,
        scopes: payload.scope.split(' ').filter(Boolean),
        appId: typeof payload.app === 'string' ? payload.app : null,
        familyId: typeof payload.fam === 'string' ? payload.fam : null,
        issuedAt: new Date((payload.iat ?? 0) * 1000),
        expiresAt: new Date((payload.exp ?? 0) * 1000),
      };
    } catch (error) {
      if (error instanceof errors.JOSEError || error instanceof TypeError) return null;
      throw error;
    }
  }
}
