import { randomBytes } from 'node:crypto';
import { constantTimeEqual, hashToken } from '../../core/secret-box.js';
import type { OAuthClient, OAuthSubjectKind, Store } from '../../store/port.js';
import { grants, isScope, narrow } from '../scopes.js';
import type { Principal, TokenAuthenticator } from '../tokens.js';
import type { AccessTokens, VerifiedAccessToken } from './access-tokens.js';

/** RFC 6749 §5.2 errors; `invalid_client` is a 401 with a Basic challenge, the rest are 400. */
export class OAuthError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope' | 'unsupported_token_type',
    readonly description: string,
  ) {
    super(description);
  }
  get status(): number {
    return this.error === 'invalid_client' ? 401 : 400;
  }
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  issued_token_type?: string;
  /** Extension: the application a confined session is limited to, so a client (the consumer portal) knows it. */
  app_id?: string;
}

export interface ClientCredentials {
  id: string;
  secret: string;
}

/** RFC 8693 token exchange: how the dashboard turns an API key (or portal token) into a refreshable session. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
/** Asking for this scope with client credentials gets a refresh token too (a client acting as a dashboard). */
const OFFLINE_ACCESS = 'offline_access';

export interface AuthorizationServerOptions {
  store: Store;
  tokens: AccessTokens;
  authenticator: TokenAuthenticator;
  refreshLifetimeSeconds: number;
  now: () => number;
}

function parseScope(raw: string | undefined): string[] | null {
  if (raw === undefined || raw.trim() === '') return null;
  return [...new Set(raw.trim().split(/\s+/))];
}

/** An active token as RFC 7662 describes it. */
function describeToken(type: string, subject: string, scopes: string[], appId: string | null, issuedAt: Date, expiresAt: Date): Record<string, unknown> {
  return {
    active: true,
    token_type: type,
    scope: scopes.join(' '),
    client_id: subject,
    sub: subject,
    iat: Math.floor(issuedAt.getTime() / 1000),
    exp: Math.floor(expiresAt.getTime() / 1000),
    ...(appId ? { app_id: appId } : {}),
  };
}

function newRefreshToken(): string {
  return `hyr_${randomBytes(32).toString('base64url')}`;
}

/**
 * The OAuth 2.0 authorization server: `client_credentials` for services, token exchange of an API key for the
 * dashboard's sessions, `refresh_token` with rotation and reuse detection, revocation (RFC 7009) and
 * introspection (RFC 7662). Access tokens are short-lived signed JWTs; refresh tokens are stored hashed.
 */
export class AuthorizationServer {
  constructor(private readonly options: AuthorizationServerOptions) {}

  /** Checks a client's id and secret; `invalid_client` for anything wrong, without saying which part. */
  async authenticateClient(credentials: ClientCredentials | null): Promise<OAuthClient> {
    if (!credentials) throw new OAuthError('invalid_client', 'Client authentication is required.');
    const client = /^cli_[A-Za-z0-9]{27}$/.test(credentials.id) ? await this.options.store.getOAuthClient(credentials.id) : undefined;
    const presented = hashToken(credentials.secret);
    // Compared against every valid hash (current and, during rotation, previous) so the time taken is the same.
    const matches = (client?.secretHashes ?? [presented.replace(/./g, '0')]).map((hash) => constantTimeEqual(hash, presented)).some(Boolean);
    if (!client || !matches || client.revokedAt !== null) throw new OAuthError('invalid_client', 'Unknown client or wrong secret.');
    return client;
  }

  async token(params: Record<string, string | undefined>, credentials: ClientCredentials | null): Promise<TokenResponse> {
    switch (params.grant_type) {
      case 'client_credentials':
        return this.clientCredentials(params, await this.authenticateClient(credentials));
      case TOKEN_EXCHANGE_GRANT:
        return this.exchange(params);
      case 'refresh_token':
        return this.refresh(params, credentials);
      case undefined:
        throw new OAuthError('invalid_request', 'grant_type is required.');
      default:
        throw new OAuthError('unsupported_grant_type', `grant_type ${JSON.stringify(params.grant_type.slice(0, 64))} is not supported.`);
    }
  }

  private async clientCredentials(params: Record<string, string | undefined>, client: OAuthClient): Promise<TokenResponse> {
    const requested = parseScope(params.scope);
    const offline = requested?.includes(OFFLINE_ACCESS) ?? false;
    const wanted = requested?.filter((scope) => scope !== OFFLINE_ACCESS) ?? client.scopes;
    if (wanted.some((scope) => !isScope(scope) || !grants(client.scopes, scope))) {
      throw new OAuthError('invalid_scope', `The client may ask for at most: ${client.scopes.join(' ')}.`);
    }
    const scopes = wanted.length > 0 ? wanted : client.scopes;
    return this.issue({ subject: client.id, subjectKind: 'oauth_client', scopes, appId: client.appId }, offline);
  }

