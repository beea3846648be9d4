import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('app-portal access and health', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ overrides: { role: 'api', publicUrl: 'https://hooks.example.com' } });
    await server.request('POST', '/api/v1/app', { body: { name: 'A', uid: 'app-a' } });
    await server.request('POST', '/api/v1/app', { body: { name: 'B', uid: 'app-b' } });
  });
  after(async () => {
    await server.close();
  });

  it('issues a token confined to one application', async () => {
    const access = await server.request('POST', '/api/v1/auth/app-portal-access/app-a', { body: {} });
    assert.equal(access.status, 200);
    const token = access.body.token as string;
    assert.match(token, /^appsk_/);
    assert.equal(access.body.url, `https://hooks.example.com/dashboard/portal#token=${token}`);

    assert.equal((await server.request('GET', '/api/v1/app/app-a', { token })).status, 200);
    assert.equal((await server.request('GET', '/api/v1/app/app-b', { token })).status, 403);
    assert.equal((await server.request('GET', '/api/v1/app/app-b/endpoint', { token })).status, 403);
    assert.equal((await server.request('POST', '/api/v1/app/app-b/msg', { token, body: { eventType: 'a.b', payload: {} } })).status, 403);
    assert.equal((await server.request('GET', '/api/v1/app', { token })).status, 403);
    assert.equal((await server.request('POST', '/api/v1/event-type', { token, body: { name: 'x.y', description: 'x' } })).status, 403);
    assert.equal((await server.request('GET', '/api/v1/event-type', { token })).status, 200);
    assert.equal((await server.request('POST', '/api/v1/auth/app-portal-access/app-b', { token, body: {} })).status, 403);
  });

  it('creates the application when asked, 404s otherwise', async () => {
    assert.equal((await server.request('POST', '/api/v1/auth/app-portal-access/app-new', { body: {} })).status, 404);
    const access = await server.request('POST', '/api/v1/auth/app-portal-access/app-new', { body: { application: { name: 'New' } } });
    assert.equal(access.status, 200);
    assert.equal((await server.request('GET', '/api/v1/app/app-new', { token: access.body.token })).body.name, 'New');
  });

  it('logout revokes the token at once; expired tokens are refused', async () => {
    const access = await server.request('POST', '/api/v1/auth/app-portal-access/app-a', { body: { expiry: 60 } });
    const token = access.body.token;
    assert.equal((await server.request('POST', '/api/v1/auth/logout', { token })).status, 204);
    assert.equal((await server.request('GET', '/api/v1/app/app-a', { token })).status, 401);
  });

  it('health and docs are public', async () => {
    assert.equal((await server.request('GET', '/api/v1/health', { token: null })).status, 204);
    assert.equal((await server.request('GET', '/api/v1/health/ping', { token: null })).status, 204);
    const doc = await server.request('GET', '/api/v1/openapi.json', { token: null });
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, '3.1.0');
    assert.equal((await server.request('GET', '/docs/', { token: null })).status, 200);
  });
});
