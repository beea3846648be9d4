import { ApiError } from './errors';

/** The operator dashboard and the consumer portal keep separate sessions, even in one tab. */
export type Mode = 'operator' | 'portal';

export type Credential = { kind: 'api_key'; key: string } | { kind: 'client'; id: string; secret: string } | { kind: 'portal'; token: string };

interface TokenAnswer {
  access_token: string;
  expires_in: number;
  scope: string;
  refresh_token?: string;
  /** Extension: the application a confined session is limited to. */
  app_id?: string;
}

interface Stored {
  kind: Credential['kind'];
  refreshToken: string;
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** Refresh this long before the access token expires (or at 80 % of its life, if it is shorter). */
const REFRESH_MARGIN_SECONDS = 60;
/** After a refresh that failed for want of a network, try again this soon while the access token lasts. */
const RETRY_REFRESH_MS = 10_000;

const storageKey = (mode: Mode) => `hookyard.${mode}.session`;

function basic(id: string, secret: string): string {
  // RFC 6749 §2.3.1: each part is form-encoded before they are joined.
  return `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;
}

async function postForm(path: string, params: Record<string, string>, client: { id: string; secret: string } | null): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client) headers.authorization = basic(client.id, client.secret);
  return fetch(path, { method: 'POST', headers, body: new URLSearchParams(params), credentials: 'omit', cache: 'no-store' });
}

async function requestTokens(params: Record<string, string>, client: { id: string; secret: string } | null): Promise<TokenAnswer> {
  const response = await postForm('/oauth/token', params, client);
  if (!response.ok) throw await ApiError.from(response);
  return (await response.json()) as TokenAnswer;
}

function grants(held: readonly string[], required: string): boolean {
  if (held.includes('admin') || held.includes(required)) return true;
  return required.endsWith(':read') && held.includes(required.replace(/:read$/, ':write'));
}

/**
 * A signed-in session: a short-lived access token and a refresh token, both kept in memory, the refresh token also
 * in sessionStorage so that a reload of the tab keeps the session (sessionStorage is per tab and never sent
 * anywhere). The access token is refreshed before it expires, and once more when the API answers 401; each refresh
 * rotates the refresh token. The credential typed at sign-in is dropped once exchanged, except an OAuth client's,
 * whose refresh tokens the server binds to the client (RFC 6749 §6): it stays in memory only, so a reload of such
 * a session asks for it again.
 */
export class Session {
  private accessToken: string;
  private refreshToken: string | null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<boolean> | null = null;
  private ended = false;
  scopes: string[];
  readonly appId: string | null;
  /** Called once when the session ends by itself (revoked, expired) or by signing out. */
  onEnd: (reason: string | null) => void = () => {};

  private constructor(
    private readonly mode: Mode,
    readonly kind: Credential['kind'],
    answer: TokenAnswer,
    private readonly client: { id: string; secret: string } | null,
  ) {
    this.accessToken = answer.access_token;
    this.refreshToken = answer.refresh_token ?? null;
    this.scopes = answer.scope.split(' ').filter(Boolean);
    this.appId = answer.app_id ?? null;
    this.accept(answer);
  }

  static async signIn(mode: Mode, credential: Credential): Promise<Session> {
    if (credential.kind === 'client') {
      const client = { id: credential.id.trim(), secret: credential.secret.trim() };
      const answer = await requestTokens({ grant_type: 'client_credentials', scope: 'offline_access' }, client);
      return new Session(mode, 'client', answer, client);
    }
    const subject = credential.kind === 'api_key' ? credential.key.trim() : credential.token;
    const answer = await requestTokens({ grant_type: TOKEN_EXCHANGE, subject_token: subject }, null);
    return new Session(mode, credential.kind, answer, null);
  }

  /** The session this tab had before a reload, if its refresh token still works. */
  static async resume(mode: Mode): Promise<Session | null> {
    let stored: Stored | null = null;
    try {
      stored = JSON.parse(sessionStorage.getItem(storageKey(mode)) ?? 'null') as Stored | null;
    } catch {
      stored = null;
    }
    if (!stored?.refreshToken) return null;
    try {
      const answer = await requestTokens({ grant_type: 'refresh_token', refresh_token: stored.refreshToken }, null);
      return new Session(mode, stored.kind, answer, null);
    } catch {
      sessionStorage.removeItem(storageKey(mode));
      return null;
    }
  }

  /** Whether the session holds a scope (`admin` holds all; `x:write` holds `x:read`). */
  can(scope: string): boolean {
    return grants(this.scopes, scope);
  }

  /** `fetch` with the session's bearer token; on a 401 the token is refreshed once and the request sent again. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const send = () => fetch(path, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${this.accessToken}` }, credentials: 'omit' });
    const response = await send();
    if (response.status !== 401 || this.ended) return response;
    if (!(await this.refresh())) {
      this.end('Your session has ended. Sign in again.');
      return response;
    }
    const retried = await send();
    // Refused again with a token just issued: the credential behind the session is gone.
    if (retried.status === 401) this.end('Your session has ended. Sign in again.');
    return retried;
  }

  /** Logout ends the session on the server (access token and refresh family), then revokes the refresh token too. */
  async signOut(): Promise<void> {
    const refreshToken = this.refreshToken;
    try {
      await fetch('/api/v1/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${this.accessToken}` }, credentials: 'omit' });
      if (refreshToken) await postForm('/oauth/revoke', { token: refreshToken, token_type_hint: 'refresh_token' }, this.client);
    } finally {
      this.end(null);
    }
  }

  private accept(answer: TokenAnswer): void {
    this.accessToken = answer.access_token;
    this.scopes = answer.scope.split(' ').filter(Boolean);
    if (answer.refresh_token) this.refreshToken = answer.refresh_token;
    if (this.refreshToken && !this.client) {
      sessionStorage.setItem(storageKey(this.mode), JSON.stringify({ kind: this.kind, refreshToken: this.refreshToken } satisfies Stored));
    }
    const lifetime = answer.expires_in;
    const lead = Math.min(REFRESH_MARGIN_SECONDS, lifetime * 0.2);
    this.schedule((lifetime - lead) * 1000, Date.now() + lifetime * 1000);
  }

  private schedule(delayMs: number, expiresAt: number): void {
    clearTimeout(this.timer);
    if (!this.refreshToken || this.ended) return;
    this.timer = setTimeout(
      async () => {
        const outcome = await this.refresh();
        if (outcome || this.ended) return;
        if (Date.now() + RETRY_REFRESH_MS < expiresAt) this.schedule(RETRY_REFRESH_MS, expiresAt);
        else this.end('Your session has expired. Sign in again.');
      },
      Math.max(1000, delayMs),
    );
  }

  /** One refresh at a time: requests that meet a 401 together share it, so the refresh token is presented once. */
  private refresh(): Promise<boolean> {
    if (!this.refreshToken) return Promise.resolve(false);
    this.refreshing ??= (async () => {
      try {
        this.accept(await requestTokens({ grant_type: 'refresh_token', refresh_token: this.refreshToken! }, this.client));
        return true;
      } catch (error) {
        // invalid_grant (400) or invalid_client (401): revoked, expired or reused, the session is over. Anything else
        // (no network, 429, 5xx) may pass: keep the session while its access token lasts.
        if (error instanceof ApiError && (error.status === 400 || error.status === 401)) this.end('Your session has ended. Sign in again.');
        return false;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  private end(reason: string | null): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.accessToken = '';
    this.refreshToken = null;
    sessionStorage.removeItem(storageKey(this.mode));
    this.onEnd(reason);
  }
}
