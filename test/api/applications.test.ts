import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('applications API', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  it('creates, reads, updates and deletes an application', async () => {
    const created = await server.request('POST', '/api/v1/app', { body: { name: 'Acme', uid: 'acme', metadata: { plan: 'pro' } } });
    assert.equal(created.status, 201);
    assert.match(created.body.id, /^app_/);
    assert.equal(created.body.uid, 'acme');
    assert.deepEqual(created.body.metadata, { plan: 'pro' });
    assert.ok(Date.parse(created.body.createdAt));

    const byUid = await server.request('GET', '/api/v1/app/acme');
    assert.equal(byUid.status, 200);
    assert.equal(byUid.body.id, created.body.id);

    const patched = await server.request('PATCH', `/api/v1/app/${created.body.id}`, { body: { name: 'Acme Inc' } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.name, 'Acme Inc');
    assert.equal(patched.body.uid, 'acme');

    const put = await server.request('PUT', '/api/v1/app/acme', { body: { name: 'Replaced' } });
    assert.equal(put.status, 200);
    assert.equal(put.body.name, 'Replaced');
    assert.deepEqual(put.body.metadata, {});

    assert.equal((await server.request('DELETE', '/api/v1/app/acme')).status, 204);
    const gone = await server.request('GET', '/api/v1/app/acme');
    assert.equal(gone.status, 404);
    assert.equal(gone.body.code, 'not_found');
  });

  it('PUT creates an application named by the path when it does not exist', async () => {
    const put = await server.request('PUT', '/api/v1/app/put-created', { body: { name: 'Made by PUT' } });
    assert.equal(put.status, 201);
    assert.equal(put.body.uid, 'put-created');
  });

  it('get_if_exists returns the existing application instead of a conflict', async () => {
    const first = await server.request('POST', '/api/v1/app', { body: { name: 'Once', uid: 'once' } });
    assert.equal(first.status, 201);
    const conflict = await server.request('POST', '/api/v1/app', { body: { name: 'Once', uid: 'once' } });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.code, 'conflict');
    const again = await server.request('POST', '/api/v1/app?get_if_exists=true', { body: { name: 'Once', uid: 'once' } });
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
  });

  it('answers ETag / If-None-Match / If-Match', async () => {
    const created = await server.request('POST', '/api/v1/app', { body: { name: 'Tagged' } });
    const read = await server.request('GET', `/api/v1/app/${created.body.id}`);
    const etag = read.headers.get('etag');
    assert.ok(etag);
    const notModified = await server.request('GET', `/api/v1/app/${created.body.id}`, { headers: { 'if-none-match': etag } });
    assert.equal(notModified.status, 304);
    const stale = await server.request('PATCH', `/api/v1/app/${created.body.id}`, { body: { name: 'x' }, headers: { 'if-match': '"nope.1"' } });
    assert.equal(stale.status, 412);
    const fresh = await server.request('PATCH', `/api/v1/app/${created.body.id}`, { body: { name: 'y' }, headers: { 'if-match': etag } });
    assert.equal(fresh.status, 200);
    assert.notEqual(fresh.headers.get('etag'), etag);
    const replayed = await server.request('DELETE', `/api/v1/app/${created.body.id}`, { headers: { 'if-match': etag } });
    assert.equal(replayed.status, 412);
    assert.equal((await server.request('GET', `/api/v1/app/${created.body.id}`)).body.name, 'y');
  });

  it('rejects missing and unknown tokens with 401', async () => {
    const missing = await server.request('GET', '/api/v1/app', { token: null });
    assert.equal(missing.status, 401);
    assert.equal(missing.body.code, 'authentication_failed');
    const unknown = await server.request('GET', '/api/v1/app', { token: 'hy_admin_not-a-real-token' });
    assert.equal(unknown.status, 401);
  });

  it('echoes or generates X-Request-Id', async () => {
    const given = await server.request('GET', '/api/v1/app', { headers: { 'x-request-id': 'trace-123' } });
    assert.equal(given.headers.get('x-request-id'), 'trace-123');
    const generated = await server.request('GET', '/api/v1/app');
    assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('validates bodies with Svix-shaped 422 errors', async () => {
    const missing = await server.request('POST', '/api/v1/app', { body: { uid: 'no-name' } });
    assert.equal(missing.status, 422);
    assert.deepEqual(missing.body.detail[0].loc, ['body', 'name']);
    const wrongType = await server.request('POST', '/api/v1/app', { body: { name: 5 } });
    assert.equal(wrongType.status, 422);
    assert.deepEqual(wrongType.body.detail[0].loc, ['body', 'name']);
    const badUid = await server.request('POST', '/api/v1/app', { body: { name: 'x', uid: 'has space' } });
    assert.equal(badUid.status, 422);
  });
});