  private async exchange(params: Record<string, string | undefined>): Promise<TokenResponse> {
    const presented = params.subject_token;
    if (!presented) throw new OAuthError('invalid_request', 'subject_token is required.');
    if (params.subject_token_type !== undefined && params.subject_token_type !== ACCESS_TOKEN_TYPE) {
      throw new OAuthError('invalid_request', `subject_token_type must be ${ACCESS_TOKEN_TYPE}.`);
    }
    const principal = await this.options.authenticator.authenticate(presented);
    // A session does not beget sessions: sign in again with the key.
    if (!principal || principal.kind === 'session') throw new OAuthError('invalid_grant', 'The subject_token is not a valid API key or token.');
    const requested = parseScope(params.scope);
    const scopes = requested === null ? principal.scopes : narrow(requested.filter(isScope), principal.scopes);
    if (requested !== null && scopes.length !== requested.length) throw new OAuthError('invalid_scope', 'Requested scopes exceed those of the subject_token.');
    return { ...(await this.issue({ subject: principal.tokenId, subjectKind: principal.kind, scopes, appId: principal.appId }, true)), issued_token_type: ACCESS_TOKEN_TYPE };
  }

  private async refresh(params: Record<string, string | undefined>, credentials: ClientCredentials | null): Promise<TokenResponse> {
    const presented = params.refresh_token;
    if (!presented) throw new OAuthError('invalid_request', 'refresh_token is required.');
    const { store, now } = this.options;
    const existing = await store.findRefreshToken(hashToken(presented));
    if (!existing) throw new OAuthError('invalid_grant', 'The refresh token is invalid, expired or revoked.');
    // A client's refresh tokens are bound to it (RFC 6749 §6); a dashboard session's are bearer tokens.
    if (existing.subjectKind === 'oauth_client' && (await this.authenticateClient(credentials)).id !== existing.subjectId) {
      throw new OAuthError('invalid_grant', 'The refresh token was issued to another client.');
    }
    const requested = parseScope(params.scope);
    if (requested !== null && requested.some((scope) => !existing.scopes.includes(scope))) {
      throw new OAuthError('invalid_scope', 'A refresh may narrow the scopes, never widen them.');
    }
    if (!(await this.subjectActive(existing.subjectId, existing.subjectKind))) throw new OAuthError('invalid_grant', 'The credential behind this session is revoked.');
    const token = newRefreshToken();
    const time = now();
    const rotation = await store.rotateRefreshToken(
      hashToken(presented),
      { tokenHash: hashToken(token), expiresAt: new Date(time + this.options.refreshLifetimeSeconds * 1000), scopes: requested ?? existing.scopes },
      new Date(time + this.options.tokens.lifetimeMs),
    );
    if (rotation.state === 'reused') {
      this.options.authenticator.forget(existing.subjectId);
      throw new OAuthError('invalid_grant', 'This refresh token was already used; the whole session is now revoked.');
    }
    if (rotation.state === 'invalid') throw new OAuthError('invalid_grant', 'The refresh token is invalid, expired or revoked.');
    const { successor } = rotation;
    const access = await this.options.tokens.issue(
      { subject: successor.subjectId, subjectKind: successor.subjectKind, scopes: successor.scopes, appId: successor.appId, familyId: successor.familyId },
      time,
    );
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: this.options.tokens.lifetimeMs / 1000,
      scope: successor.scopes.join(' '),
      refresh_token: token,
      ...(successor.appId ? { app_id: successor.appId } : {}),
    };
  }

  private async issue(subject: { subject: string; subjectKind: OAuthSubjectKind; scopes: string[]; appId: string | null }, withRefresh: boolean): Promise<TokenResponse> {
    const time = this.options.now();
    let refreshToken: string | undefined;
    let familyId: string | null = null;
    if (withRefresh) {
      refreshToken = newRefreshToken();
      familyId = `fam_${randomBytes(12).toString('base64url')}`;
      await this.options.store.createRefreshToken({
        familyId,
        subjectId: subject.subject,
        subjectKind: subject.subjectKind,
        scopes: subject.scopes,
        appId: subject.appId,
        expiresAt: new Date(time + this.options.refreshLifetimeSeconds * 1000),
        tokenHash: hashToken(refreshToken),
      });
    }
    const access = await this.options.tokens.issue({ ...subject, familyId }, time);
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: this.options.tokens.lifetimeMs / 1000,
      scope: subject.scopes.join(' '),
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
      ...(subject.appId ? { app_id: subject.appId } : {}),
    };
  }

  /** Whether the client, key or token a session acts for still stands. */
  private async subjectActive(subjectId: string, kind: OAuthSubjectKind): Promise<boolean> {
    const time = this.options.now();
    if (kind === 'oauth_client') {
      const client = await this.options.store.getOAuthClient(subjectId);
      return client !== undefined && client.revokedAt === null;
    }
    const token = await this.options.store.getApiToken(subjectId);
    return token !== undefined && token.revokedAt === null && (token.expiresAt === null || token.expiresAt.getTime() > time);
  }

  /** An access token's principal, for the API's authentication; null if invalid, expired or revoked. */
  async principalOf(token: string): Promise<Principal | null> {
    const verified = await this.verifyActive(token);
    if (!verified) return null;
    return {
      tokenId: verified.subject,
      kind: 'session',
      appId: verified.appId,
      scopes: verified.scopes,
      rateLimit: null,
      session: { id: verified.id, familyId: verified.familyId, expiresAt: verified.expiresAt },
    };
  }

  private async verifyActive(token: string): Promise<VerifiedAccessToken | null> {
    const verified = await this.options.tokens.verify(token, this.options.now());
    if (!verified) return null;
    const revoked = await this.options.store.revokedOAuthIds(verified.familyId ? [verified.id, verified.familyId] : [verified.id]);
    if (revoked.length > 0 || !(await this.subjectActive(verified.subject, verified.subjectKind))) return null;
    return verified;
  }

  /**
   * RFC 7009. Revoking a refresh token revokes its whole family (the access tokens minted with it included);
   * revoking an access token revokes it alone. A client may only revoke its own tokens; unknown tokens are
   * silently accepted, as the RFC requires.
   */
  async revoke(params: Record<string, string | undefined>, client: OAuthClient | null): Promise<void> {
    const presented = params.token;
    if (!presented) throw new OAuthError('invalid_request', 'token is required.');
    const hint = params.token_type_hint;
    if (hint !== undefined && hint !== 'access_token' && hint !== 'refresh_token') throw new OAuthError('unsupported_token_type', `token_type_hint ${hint.slice(0, 32)} is not supported.`);
    const time = this.options.now();
    const access = await this.options.tokens.verify(presented, time, true);
    if (access) {
      if (access.subjectKind === 'oauth_client' && access.subject !== client?.id) return;
      await this.options.store.revokeOAuthIds([access.id], access.expiresAt);
      this.options.authenticator.forget(access.subject);
      return;
    }
    const refresh = await this.options.store.findRefreshToken(hashToken(presented));
    if (!refresh || (refresh.subjectKind === 'oauth_client' && refresh.subjectId !== client?.id)) return;
    await this.options.store.revokeRefreshFamily(refresh.familyId, new Date(time + this.options.tokens.lifetimeMs));
    this.options.authenticator.forget(refresh.subjectId);
  }

  /** Ends the session an access token belongs to (logout): the token and its refresh family. */
  async endSession(session: NonNullable<Principal['session']>, subjectId: string): Promise<void> {
    await this.options.store.revokeOAuthIds(session.familyId ? [session.id, session.familyId] : [session.id], new Date(this.options.now() + this.options.tokens.lifetimeMs));
    if (session.familyId) await this.options.store.revokeRefreshFamily(session.familyId, new Date(this.options.now() + this.options.tokens.lifetimeMs));
    this.options.authenticator.forget(subjectId);
  }

  /** RFC 7662. Only an active token is described; anything else is `{active: false}` and nothing more. */
  async introspect(params: Record<string, string | undefined>): Promise<Record<string, unknown>> {
    const presented = params.token;
    if (!presented) throw new OAuthError('invalid_request', 'token is required.');
    const access = await this.verifyActive(presented);
    if (access) return describeToken('access_token', access.subject, access.scopes, access.appId, access.issuedAt, access.expiresAt);
    const refresh = await this.options.store.findRefreshToken(hashToken(presented));
    const time = this.options.now();
    if (refresh && refresh.revokedAt === null && refresh.usedAt === null && refresh.expiresAt.getTime() > time && (await this.subjectActive(refresh.subjectId, refresh.subjectKind))) {
      return describeToken('refresh_token', refresh.subjectId, refresh.scopes, refresh.appId, refresh.createdAt, refresh.expiresAt);
    }
    return { active: false };
  }
}
