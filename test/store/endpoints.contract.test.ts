import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { describeStoreContract } from '../helpers/contract.js';
import { createApp, createEndpoint, endpointInput } from '../helpers/store-data.js';
import type { OpenedStore } from '../helpers/stores.js';

const START = Date.UTC(2026, 0, 1);
let clock = START;

const secret = (letter: string) => `whsec_${letter.repeat(32)}`;

await describeStoreContract('endpoint store', (open) => {
  let opened: OpenedStore;
  let appId: string;
  beforeEach(async () => {
    clock = START;
    opened = await open({ now: () => clock });
    appId = await createApp(opened.store);
  });
  afterEach(async () => {
    await opened.close();
  });

  /** The stored row as it is, deleted or not, bypassing the store's own reads. */
  const rawRow = (id: string) => opened.engine.read((db) => db.selectFrom('endpoints').selectAll().where('id', '=', id).executeTakeFirst());

  it('creates, finds by id or uid within its application only, updates and soft-deletes', async () => {
    const { store } = opened;
    const endpoint = await createEndpoint(store, appId, { uid: 'ep', eventTypes: ['a.b'], channels: ['c'], headers: { 'X-A': '1' }, retrySchedule: [1, 2] });
    assert.match(endpoint.id, /^ep_[0-9A-Za-z]{27}$/);
    assert.equal(endpoint.version, 1);
    assert.equal((await store.getEndpoint(appId, 'ep'))?.id, endpoint.id);
    assert.deepEqual((await store.getEndpoint(appId, endpoint.id))?.retrySchedule, [1, 2]);
    const otherApp = await createApp(store, 'other');
    assert.equal(await store.getEndpoint(otherApp, endpoint.id), undefined);
    assert.equal(await store.getEndpoint(otherApp, 'ep'), undefined);
    assert.ok((await store.createEndpoint(otherApp, endpointInput({ uid: 'ep' }))).ok, 'uids are per application');

    clock += 1000;
    const updated = await store.updateEndpoint(appId, endpoint.id, endpointInput({ uid: 'ep', url: 'https://example.com/2', secret: secret('Z') }), endpoint.version);
    assert.ok(updated.ok);
    assert.equal(updated.value.url, 'https://example.com/2');
    assert.equal(updated.value.version, 2);
    assert.equal(updated.value.updatedAt.getTime(), clock);
    assert.equal(updated.value.createdAt.getTime(), START);
    assert.deepEqual(updated.value.secrets, endpoint.secrets, 'updates keep the stored secrets and ignore input.secret');
    assert.equal((await store.getEndpoint(appId, 'ep'))?.url, 'https://example.com/2');

    assert.deepEqual(await store.updateEndpoint(appId, endpoint.id, endpointInput(), endpoint.version), { ok: false, reason: 'version_mismatch' });
    assert.deepEqual(await store.deleteEndpoint(appId, endpoint.id, endpoint.version), { ok: false, reason: 'version_mismatch' });
    assert.deepEqual(await store.updateEndpoint(otherApp, endpoint.id, endpointInput()), { ok: false, reason: 'not_found' });
    assert.deepEqual(await store.deleteEndpoint(otherApp, endpoint.id), { ok: false, reason: 'not_found' });
    assert.equal((await store.getEndpoint(appId, endpoint.id))?.version, 2, 'failed writes change nothing');

    assert.deepEqual(await store.deleteEndpoint(appId, endpoint.id, 2), { ok: true, value: undefined });
    assert.equal(await store.getEndpoint(appId, 'ep'), undefined);
    assert.equal(await store.getEndpoint(appId, endpoint.id), undefined);
    assert.deepEqual(await store.deleteEndpoint(appId, endpoint.id), { ok: false, reason: 'not_found' });
    assert.deepEqual(await store.updateEndpoint(appId, endpoint.id, endpointInput()), { ok: false, reason: 'not_found' });
    assert.deepEqual(await store.rotateEndpointSecret(appId, endpoint.id, secret('Q'), new Date(clock)), { ok: false, reason: 'not_found' });

    const row = await rawRow(endpoint.id);
    assert.equal(row?.deleted_at, clock, 'deletion keeps the row, marked deleted');
    assert.ok((await store.createEndpoint(appId, endpointInput({ uid: 'ep' }))).ok, 'a deleted uid can be reused');
  });

  it('round-trips every field, nulls and empty collections included', async () => {
    const { store } = opened;
    const full = await createEndpoint(store, appId, {
      description: 'primary',
      disabled: true,
      eventTypes: ['user.created', 'user.deleted'],
      channels: ['eu', 'us'],
      throttleRate: 7,
      metadata: { team: 'billing' },
      headers: { 'X-Trace': 'on', Authorization: 'Bearer t' },
      retrySchedule: [5, 300],
    });
    const bare = await createEndpoint(store, appId);
    const readFull = await store.getEndpoint(appId, full.id);
    const readBare = await store.getEndpoint(appId, bare.id);
    assert.deepEqual(readFull, full);
    assert.deepEqual(readBare, bare);
    assert.equal(readFull?.disabled, true);
    assert.deepEqual(readFull?.eventTypes, ['user.created', 'user.deleted']);
    assert.deepEqual(readFull?.channels, ['eu', 'us']);
    assert.equal(readFull?.throttleRate, 7);
    assert.deepEqual(readFull?.metadata, { team: 'billing' });
    assert.deepEqual(readFull?.headers, { 'X-Trace': 'on', Authorization: 'Bearer t' });
    assert.deepEqual(readFull?.retrySchedule, [5, 300]);
    assert.equal(readBare?.disabled, false);
    assert.equal(readBare?.eventTypes, null);
    assert.equal(readBare?.channels, null);
    assert.equal(readBare?.retrySchedule, null);
    assert.equal(readBare?.throttleRate, null);
    assert.deepEqual(readBare?.headers, {});
    assert.equal(readBare?.createdAt.getTime(), START);

    const row = await rawRow(bare.id);
    assert.equal(row?.event_types, null, 'no filter is stored as null, not as an empty list');
    assert.equal(row?.disabled, 0);
  });

  it('refuses a duplicate uid in the same application, on create and on update', async () => {
    const { store } = opened;
    await createEndpoint(store, appId, { uid: 'dup' });
    const again = await store.createEndpoint(appId, endpointInput({ uid: 'dup' }));
    assert.equal(!again.ok && again.reason, 'conflict');

    const other = await createEndpoint(store, appId, { uid: 'other', url: 'https://example.com/other' });
    const renamed = await store.updateEndpoint(appId, other.id, endpointInput({ uid: 'dup', url: 'https://example.com/changed' }));
    assert.equal(!renamed.ok && renamed.reason, 'conflict');
    const unchanged = await store.getEndpoint(appId, other.id);
    assert.equal(unchanged?.uid, 'other');
    assert.equal(unchanged?.url, 'https://example.com/other');
    assert.equal(unchanged?.version, 1);

    const live = await store.listEndpoints(appId, { limit: 10 });
    assert.equal(live.data.length, 2, 'the refused create left no row behind');
  });

  it('finds the endpoint an id names even when another endpoint uses that id as its uid', async () => {
    const { store } = opened;
    const named = await createEndpoint(store, appId);
    const impostor = await createEndpoint(store, appId);
    // The older endpoint takes the newer one's id as its uid, so it sorts first among the candidates.
    assert.ok((await store.updateEndpoint(appId, named.id, endpointInput({ uid: impostor.id }))).ok);
    assert.equal((await store.getEndpoint(appId, impostor.id))?.id, impostor.id);
    assert.equal((await store.getEndpoint(appId, named.id))?.id, named.id);
  });

  it('stores signing secrets encrypted, never in plain text', async () => {
    const { store } = opened;
    const endpoint = await createEndpoint(store, appId);
    const plain = endpoint.secrets[0]!.key;
    assert.match(plain, /^whsec_/);
    assert.deepEqual(endpoint.secrets, [{ key: plain, expiresAt: null }]);
    const rotated = await store.rotateEndpointSecret(appId, endpoint.id, secret('N'), new Date(clock + 60_000));
    assert.ok(rotated.ok);

    const row = await rawRow(endpoint.id);
    const stored = row!.secrets;
    for (const key of [plain, secret('N')]) {
      assert.ok(!stored.includes(key), 'no plain secret in the row');
      assert.ok(!stored.includes(key.slice('whsec_'.length)), 'not even without its prefix');
    }
    const sealed = JSON.parse(stored) as Array<{ key: string; expiresAt: number | null }>;
    assert.equal(sealed.length, 2);
    assert.deepEqual(
      sealed.map((s) => s.expiresAt),
      [null, clock + 60_000],
    );
    assert.ok(sealed.every((s) => s.key.startsWith('v2.')), 'every key is sealed by the secret box');
    assert.deepEqual(
      (await store.getEndpoint(appId, endpoint.id))?.secrets.map((s) => s.key),
      [secret('N'), plain],
    );
  });

  it('keeps rotated secrets for their grace period only', async () => {
    const { store } = opened;
    const endpoint = await createEndpoint(store, appId);
    const first = endpoint.secrets[0]!.key;
    clock += 1000;
    const rotated = await store.rotateEndpointSecret(appId, endpoint.id, secret('B'), new Date(clock + 60_000));
    assert.ok(rotated.ok);
    assert.equal(rotated.value.version, 2);
    assert.equal(rotated.value.updatedAt.getTime(), clock);
    assert.deepEqual(rotated.value.secrets, [
      { key: secret('B'), expiresAt: null },
      { key: first, expiresAt: new Date(clock + 60_000) },
    ]);

    clock += 30_000;
    const again = await store.rotateEndpointSecret(appId, endpoint.id, secret('C'), new Date(clock + 60_000));
    assert.ok(again.ok);
    assert.deepEqual(
      again.value.secrets.map((s) => s.key),
      [secret('C'), secret('B'), first],
      'newest first, the oldest still inside its grace period',
    );

    clock += 30_000;
    assert.deepEqual(
      (await store.getEndpoint(appId, endpoint.id))?.secrets.map((s) => s.key),
      [secret('C'), secret('B')],
      'the first secret expired exactly at its expiry time',
    );
    const listed = await store.listEndpoints(appId, { limit: 10 });
    assert.deepEqual(
      listed.data[0]?.secrets.map((s) => s.key),
      [secret('C'), secret('B')],
    );

    clock += 60_000;
    assert.deepEqual((await store.getEndpoint(appId, endpoint.id))?.secrets.map((s) => s.key), [secret('C')]);
  });

  it('drops the previous secret at once when its grace period is already over', async () => {
    const { store } = opened;
    const endpoint = await createEndpoint(store, appId);
    const rotated = await store.rotateEndpointSecret(appId, endpoint.id, secret('D'), new Date(clock));
    assert.ok(rotated.ok);
    assert.deepEqual(rotated.value.secrets, [{ key: secret('D'), expiresAt: null }]);
    const row = await rawRow(endpoint.id);
    assert.equal((JSON.parse(row!.secrets) as unknown[]).length, 1, 'an expired secret is not kept at rest either');
  });

  it('keeps only the few most recent rotated-out secrets', async () => {
    const { store } = opened;
    const endpoint = await createEndpoint(store, appId, { secret: secret('0') });
    const letters = ['1', '2', '3', '4', '5', '6', '7', '8'];
    for (const letter of letters) {
      clock += 1;
      const rotated = await store.rotateEndpointSecret(appId, endpoint.id, secret(letter), new Date(clock + 3_600_000));
      assert.ok(rotated.ok);
    }
    const read = await store.getEndpoint(appId, endpoint.id);
    assert.deepEqual(
      read?.secrets.map((s) => s.key),
      ['8', '7', '6', '5', '4', '3'].map(secret),
    );
    assert.equal(read?.version, 1 + letters.length);
  });

  it('pages endpoints by id, ascending by default, within one application, without deleted ones', async () => {
    const { store } = opened;
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await createEndpoint(store, appId)).id);
    const otherApp = await createApp(store, 'other');
    await createEndpoint(store, otherApp);
    assert.ok((await store.deleteEndpoint(appId, ids[5]!)).ok);
    const live = ids.slice(0, 5);

    const first = await store.listEndpoints(appId, { limit: 2 });
    assert.deepEqual(first.data.map((e) => e.id), live.slice(0, 2));
    assert.equal(first.done, false);
    const second = await store.listEndpoints(appId, { limit: 2, iterator: first.iterator });
    assert.deepEqual(second.data.map((e) => e.id), live.slice(2, 4));
    const rest = await store.listEndpoints(appId, { limit: 10, iterator: second.iterator });
    assert.deepEqual(rest.data.map((e) => e.id), live.slice(4));
    assert.equal(rest.done, true);

    const back = await store.listEndpoints(appId, { limit: 2, iterator: second.prevIterator });
    assert.deepEqual(back.data.map((e) => e.id), live.slice(0, 2));
    const descending = await store.listEndpoints(appId, { limit: 3, order: 'descending' });
    assert.deepEqual(descending.data.map((e) => e.id), [live[4], live[3], live[2]]);
    assert.deepEqual((await store.listEndpoints(await createApp(store, 'empty'), { limit: 10 })).data, []);
  });
});
