import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('endpoints API', () => {
  let server: TestServer;
  let appId: string;
  const base = () => `/api/v1/app/${appId}/endpoint`;
  before(async () => {
    // No worker: these tests look at stored state, not at deliveries.
    server = await startTestServer({ overrides: { role: 'api' } });
    appId = (await server.request('POST', '/api/v1/app', { body: { name: 'eps', uid: 'eps' } })).body.id;
  });
  after(async () => {
    await server.close();
  });

  it('creates with defaults, reads by id and uid, replaces, patches and deletes', async () => {
    const created = await server.request('POST', base(), { body: { url: 'https://example.com/a', uid: 'ep-a', eventTypes: ['a.b'], channels: ['c1'] } });
    assert.equal(created.status, 201);
    assert.match(created.body.id, /^ep_/);
    assert.equal(created.body.description, '');
    assert.equal(created.body.disabled, false);
    assert.deepEqual(created.body.eventTypes, ['a.b']);
    assert.deepEqual(created.body.filterTypes, ['a.b']);
    assert.deepEqual(created.body.metadata, {});
    assert.equal((await server.request('GET', `${base()}/ep-a`)).body.id, created.body.id);
    assert.equal((await server.request('GET', `/api/v1/app/eps/endpoint/${created.body.id}`)).body.uid, 'ep-a');

    const replaced = await server.request('PUT', `${base()}/ep-a`, { body: { url: 'https://example.com/b', description: 'replaced' } });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.url, 'https://example.com/b');
    assert.equal(replaced.body.eventTypes, null);
    assert.equal(replaced.body.uid, 'ep-a');

    const patched = await server.request('PATCH', `${base()}/ep-a`, { body: { disabled: true, rateLimit: 5 } });
    assert.equal(patched.body.disabled, true);
    assert.equal(patched.body.throttleRate, 5);
    assert.equal(patched.body.description, 'replaced');

    assert.equal((await server.request('DELETE', `${base()}/ep-a`)).status, 204);
    assert.equal((await server.request('GET', `${base()}/ep-a`)).status, 404);
    assert.equal((await server.request('DELETE', `${base()}/ep-a`)).status, 404);
  });

  it('PUT on an unknown uid creates the endpoint', async () => {
    const put = await server.request('PUT', `${base()}/made-by-put`, { body: { url: 'https://example.com/put' } });
    assert.equal(put.status, 201);
    assert.equal(put.body.uid, 'made-by-put');
  });

  it('refuses duplicate uids, bad urls, bad secrets, unknown fields and private literal addresses', async () => {
    assert.equal((await server.request('POST', base(), { body: { url: 'https://example.com/d', uid: 'dup' } })).status, 201);
    const dup = await server.request('POST', base(), { body: { url: 'https://example.com/d', uid: 'dup' } });
    assert.equal(dup.status, 409);
    for (const body of [
      { url: 'not a url' },
      { url: 'ftp://example.com/x' },
      { url: 'https://example.com', secret: 'short' },
      { url: 'https://example.com', evenTypes: ['a'] },
      { url: 'https://example.com', channels: [] },
      { url: 'https://example.com', eventTypes: ['a', 'a'] },
      { url: 'http://169.254.169.254/latest/meta-data' },
      { url: 'http://10.0.0.1/hook' },
      { url: 'http://[::1]:8080/hook' },
    ]) {
      const result = await server.request('POST', base(), { body });
      assert.equal(result.status, 422, `${JSON.stringify(body)} → ${result.text}`);
    }
    assert.equal((await server.request('POST', base(), { body: { url: 'http://127.0.0.1:9/allow-listed' } })).status, 201);
  });

  it('stores a given secret normalised to whsec_ and rotates it', async () => {
    const key = 'C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
    const created = await server.request('POST', base(), { body: { url: 'https://example.com/s', secret: key } });
    const path = `${base()}/${created.body.id}/secret`;
    assert.deepEqual((await server.request('GET', path)).body, { key: `whsec_${key}` });
    assert.equal((await server.request('POST', `${path}/rotate`, { body: {} })).status, 204);
    const rotated = (await server.request('GET', path)).body.key;
    assert.match(rotated, /^whsec_/);
    assert.notEqual(rotated, `whsec_${key}`);
    const chosen = 'whsec_' + 'A'.repeat(32);
    assert.equal((await server.request('POST', `${path}/rotate`, { body: { key: chosen, gracePeriodSeconds: 0 } })).status, 204);
    assert.equal((await server.request('GET', path)).body.key, chosen);
    assert.equal((await server.request('POST', `${path}/rotate`, { body: { gracePeriodSeconds: 999999999 } })).status, 422);
  });

  it('manages custom headers, redacts credentials and refuses reserved names', async () => {
    const created = await server.request('POST', base(), { body: { url: 'https://example.com/h', headers: { 'X-Init': '1' } } });
    const path = `${base()}/${created.body.id}/headers`;
    assert.deepEqual((await server.request('GET', path)).body, { headers: { 'X-Init': '1' }, sensitive: [] });
    assert.equal((await server.request('PUT', path, { body: { headers: { 'X-A': 'a', 'X-Api-Key': 'k' } } })).status, 204);
    assert.equal((await server.request('PATCH', path, { body: { headers: { 'X-B': 'b', 'x-a': null } } })).status, 204);
    assert.deepEqual((await server.request('GET', path)).body, { headers: { 'X-B': 'b' }, sensitive: ['X-Api-Key'] });
    for (const headers of [{ Host: 'evil' }, { 'Content-Length': '1' }, { 'webhook-signature': 'x' }, { 'svix-id': 'x' }, { 'bad name': 'x' }, { 'X-Ok': 'a\r\nInjected: 1' }]) {
      const result = await server.request('PUT', path, { body: { headers } });
      assert.equal(result.status, 422, `${JSON.stringify(headers)} → ${result.text}`);
    }
    assert.deepEqual((await server.request('GET', path)).body.headers, { 'X-B': 'b' });
  });

  it('answers ETag / If-Match on endpoints', async () => {
    const created = await server.request('POST', base(), { body: { url: 'https://example.com/e' } });
    const path = `${base()}/${created.body.id}`;
    const etag = (await server.request('GET', path)).headers.get('etag')!;
    assert.equal((await server.request('GET', path, { headers: { 'if-none-match': etag } })).status, 304);
    assert.equal((await server.request('PATCH', path, { body: { description: 'v2' }, headers: { 'if-match': etag } })).status, 200);
    assert.equal((await server.request('PATCH', path, { body: { description: 'v3' }, headers: { 'if-match': etag } })).status, 412);
    assert.equal((await server.request('DELETE', path, { headers: { 'if-match': etag } })).status, 412);
    assert.equal((await server.request('GET', path)).body.description, 'v2');
  });

  it('reports health, stats, send-example, attempted messages and recovery', async () => {
    await server.request('POST', '/api/v1/event-type', { body: { name: 'demo.event', description: 'demo', schemas: { '1': { type: 'object', examples: [{ demo: 1 }] } } } });
    const target = await server.request('POST', base(), { body: { url: 'https://example.com/x' } });
    const other = await server.request('POST', base(), { body: { url: 'https://example.com/y' } });
    const path = `${base()}/${target.body.id}`;
    const read = await server.request('GET', path);
    assert.equal(read.body.health.circuitState, 'closed');
    assert.equal(read.body.health.consecutiveFailures, 0);

    const example = await server.request('POST', `${path}/send-example`, { body: { eventType: 'demo.event' } });
    assert.equal(example.status, 200);
    assert.deepEqual(example.body.payload, { demo: 1 });
    assert.equal((await server.request('POST', `${path}/send-example`, { body: { eventType: 'no.such' } })).status, 404);

    const targetMessages = await server.request('GET', `${path}/msg`);
    assert.deepEqual(targetMessages.body.data.map((m: { id: string }) => m.id), [example.body.id]);
    assert.equal(targetMessages.body.data[0].statusText, 'pending');
    assert.deepEqual((await server.request('GET', `${base()}/${other.body.id}/msg`)).body.data, []);

    const stats = await server.request('GET', `${path}/stats`);
    assert.equal(stats.body.pending, 1);
    assert.equal(stats.body.success, 0);

    const since = new Date(Date.now() - 3600_000).toISOString();
    const recover = await server.request('POST', `${path}/recover`, { body: { since } });
    assert.equal(recover.status, 202);
    assert.equal(recover.body.task, 'endpoint.recover');
    assert.equal(recover.body.status, 'running');
    assert.equal((await server.request('POST', `${path}/recover`, { body: { since: new Date(Date.now() + 60_000).toISOString() } })).status, 422);
    for (let i = 0; i < 100; i++) {
      const task = await server.running.store.getBackgroundTask(recover.body.id);
      if (task?.status === 'finished') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal((await server.running.store.getBackgroundTask(recover.body.id))?.status, 'finished');
  });

  it('pages endpoints without duplicates or gaps while endpoints are being added', async () => {
    const app = (await server.request('POST', '/api/v1/app', { body: { name: 'paging' } })).body.id;
    for (let i = 0; i < 7; i++) await server.request('POST', `/api/v1/app/${app}/endpoint`, { body: { url: `https://example.com/${i}` } });
    const seen: string[] = [];
    let iterator = '';
    for (let page = 0; page < 20; page++) {
      const result = await server.request('GET', `/api/v1/app/${app}/endpoint?limit=3${iterator ? `&iterator=${iterator}` : ''}`);
      seen.push(...result.body.data.map((e: { id: string }) => e.id));
      // Inserted between pages: must appear exactly once, at the end.
      if (page < 2) await server.request('POST', `/api/v1/app/${app}/endpoint`, { body: { url: `https://example.com/late${page}` } });
      if (result.body.done) break;
      iterator = result.body.iterator;
    }
    assert.equal(seen.length, 9);
    assert.equal(new Set(seen).size, 9);
    assert.deepEqual([...seen].sort(), seen);
  });

  it('404s for unknown applications and endpoints', async () => {
    assert.equal((await server.request('GET', '/api/v1/app/nope/endpoint')).status, 404);
    assert.equal((await server.request('GET', `${base()}/nope`)).status, 404);
    assert.equal((await server.request('GET', `${base()}/nope/secret`)).status, 404);
    assert.equal((await server.request('GET', `${base()}/nope/stats`)).status, 404);
  });
});
