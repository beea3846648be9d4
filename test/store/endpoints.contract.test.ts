import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { describeStoreContract } from '../helpers/contract.js';
import { createApp, createEndpoint, endpointInput } from '../helpers/store-data.js';
import type { OpenedStore } from '../helpers/stores.js';

let clock = Date.UTC(2026, 0, 1);

await describeStoreContract('endpoint store', (open) => {
  let opened: OpenedStore;
  let appId: string;
  beforeEach(async () => {
    opened = await open({ now: () => clock });
    appId = await createApp(opened.store);
  });
  afterEach(async () => {
    await opened.close();
  });

  it('creates, finds by id or uid within its application only, updates and soft-deletes', async () => {
    const { store } = opened;
    const endpoint = await createEndpoint(store, appId, { uid: 'ep', eventTypes: ['a.b'], channels: ['c'], headers: { 'X-A': '1' }, retrySchedule: [1, 2] });
    assert.equal((await store.getEndpoint(appId, 'ep'))?.id, endpoint.id);
    assert.deepEqual((await store.getEndpoint(appId, endpoint.id))?.retrySchedule, [1, 2]);
    const otherApp = await createApp(store, 'other');
    assert.equal(await store.getEndpoint(otherApp, endpoint.id), undefined);
    assert.ok((await store.createEndpoint(otherApp, endpointInput({ uid: 'ep' }))).ok, 'uids are per application');

    const updated = await store.updateEndpoint(appId, endpoint.id, { ...endpointInput({ uid: 'ep', url: 'https://example.com/2' }) }, endpoint.version);
    assert.ok(updated.ok);
    assert.equal(updated.value.url, 'https://example.com/2');
    assert.equal(updated.value.secrets[0]!.key, endpoint.secrets[0]!.key, 'updates keep the secret');
    assert.deepEqual(await store.updateEndpoint(appId, endpoint.id, endpointInput(), endpoint.version), { ok: false, reason: 'version_mismatch' });

    assert.ok((await store.deleteEndpoint(appId, endpoint.id)).ok);
    assert.equal(await store.getEndpoint(appId, 'ep'), undefined);
    assert.ok((await store.createEndpoint(appId, endpointInput({ uid: 'ep' }))).ok, 'a deleted uid can be reused');
  });

  it('stores signing secrets encrypted, never in plain text', async () => {
    const endpoint = await createEndpoint(opened.store, appId);
    const plain = endpoint.secrets[0]!.key;
    const row = await opened.engine.read((db) => db.selectFrom('endpoints').select('secrets').where('id', '=', endpoint.id).executeTakeFirstOrThrow());
    assert.ok(!row.secrets.includes(plain));
    assert.ok(!row.secrets.includes(plain.slice('whsec_'.length)));
    assert.equal((await opened.store.getEndpoint(appId, endpoint.id))?.secrets[0]!.key, plain);
  });

  it('refuses a duplicate uid in the same application', async () => {
    await createEndpoint(opened.store, appId, { uid: 'dup' });
    const again = await opened.store.createEndpoint(appId, endpointInput({ uid: 'dup' }));
    assert.equal(!again.ok && again.reason, 'conflict');
  });

  it('keeps rotated secrets for their grace period only', async () => {
    const { store } = opened;
    const endpoint = await createEndpoint(store, appId);
    const first = endpoint.secrets[0]!.key;
    const rotated = await store.rotateEndpointSecret(appId, endpoint.id, 'whsec_' + 'B'.repeat(32), new Date(clock + 60_000));
    assert.ok(rotated.ok);
    assert.deepEqual(rotated.value.secrets.map((s) => s.key), ['whsec_' + 'B'.repeat(32), first]);
    clock += 61_000;
    assert.deepEqual((await store.getEndpoint(appId, endpoint.id))?.secrets.map((s) => s.key), ['whsec_' + 'B'.repeat(32)]);
  });

  it('pages endpoints by id', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await createEndpoint(opened.store, appId)).id);
    const first = await opened.store.listEndpoints(appId, { limit: 2 });
    assert.deepEqual(first.data.map((e) => e.id), ids.slice(0, 2));
    const rest = await opened.store.listEndpoints(appId, { limit: 10, iterator: first.iterator });
    assert.deepEqual(rest.data.map((e) => e.id), ids.slice(2));
    assert.equal(rest.done, true);
  });
});

