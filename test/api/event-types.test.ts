import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('event types API', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ overrides: { role: 'api' } });
  });
  after(async () => {
    await server.close();
  });

  const schema = { '1': { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } };

  it('creates, reads, replaces, patches, archives and expunges', async () => {
    const created = await server.request('POST', '/api/v1/event-type', { body: { name: 'order.paid', description: 'Paid', schemas: schema } });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.schemas, schema);
    assert.equal(created.body.archived, false);
    assert.equal((await server.request('POST', '/api/v1/event-type', { body: { name: 'order.paid', description: 'again' } })).status, 409);
    assert.equal((await server.request('GET', '/api/v1/event-type/order.paid')).body.description, 'Paid');
    const put = await server.request('PUT', '/api/v1/event-type/order.paid', { body: { description: 'Replaced' } });
    assert.equal(put.status, 200);
    assert.equal(put.body.schemas, null);
    const patched = await server.request('PATCH', '/api/v1/event-type/order.paid', { body: { deprecated: true } });
    assert.equal(patched.body.deprecated, true);
    assert.equal(patched.body.description, 'Replaced');
    assert.equal((await server.request('PUT', '/api/v1/event-type/order.new', { body: { description: 'n' } })).status, 201);

    assert.equal((await server.request('DELETE', '/api/v1/event-type/order.paid')).status, 204);
    assert.equal((await server.request('GET', '/api/v1/event-type/order.paid')).body.archived, true);
    const visible = await server.request('GET', '/api/v1/event-type');
    assert.ok(!visible.body.data.some((e: { name: string }) => e.name === 'order.paid'));
    const all = await server.request('GET', '/api/v1/event-type?include_archived=true');
    assert.ok(all.body.data.some((e: { name: string }) => e.name === 'order.paid'));
    assert.equal((await server.request('POST', '/api/v1/event-type', { body: { name: 'order.paid', description: 'revived' } })).status, 201);
    assert.equal((await server.request('DELETE', '/api/v1/event-type/order.paid?expunge=true')).status, 204);
    assert.equal((await server.request('GET', '/api/v1/event-type/order.paid')).status, 404);
  });

  it('omits schemas from lists unless with_content, and pages by name', async () => {
    for (const name of ['p.a', 'p.b', 'p.c', 'p.d']) await server.request('POST', '/api/v1/event-type', { body: { name, description: name, schemas: schema } });
    const plain = await server.request('GET', '/api/v1/event-type?limit=250');
    assert.ok(plain.body.data.every((e: { schemas: unknown }) => e.schemas === null));
    const full = await server.request('GET', '/api/v1/event-type?limit=250&with_content=true');
    assert.deepEqual(full.body.data.find((e: { name: string }) => e.name === 'p.a').schemas, schema);
    const first = await server.request('GET', '/api/v1/event-type?limit=2&iterator=p');
    assert.deepEqual(first.body.data.map((e: { name: string }) => e.name), ['p.a', 'p.b']);
    const second = await server.request('GET', `/api/v1/event-type?limit=2&iterator=${first.body.iterator}`);
    assert.deepEqual(second.body.data.map((e: { name: string }) => e.name), ['p.c', 'p.d']);
  });

  it('refuses invalid JSON Schemas and bad names', async () => {
    const bad = await server.request('POST', '/api/v1/event-type', { body: { name: 'bad.schema', description: 'x', schemas: { '1': { type: 'no-such-type' } } } });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.detail[0].loc, ['body', 'schemas', '1']);
    assert.equal((await server.request('POST', '/api/v1/event-type', { body: { name: 'has space', description: 'x' } })).status, 422);
    assert.equal((await server.request('GET', '/api/v1/event-type/bad.schema')).status, 404);
  });

  it('supports If-Match', async () => {
    await server.request('POST', '/api/v1/event-type', { body: { name: 'etag.type', description: 'v1' } });
    const etag = (await server.request('GET', '/api/v1/event-type/etag.type')).headers.get('etag')!;
    assert.equal((await server.request('PATCH', '/api/v1/event-type/etag.type', { body: { description: 'v2' }, headers: { 'if-match': etag } })).status, 200);
    assert.equal((await server.request('PATCH', '/api/v1/event-type/etag.type', { body: { description: 'v3' }, headers: { 'if-match': etag } })).status, 412);
  });
});
