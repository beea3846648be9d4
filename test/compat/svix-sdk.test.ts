import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Svix, Webhook, ApiException } from 'svix';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The official Svix SDK, unmodified, against a real Hookyard. */
describe('svix SDK compatibility', () => {
  let server: TestServer;
  let svix: Svix;
  before(async () => {
    server = await startTestServer();
    svix = new Svix(server.adminToken, { serverUrl: server.url });
  });
  after(async () => {
    await server.close();
  });

  it('drives applications, including pagination and getOrCreate', async () => {
    const created = await svix.application.create({ name: 'SDK app', uid: 'sdk-app', metadata: { tier: 'gold' } });
    assert.match(created.id, /^app_/);
    assert.ok(created.createdAt instanceof Date);
    assert.equal((await svix.application.get('sdk-app')).id, created.id);
    assert.equal((await svix.application.update(created.id, { name: 'SDK app 2' })).name, 'SDK app 2');
    assert.equal((await svix.application.patch(created.id, { metadata: { tier: 'silver' } })).metadata.tier, 'silver');
    const again = await svix.application.getOrCreate({ name: 'ignored', uid: 'sdk-app' });
    assert.equal(again.id, created.id);

    for (let i = 0; i < 5; i++) await svix.application.create({ name: `page ${i}` });
    const seen: string[] = [];
    let iterator: string | null | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await svix.application.list({ limit: 2, iterator });
      seen.push(...page.data.map((a) => a.id));
      if (page.done) break;
      iterator = page.iterator;
    }
    assert.equal(new Set(seen).size, seen.length, 'no application is listed twice');
    assert.equal(seen.length, 6);
    await svix.application.delete(created.id);
    await assert.rejects(svix.application.get(created.id), (error: unknown) => error instanceof ApiException && error.code === 404);
  });

  it('drives endpoints, secrets, headers and stats', async () => {
    const app = await svix.application.create({ name: 'endpoints' });
    const endpoint = await svix.endpoint.create(app.id, {
      url: 'https://example.com/hook',
      uid: 'ep-one',
      filterTypes: ['user.signup'],
      channels: ['project_1'],
      description: 'first',
    });
    assert.match(endpoint.id, /^ep_/);
    assert.deepEqual(endpoint.filterTypes, ['user.signup']);
    assert.equal((await svix.endpoint.get(app.id, 'ep-one')).id, endpoint.id);
    assert.equal((await svix.endpoint.update(app.id, endpoint.id, { url: 'https://example.com/v2' })).url, 'https://example.com/v2');
    assert.equal((await svix.endpoint.patch(app.id, endpoint.id, { description: 'patched' })).description, 'patched');
    assert.equal((await svix.endpoint.list(app.id)).data.length, 1);

    const secret = await svix.endpoint.getSecret(app.id, endpoint.id);
    assert.match(secret.key, /^whsec_/);
    await svix.endpoint.rotateSecret(app.id, endpoint.id, {});
    assert.notEqual((await svix.endpoint.getSecret(app.id, endpoint.id)).key, secret.key);

    await svix.endpoint.updateHeaders(app.id, endpoint.id, { headers: { 'X-Team': 'blue', Authorization: 'Bearer s3cret' } });
    await svix.endpoint.patchHeaders(app.id, endpoint.id, { headers: { 'X-Extra': '1' } });
    const headers = await svix.endpoint.getHeaders(app.id, endpoint.id);
    assert.deepEqual(headers.headers, { 'X-Team': 'blue', 'X-Extra': '1' });
    assert.deepEqual(headers.sensitive, ['Authorization']);

    const stats = await svix.endpoint.getStats(app.id, endpoint.id);
    assert.equal(typeof stats.success, 'number');
    await svix.endpoint.delete(app.id, endpoint.id);
    assert.equal((await svix.endpoint.list(app.id)).data.length, 0);
  });

  it('drives event types', async () => {
    const created = await svix.eventType.create({ name: 'invoice.paid', description: 'An invoice was paid', schemas: { '1': { type: 'object', examples: [{ id: 'inv_1' }] } } });
    assert.equal(created.name, 'invoice.paid');
    assert.equal((await svix.eventType.get('invoice.paid')).description, 'An invoice was paid');
    assert.equal((await svix.eventType.update('invoice.paid', { description: 'Paid' })).description, 'Paid');
    assert.equal((await svix.eventType.patch('invoice.paid', { deprecated: true })).deprecated, true);
    assert.ok((await svix.eventType.list()).data.some((e) => e.name === 'invoice.paid'));
    await svix.eventType.delete('invoice.paid');
    assert.ok(!(await svix.eventType.list()).data.some((e) => e.name === 'invoice.paid'));
    assert.ok((await svix.eventType.list({ includeArchived: true })).data.some((e) => e.name === 'invoice.paid'));
  });

  it('drives messages, attempts and resend', async () => {
    const app = await svix.application.create({ name: 'messages' });
    const endpoint = await svix.endpoint.create(app.id, { url: 'https://example.com/m' });
    const msg = await svix.message.create(app.id, { eventType: 'user.signup', eventId: 'evt-1', payload: { user: 42 }, channels: ['c1'] });
    assert.match(msg.id, /^msg_/);
    assert.deepEqual(msg.payload, { user: 42 });
    assert.ok(msg.timestamp instanceof Date);
    assert.equal((await svix.message.get(app.id, 'evt-1')).id, msg.id);
    await assert.rejects(
      svix.message.create(app.id, { eventType: 'user.signup', eventId: 'evt-1', payload: {} }),
      (error: unknown) => error instanceof ApiException && error.code === 409,
    );
    const plain = await svix.message.create(app.id, { eventType: 'user.deleted', payload: { user: 7 } });
    const list = await svix.message.list(app.id, { eventTypes: ['user.signup', 'user.deleted'] });
    assert.deepEqual(list.data.map((m) => m.id), [plain.id, msg.id]);
    assert.deepEqual((await svix.message.list(app.id, { channel: 'c1' })).data.map((m) => m.id), [msg.id]);

    const destinations = await svix.messageAttempt.listAttemptedDestinations(app.id, msg.id);
    assert.deepEqual(destinations.data.map((d) => d.id), [endpoint.id]);
    const attempted = await svix.messageAttempt.listAttemptedMessages(app.id, endpoint.id);
    assert.ok(attempted.data.some((m) => m.id === msg.id));
    const byMsg = await svix.messageAttempt.listByMsg(app.id, msg.id);
    assert.ok(Array.isArray(byMsg.data));
    const byEndpoint = await svix.messageAttempt.listByEndpoint(app.id, endpoint.id);
    assert.ok(Array.isArray(byEndpoint.data));
    await svix.messageAttempt.resend(app.id, msg.id, endpoint.id);
    await svix.message.expungeContent(app.id, msg.id);
    assert.deepEqual((await svix.message.get(app.id, msg.id)).payload, {});
  });

  it('app-portal tokens reach their own application only, and logout revokes them', async () => {
    const mine = await svix.application.create({ name: 'mine', uid: 'portal-mine' });
    await svix.application.create({ name: 'theirs', uid: 'portal-theirs' });
    const access = await svix.authentication.appPortalAccess('portal-mine', {});
    assert.match(access.token, /^appsk_/);
    const portal = new Svix(access.token, { serverUrl: server.url });
    assert.equal((await portal.application.get('portal-mine')).id, mine.id);
    await assert.rejects(portal.application.get('portal-theirs'), (error: unknown) => error instanceof ApiException && error.code === 403);
    await portal.authentication.logout();
    await assert.rejects(portal.application.get('portal-mine'), (error: unknown) => error instanceof ApiException && error.code === 401);
  });

  it('health answers', async () => {
    await svix.health.get();
  });

  it('the SDK verifies what Hookyard signs (Webhook helper)', async () => {
    const { webhookHeaders } = await import('../../src/delivery/signing.js');
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"hello":"world"}';
    const headers = webhookHeaders({ msgId: 'msg_x', timestampSeconds: Math.floor(Date.now() / 1000), body, secrets: [secret], includeSvixHeaders: true });
    assert.deepEqual(new Webhook(secret).verify(body, headers), { hello: 'world' });
  });
});
