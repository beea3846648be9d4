import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Svix } from 'svix';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { STRIPE_SECRET, postToIngestUrl, stripeEvent } from './support.js';

describe('ingest sources API', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('creates a source with an unguessable ingest URL and never echoes its secret', async () => {
    const created = await server.request('POST', '/ingest/api/v1/source', {
      body: { name: 'Stripe live', uid: 'stripe-live', type: 'stripe', config: { secret: STRIPE_SECRET }, metadata: { team: 'billing' } },
    });
    assert.equal(created.status, 201, created.text);
    assert.match(created.body.id, /^src_[A-Za-z0-9]{27}$/);
    assert.match(created.body.ingestUrl, new RegExp(`^${server.url}/in/[A-Za-z0-9_-]{32}$`));
    assert.deepEqual(created.body.config, {}, 'the secret is write-only');
    assert.equal(created.text.includes(STRIPE_SECRET), false);
    assert.deepEqual(created.body.dedup, { windowSeconds: 7 * 86400, jsonPath: null, header: null });

    const byUid = await server.request('GET', '/ingest/api/v1/source/stripe-live');
    assert.equal(byUid.status, 200);
    assert.equal(byUid.body.id, created.body.id);
    assert.equal(byUid.body.ingestUrl, created.body.ingestUrl);
    assert.ok(byUid.headers.get('etag'));

    const list = await server.request('GET', '/ingest/api/v1/source?limit=250');
    assert.ok(list.body.data.some((source: any) => source.id === created.body.id));
  });

  it('refuses configs that do not fit the type, and unknown types, with 422 naming the field', async () => {
    const missing = await server.request('POST', '/ingest/api/v1/source', { body: { name: 'x', type: 'stripe', config: {} } });
    assert.equal(missing.status, 422);
    assert.deepEqual(missing.body.detail[0].loc, ['body', 'config', 'secret']);
    const unknown = await server.request('POST', '/ingest/api/v1/source', { body: { name: 'x', type: 'carrier-pigeon', config: {} } });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.detail[0].loc[1], 'type');
    const badSchema = await server.request('POST', '/ingest/api/v1/source', {
      body: { name: 'x', type: 'generic-webhook', schemas: { 'order.created': { type: 'no-such-type' } } },
    });
    assert.equal(badSchema.status, 422);
    assert.deepEqual(badSchema.body.detail[0].loc, ['body', 'schemas', 'order.created']);
    const duplicateUid = await server.request('POST', '/ingest/api/v1/source', { body: { name: 'x', uid: 'stripe-live', type: 'generic-webhook' } });
    assert.equal(duplicateUid.status, 409);
  });

  it('keeps a stored secret when a replacement leaves it out, and uses a new one when given', async () => {
    const created = await server.request('POST', '/ingest/api/v1/source', { body: { name: 'Keep', type: 'stripe', config: { secret: STRIPE_SECRET } } });
    const replaced = await server.request('PUT', `/ingest/api/v1/source/${created.body.id}`, { body: { name: 'Kept', type: 'stripe', config: {} } });
    assert.equal(replaced.status, 200, replaced.text);
    assert.equal(replaced.body.name, 'Kept');
    const event = stripeEvent('evt_keep_1');
    assert.equal((await postToIngestUrl(created.body.ingestUrl, event)).status, 200, 'the old secret still verifies');

    const other = 'whsec_test_other_secret_abcdef0123456789';
    await server.request('PUT', `/ingest/api/v1/source/${created.body.id}`, { body: { name: 'Kept', type: 'stripe', config: { secret: other } } });
    // The receive route caches sources for a few seconds; a change through this process is seen at once.
    assert.equal((await postToIngestUrl(created.body.ingestUrl, stripeEvent('evt_keep_2'))).status, 401, 'the replaced secret no longer verifies');
    assert.equal((await postToIngestUrl(created.body.ingestUrl, stripeEvent('evt_keep_3', 'invoice.paid', {}, other))).status, 200);
  });

  it('rotates the ingest URL: the old one works during the grace period only', async () => {
    const created = await server.request('POST', '/ingest/api/v1/source', { body: { name: 'Rotating', type: 'generic-webhook' } });
    const oldUrl = created.body.ingestUrl;
    const rotated = await server.request('POST', `/ingest/api/v1/source/${created.body.id}/token/rotate`, { body: { gracePeriodSeconds: 3600 } });
    assert.equal(rotated.status, 200, rotated.text);
    assert.notEqual(rotated.body.ingestUrl, oldUrl);
    const post = (url: string) => postToIngestUrl(url, { body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    assert.equal((await post(rotated.body.ingestUrl)).status, 200);
    assert.equal((await post(oldUrl)).status, 200, 'the old URL is still in its grace period');

    const again = await server.request('POST', `/ingest/api/v1/source/${created.body.id}/token/rotate`, { body: { gracePeriodSeconds: 0 } });
    assert.equal((await post(again.body.ingestUrl)).status, 200);
    assert.equal((await post(rotated.body.ingestUrl)).status, 404, 'with no grace period the previous URL stops at once');
    assert.equal((await post(oldUrl)).status, 404);
  });

  it('deletes a source: its ingest URL stops answering and its destinations go with it', async () => {
    const created = await server.request('POST', '/ingest/api/v1/source', { body: { name: 'Doomed', type: 'generic-webhook' } });
    const endpoint = await server.request('POST', `/ingest/api/v1/source/${created.body.id}/endpoint`, { body: { url: 'https://example.com/hook' } });
    assert.equal(endpoint.status, 201);
    assert.equal((await server.request('DELETE', `/ingest/api/v1/source/${created.body.id}`)).status, 204);
    assert.equal((await server.request('GET', `/ingest/api/v1/source/${created.body.id}`)).status, 404);
    assert.equal((await server.request('GET', `/ingest/api/v1/source/${created.body.id}/endpoint/${endpoint.body.id}`)).status, 404);
    assert.equal((await postToIngestUrl(created.body.ingestUrl, { body: '{}', headers: { 'content-type': 'application/json' } })).status, 404);
  });

  it('keeps sources out of reach of credentials confined to one application', async () => {
    await server.request('POST', '/api/v1/app', { body: { name: 'Tenant', uid: 'tenant' } });
    const portal = await server.request('POST', '/api/v1/auth/app-portal-access/tenant', { body: {} });
    const token = portal.body.token;
    assert.equal((await server.request('GET', '/ingest/api/v1/source', { token })).status, 403);
    assert.equal((await server.request('POST', '/ingest/api/v1/source', { token, body: { name: 'x', type: 'generic-webhook' } })).status, 403);
    assert.equal((await server.request('GET', '/ingest/api/v1/source/stripe-live', { token })).status, 403);
    assert.equal((await server.request('GET', '/ingest/api/v1/source', { token: null })).status, 401);
  });

  it('is driven unmodified by the Svix SDK (ingest.source and ingest.endpoint)', async () => {
    const svix = new Svix(server.adminToken, { serverUrl: server.url });
    const source = await svix.ingest.source.create({ name: 'From the SDK', uid: 'sdk-github', type: 'github', config: { secret: 'It is a secret to everybody' } });
    assert.match(source.id, /^src_/);
    assert.ok(source.ingestUrl?.includes('/in/'));
    assert.equal((await svix.ingest.source.get('sdk-github')).id, source.id);
    const listed = await svix.ingest.source.list({ limit: 250 });
    assert.ok(listed.data.some((item) => item.id === source.id));

    const endpoint = await svix.ingest.endpoint.create(source.id, { url: 'https://example.com/github', description: 'CI' });
    assert.match(endpoint.id, /^ep_/);
    const fetched = await svix.ingest.endpoint.get(source.id, endpoint.id);
    assert.equal(fetched.description, 'CI');
    const secret = await svix.ingest.endpoint.getSecret(source.id, endpoint.id);
    assert.match(secret.key, /^whsec_/);
    await svix.ingest.endpoint.rotateSecret(source.id, endpoint.id, {});
    assert.notEqual((await svix.ingest.endpoint.getSecret(source.id, endpoint.id)).key, secret.key);
    await svix.ingest.endpoint.updateHeaders(source.id, endpoint.id, { headers: { 'X-Team': 'ci' } });
    assert.deepEqual((await svix.ingest.endpoint.getHeaders(source.id, endpoint.id)).headers, { 'X-Team': 'ci' });
    const updated = await svix.ingest.endpoint.update(source.id, endpoint.id, { url: 'https://example.com/github2' });
    assert.equal(updated.url, 'https://example.com/github2');
    assert.equal((await svix.ingest.endpoint.list(source.id)).data.length, 1);

    const rotated = await svix.ingest.source.rotateToken(source.id);
    assert.notEqual(rotated.ingestUrl, source.ingestUrl);
    const renamed = await svix.ingest.source.update(source.id, { name: 'Renamed', type: 'github', config: { secret: 'It is a secret to everybody' } });
    assert.equal(renamed.name, 'Renamed');
    await svix.ingest.endpoint.delete(source.id, endpoint.id);
    await svix.ingest.source.delete(source.id);
    await assert.rejects(svix.ingest.source.get(source.id), (error: any) => error.code === 404);
  });
});
