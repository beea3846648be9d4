import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('idempotency keys', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  async function countApps(prefix: string): Promise<number> {
    const page = await server.request('GET', '/api/v1/app?limit=250');
    return page.body.data.filter((app: { name: string }) => app.name.startsWith(prefix)).length;
  }

  it('replays the first response for the same key, caller and URL', async () => {
    const headers = { 'idempotency-key': 'seq-1' };
    const first = await server.request('POST', '/api/v1/app', { body: { name: 'seq app' }, headers });
    const second = await server.request('POST', '/api/v1/app', { body: { name: 'seq app' }, headers });
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.equal(second.body.id, first.body.id);
    assert.equal(second.text, first.text);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.equal(await countApps('seq app'), 1);
  });

  it('refuses the same key with a different body (422) and keeps keys per URL', async () => {
    const headers = { 'idempotency-key': 'mismatch-1' };
    assert.equal((await server.request('POST', '/api/v1/app', { body: { name: 'mm one' }, headers })).status, 201);
    const reused = await server.request('POST', '/api/v1/app', { body: { name: 'mm two' }, headers });
    assert.equal(reused.status, 422);
    assert.deepEqual(reused.body.detail[0].loc, ['header', 'idempotency-key']);
    const otherUrl = await server.request('POST', '/api/v1/event-type', { body: { name: 'mm.type', description: 'x' }, headers });
    assert.notEqual(otherUrl.status, 422);
    assert.equal(await countApps('mm '), 1);
  });

  it('makes concurrent duplicates wait for the first instead of creating twice', async () => {
    const headers = { 'idempotency-key': 'concurrent-1' };
    const results = await Promise.all(
      Array.from({ length: 12 }, () => server.request('POST', '/api/v1/app', { body: { name: 'conc app' }, headers })),
    );
    const ids = new Set(results.map((r) => r.body.id));
    assert.deepEqual(
      results.map((r) => r.status),
      Array(12).fill(201),
    );
    assert.equal(ids.size, 1);
    assert.equal(await countApps('conc app'), 1);
  });

  it('does not share keys between callers', async () => {
    const headers = { 'idempotency-key': 'per-caller' };
    const admin = await server.request('POST', '/api/v1/app', { body: { name: 'caller app', uid: 'caller-app' }, headers });
    assert.equal(admin.status, 201);
    const portal = await server.request('POST', '/api/v1/auth/app-portal-access/caller-app', { body: {} });
    assert.equal(portal.status, 200);
    const asPortal = await server.request('POST', '/api/v1/app', { body: { name: 'caller app', uid: 'caller-app' }, headers, token: portal.body.token });
    // The portal token may not create applications at all; what matters is that it did not get the admin's replay.
    assert.equal(asPortal.status, 403);
  });

  it('survives a restart: the stored response is replayed by the new process', async () => {
    const headers = { 'idempotency-key': 'durable-1' };
    const first = await server.request('POST', '/api/v1/app', { body: { name: 'durable app' }, headers });
    assert.equal(first.status, 201);
    await server.restart();
    const again = await server.request('POST', '/api/v1/app', { body: { name: 'durable app' }, headers });
    assert.equal(again.status, 201);
    assert.equal(again.body.id, first.body.id);
    assert.equal(await countApps('durable app'), 1);
  });
});
