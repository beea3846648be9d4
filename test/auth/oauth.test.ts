import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

describe('OAuth 2.0 authorization server', () => {
  let server: TestServer;
  /** The server's clock: tests move it forward to let tokens expire. */
  let offsetMs = 0;
  before(async () => {
    server = await startTestServer({ now: () => Date.now() + offsetMs, overrides: { authFailureLimit: 0, accessTokenTtlSeconds: 60 } });
    await server.request('POST', '/api/v1/app', { body: { name: 'A', uid: 'oauth-a' } });
    await server.request('POST', '/api/v1/app', { body: { name: 'B', uid: 'oauth-b' } });
  });
  after(() => server.close());

  async function form(path: string, params: Record<string, string>, headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(params).toString(),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  }
  const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` });

  async function createClient(body: Record<string, unknown>) {
    const created = await server.request('POST', '/api/v1/oauth-client', { body });
    assert.equal(created.status, 201, created.text);
    return created.body as { id: string; secret: string };
  }

  it('issues short-lived signed access tokens for client credentials, within the client’s scopes', async () => {
    const client = await createClient({ name: 'billing service', scopes: ['app:read', 'message:write'] });
    assert.match(client.id, /^cli_/);
    assert.match(client.secret, /^hys_/);
    assert.equal((await server.request('GET', `/api/v1/oauth-client/${client.id}`)).text.includes(client.secret), false, 'the secret is shown once');

    const issued = await form('/oauth/token', { grant_type: 'client_credentials' }, basic(client.id, client.secret));
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    assert.equal(issued.headers.get('cache-control'), 'no-store');
    assert.equal(issued.body.token_type, 'Bearer');
    assert.equal(issued.body.expires_in, 60);
    assert.equal(issued.body.scope, 'app:read message:write');
    assert.equal(issued.body.refresh_token, undefined, 'no refresh token unless offline_access is asked for');
    const [header] = issued.body.access_token.split('.');
    assert.deepEqual(JSON.parse(Buffer.from(header, 'base64url').toString()).alg, 'HS256');

    const token = issued.body.access_token;
    assert.equal((await server.request('GET', '/api/v1/app/oauth-a', { token })).status, 200);
    assert.equal((await server.request('POST', '/api/v1/app/oauth-a/msg', { token, body: { eventType: 'x', payload: {} } })).status, 202);
    assert.equal((await server.request('POST', '/api/v1/app/oauth-a/endpoint', { token, body: { url: 'https://example.com' } })).status, 403);

    const narrowed = await form('/oauth/token', { grant_type: 'client_credentials', scope: 'app:read', client_id: client.id, client_secret: client.secret });
    assert.equal(narrowed.body.scope, 'app:read', 'scope narrows; credentials may come in the body');
    assert.equal((await server.request('POST', '/api/v1/app/oauth-a/msg', { token: narrowed.body.access_token, body: { eventType: 'x', payload: {} } })).status, 403);

    const wider = await form('/oauth/token', { grant_type: 'client_credentials', scope: 'admin' }, basic(client.id, client.secret));
    assert.equal(wider.status, 400);
    assert.equal(wider.body.error, 'invalid_scope');
  });

  it('answers errors in the RFC 6749 shape', async () => {
    const client = await createClient({ name: 'x', scopes: ['app:read'] });
    const wrong = await form('/oauth/token', { grant_type: 'client_credentials' }, basic(client.id, 'hys_wrong'));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, 'invalid_client');
    assert.ok(wrong.body.error_description);
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic/);
    assert.equal((await form('/oauth/token', { grant_type: 'client_credentials' })).body.error, 'invalid_client');
    assert.equal((await form('/oauth/token', { grant_type: 'password', username: 'a', password: 'b' })).body.error, 'unsupported_grant_type');
    assert.equal((await form('/oauth/token', {})).body.error, 'invalid_request');
    const both = await form('/oauth/token', { grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret }, basic(client.id, client.secret));
    assert.equal(both.body.error, 'invalid_request');
    const audit = await server.request('GET', '/api/v1/audit?action=oauth.token&outcome=unauthenticated');
    assert.ok(audit.body.data.length >= 2, 'refused client credentials are audited');
  });

  it('refuses expired, tampered and foreign tokens', async () => {
    const client = await createClient({ name: 'expiring', scopes: ['app:read'] });
    const { access_token: token } = (await form('/oauth/token', { grant_type: 'client_credentials' }, basic(client.id, client.secret))).body;
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url')}.${signature}`;
    assert.equal((await server.request('GET', '/api/v1/app', { token: forged })).status, 401, 'a changed claim breaks the signature');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
    assert.equal((await server.request('GET', '/api/v1/app', { token: unsigned })).status, 401, 'alg none is refused');

    assert.equal((await server.request('GET', '/api/v1/app', { token })).status, 200);
    offsetMs += 61_000;
    try {
      assert.equal((await server.request('GET', '/api/v1/app', { token })).status, 401, 'expired after its lifetime');
    } finally {
      offsetMs -= 61_000;
    }
  });

  it('turns an API key into a dashboard session with refresh tokens that rotate, and detects reuse', async () => {
    const key = (await server.request('POST', '/api/v1/api-key', { body: { name: 'dashboard user', scopes: ['app:read', 'endpoint:read'] } })).body;
    const signedIn = await form('/oauth/token', { grant_type: TOKEN_EXCHANGE, subject_token: key.key, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' });
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    assert.equal(signedIn.body.scope, 'app:read endpoint:read');
    assert.ok(signedIn.body.refresh_token);
    assert.equal((await server.request('GET', '/api/v1/app/oauth-a/endpoint', { token: signedIn.body.access_token })).status, 200);

    const refreshed = await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: signedIn.body.refresh_token });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.notEqual(refreshed.body.refresh_token, signedIn.body.refresh_token, 'the refresh token rotates');
    const narrowed = await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token, scope: 'app:read' });
    assert.equal(narrowed.body.scope, 'app:read');
    const current = narrowed.body;

    // The first refresh token, stolen and replayed: the whole session family is revoked.
    const replayed = await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: signedIn.body.refresh_token });
    assert.equal(replayed.status, 400);
    assert.equal(replayed.body.error, 'invalid_grant');
    assert.equal((await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: current.refresh_token })).body.error, 'invalid_grant', 'the newest refresh token is revoked too');
    assert.equal((await server.request('GET', '/api/v1/app', { token: current.access_token })).status, 401, 'and so are the access tokens of the family');

    const widening = await form('/oauth/token', { grant_type: TOKEN_EXCHANGE, subject_token: key.key, scope: 'app:write' });
    assert.equal(widening.body.error, 'invalid_scope');
    const chained = await form('/oauth/token', { grant_type: TOKEN_EXCHANGE, subject_token: signedIn.body.access_token });
    assert.equal(chained.body.error, 'invalid_grant', 'a session cannot mint sessions');
  });

  it('ends sessions on logout, on revocation (RFC 7009), and when their key is revoked', async () => {
    const key = (await server.request('POST', '/api/v1/api-key', { body: { name: 'sessions', scopes: ['app:read'] } })).body;
    const signIn = async () => (await form('/oauth/token', { grant_type: TOKEN_EXCHANGE, subject_token: key.key })).body;

    const first = await signIn();
    assert.equal((await server.request('POST', '/api/v1/auth/logout', { token: first.access_token })).status, 204);
    assert.equal((await server.request('GET', '/api/v1/app', { token: first.access_token })).status, 401, 'logout revokes the access token');
    assert.equal((await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: first.refresh_token })).body.error, 'invalid_grant', 'and its refresh token');
    assert.equal((await server.request('GET', '/api/v1/app', { token: key.key })).status, 200, 'the key itself is untouched');

    const second = await signIn();
    assert.equal((await form('/oauth/revoke', { token: second.access_token, token_type_hint: 'access_token' })).status, 200);
    assert.equal((await server.request('GET', '/api/v1/app', { token: second.access_token })).status, 401);
    assert.equal((await form('/oauth/revoke', { token: second.refresh_token })).status, 200);
    assert.equal((await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: second.refresh_token })).body.error, 'invalid_grant');
    assert.equal((await form('/oauth/revoke', { token: 'not-a-token-at-all' })).status, 200, 'unknown tokens are accepted silently');

    const third = await signIn();
    await server.request('DELETE', `/api/v1/api-key/${key.id}`);
    assert.equal((await server.request('GET', '/api/v1/app', { token: third.access_token })).status, 401, 'a revoked key ends its sessions');
    assert.equal((await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: third.refresh_token })).body.error, 'invalid_grant');
  });

  it('introspects tokens for a client or an admin (RFC 7662)', async () => {
    const client = await createClient({ name: 'resource server', scopes: ['app:read'] });
    const { access_token: token } = (await form('/oauth/token', { grant_type: 'client_credentials' }, basic(client.id, client.secret))).body;
    const described = await form('/oauth/introspect', { token }, basic(client.id, client.secret));
    assert.equal(described.status, 200);
    assert.equal(described.body.active, true);
    assert.equal(described.body.scope, 'app:read');
    assert.equal(described.body.client_id, client.id);
    assert.ok(described.body.exp > Date.now() / 1000);
    const byAdmin = await form('/oauth/introspect', { token }, { authorization: `Bearer ${server.adminToken}` });
    assert.equal(byAdmin.body.active, true);
    assert.equal((await form('/oauth/introspect', { token })).status, 401, 'anonymous callers learn nothing');
    await form('/oauth/revoke', { token }, basic(client.id, client.secret));
    assert.deepEqual((await form('/oauth/introspect', { token }, basic(client.id, client.secret))).body, { active: false });
  });

  it('rotates a client secret with an overlap, and revoking a client ends its tokens', async () => {
    const client = await createClient({ name: 'rotating', scopes: ['app:read'], appId: 'oauth-a' });
    const rotated = await server.request('POST', `/api/v1/oauth-client/${client.id}/secret/rotate`, { body: { overlapSeconds: 3600 } });
    assert.equal(rotated.status, 200);
    for (const secret of [client.secret, rotated.body.secret]) {
      assert.equal((await form('/oauth/token', { grant_type: 'client_credentials' }, basic(client.id, secret))).status, 200, 'both secrets work during the overlap');
    }
    const { access_token: token } = (await form('/oauth/token', { grant_type: 'client_credentials' }, basic(client.id, rotated.body.secret))).body;
    assert.equal((await server.request('GET', '/api/v1/app/oauth-a', { token })).status, 200);
    assert.equal((await server.request('GET', '/api/v1/app/oauth-b', { token })).status, 403, 'a client confined to A reaches nothing of B');
    assert.equal((await server.request('DELETE', `/api/v1/oauth-client/${client.id}`)).status, 204);
    assert.equal((await server.request('GET', '/api/v1/app/oauth-a', { token })).status, 401);
    assert.equal((await form('/oauth/token', { grant_type: 'client_credentials' }, basic(client.id, rotated.body.secret))).body.error, 'invalid_client');
  });
});
