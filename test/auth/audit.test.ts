import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('audit log', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ overrides: { authFailureLimit: 0 } });
  });
  after(() => server.close());

  const entries = async (query = '') => (await server.request('GET', `/api/v1/audit?limit=250${query}`)).body.data as any[];

  it('records every management change with who, what, when and from where', async () => {
    const started = Date.now();
    const app = await server.request('POST', '/api/v1/app', { body: { name: 'Audited' }, headers: { 'x-request-id': 'audit-req-1' } });
    const endpoint = await server.request('POST', `/api/v1/app/${app.body.id}/endpoint`, { body: { url: 'https://example.com/hook' } });
    await server.request('DELETE', `/api/v1/app/${app.body.id}/endpoint/${endpoint.body.id}`);
    await server.request('POST', `/api/v1/app/${app.body.id}/msg`, { body: { eventType: 'x', payload: {} } });
    await server.request('GET', `/api/v1/app/${app.body.id}`);

    const log = await entries();
    const created = log.find((entry) => entry.action === 'v1.application.create');
    assert.ok(created, 'the application creation is audited');
    assert.equal(created.requestId, 'audit-req-1');
    assert.equal(created.actorKind, 'admin');
    assert.match(created.actorId, /^tok_/);
    assert.equal(created.method, 'POST');
    assert.equal(created.path, '/api/v1/app');
    assert.equal(created.statusCode, 201);
    assert.equal(created.outcome, 'success');
    assert.equal(created.ip, '127.0.0.1');
    assert.ok(new Date(created.at).getTime() >= started - 1000);
    const actions = log.map((entry) => entry.action);
    assert.ok(actions.includes('v1.endpoint.create') && actions.includes('v1.endpoint.delete'));
    const deleted = log.find((entry) => entry.action === 'v1.endpoint.delete');
    assert.equal(deleted.appId, app.body.id);
    assert.equal(actions.includes('v1.message.create'), false, 'publishing is the data plane, not a management change');
    assert.equal(actions.includes('v1.application.get'), false, 'reads are not changes');
  });

  it('records every refused credential and refused action', async () => {
    await server.request('GET', '/api/v1/app', { token: 'hyk_nobody_000' });
    const reader = await server.request('POST', '/api/v1/api-key', { body: { name: 'reader', scopes: ['app:read'] } });
    await server.request('POST', '/api/v1/app', { token: reader.body.key, body: { name: 'nope' } });

    const unauthenticated = await entries('&outcome=unauthenticated');
    assert.ok(unauthenticated.some((entry) => entry.path === '/api/v1/app' && entry.statusCode === 401 && entry.actorId === null));
    const denied = await entries('&outcome=denied');
    const refusal = denied.find((entry) => entry.action === 'v1.application.create');
    assert.ok(refusal, 'the refused creation is audited');
    assert.equal(refusal.actorId, reader.body.id, 'naming the key that tried');
    assert.equal(refusal.actorKind, 'api_key');
    assert.equal((await entries(`&actor=${reader.body.id}`)).length, 1, 'filterable by actor');
  });

  it('is for admins only, and never holds a credential', async () => {
    const reader = await server.request('POST', '/api/v1/api-key', { body: { name: 'reader', scopes: ['app:read', 'message:read'] } });
    assert.equal((await server.request('GET', '/api/v1/audit', { token: reader.body.key })).status, 403);
    const everything = JSON.stringify(await entries());
    assert.equal(everything.includes(server.adminToken), false);
    assert.equal(everything.includes(reader.body.key), false);
  });
});