await describeStoreContract('event type store', (open) => {
  let opened: OpenedStore;
  beforeEach(async () => {
    opened = await open();
  });
  afterEach(async () => {
    await opened.close();
  });
  const input = (name: string) => ({ name, description: name, archived: false, deprecated: false, featureFlag: null, schemas: { '1': { type: 'object' } } });

  it('archives by default, expunges on request, and revives an archived name on create', async () => {
    const { store } = opened;
    assert.ok((await store.createEventType(input('a.b'))).ok);
    assert.equal(!(await store.createEventType(input('a.b'))).ok, true);
    assert.ok((await store.deleteEventType('a.b', false)).ok);
    assert.equal((await store.getEventType('a.b'))?.archived, true);
    assert.deepEqual((await store.listEventTypes({ limit: 10, includeArchived: false })).data, []);
    assert.equal((await store.listEventTypes({ limit: 10, includeArchived: true })).data.length, 1);
    const revived = await store.createEventType({ ...input('a.b'), description: 'back' });
    assert.ok(revived.ok);
    assert.equal(revived.value.archived, false);
    assert.ok((await store.deleteEventType('a.b', true)).ok);
    assert.equal(await store.getEventType('a.b'), undefined);
    assert.deepEqual(await store.deleteEventType('a.b', true), { ok: false, reason: 'not_found' });
  });
});

await describeStoreContract('token, settings and idempotency stores', (open) => {
  let opened: OpenedStore;
  beforeEach(async () => {
    clock = Date.UTC(2026, 0, 1);
    opened = await open({ now: () => clock });
  });
  afterEach(async () => {
    await opened.close();
  });

  it('finds tokens by hash and revokes them', async () => {
    const { store } = opened;
    const token = await store.createApiToken({ kind: 'app_portal', appId: 'app_x', name: 'p', scopes: ['app:read'], tokenHash: 'hash-1', expiresAt: null });
    assert.equal((await store.findApiTokenByHash('hash-1'))?.id, token.id);
    assert.equal(await store.countApiTokens('app_portal'), 1);
    await store.revokeApiToken(token.id);
    assert.ok((await store.findApiTokenByHash('hash-1'))?.revokedAt);
    assert.equal(await store.countApiTokens('app_portal'), 0);
  });

  it('settings keep the first value written, even under concurrency', async () => {
    const values = await Promise.all(['a', 'b', 'c'].map((v) => opened.store.putSettingIfAbsent('k', v)));
    assert.equal(new Set(values).size, 1);
    assert.equal(await opened.store.getSetting('k'), values[0]);
  });

  it('idempotency keys: one claimer, stored response, abandoned locks and expiry', async () => {
    const { store } = opened;
    const record = (fingerprint = 'f1') => ({ scope: 's1', fingerprint, lockedUntil: new Date(clock + 1000), expiresAt: new Date(clock + 60_000) });
    const claims = await Promise.all([store.claimIdempotencyKey(record()), store.claimIdempotencyKey(record())]);
    assert.deepEqual(claims.map((c) => c.state).sort(), ['claimed', 'in_flight']);
    clock += 2000;
    assert.equal((await store.claimIdempotencyKey(record())).state, 'claimed', 'an abandoned lock is taken over');
    await store.completeIdempotencyKey('s1', { statusCode: 201, body: '{"id":1}', headers: { 'content-type': 'application/json' } });
    const done = await store.claimIdempotencyKey(record('f2'));
    assert.deepEqual(done, { state: 'completed', fingerprint: 'f1', statusCode: 201, body: '{"id":1}', headers: { 'content-type': 'application/json' } });
    clock += 60_000;
    assert.equal((await store.claimIdempotencyKey(record('f3'))).state, 'claimed', 'an expired key starts over');
    await store.releaseIdempotencyKey('s1');
    assert.equal((await store.claimIdempotencyKey(record('f4'))).state, 'claimed');
  });
});
