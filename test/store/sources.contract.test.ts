import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { hashToken } from '../../src/core/secret-box.js';
import { describeStoreContract } from '../helpers/contract.js';
import { createApp, createEndpoint, createSource, sourceInput } from '../helpers/store-data.js';
import type { OpenedStore } from '../helpers/stores.js';

const START = Date.UTC(2026, 0, 1);
const GRACE = 60_000;

await describeStoreContract('source store', (open) => {
  let opened: OpenedStore;
  let clock: number;
  beforeEach(async () => {
    clock = START;
    opened = await open({ now: () => clock });
  });
  afterEach(async () => {
    await opened.close();
  });

  /** The stored row as it is, deleted or not, bypassing the store's own reads. */
  const rawRow = (id: string) => opened.engine.read((db) => db.selectFrom('sources').selectAll().where('id', '=', id).executeTakeFirstOrThrow());

  it('creates, finds by id or uid, updates and soft-deletes', async () => {
    const { store } = opened;
    const source = await createSource(store, { uid: 'stripe-live' });
    assert.match(source.id, /^src_[0-9A-Za-z]{27}$/);
    assert.equal(source.version, 1);
    assert.equal(source.createdAt.getTime(), START);
    assert.equal((await store.getSource('stripe-live'))?.id, source.id);
    assert.equal((await store.getSource(source.id))?.uid, 'stripe-live');
    assert.equal(await store.getSource('src_missing'), undefined);

    clock += 1000;
    const input = sourceInput({ uid: 'stripe-live', name: 'Stripe (live)', type: 'hmac', config: { secret: 'abc', algorithm: 'sha512' } });
    const updated = await store.updateSource(source.id, input, source.version);
    assert.ok(updated.ok);
    assert.equal(updated.value.name, 'Stripe (live)');
    assert.equal(updated.value.type, 'hmac');
    assert.deepEqual(updated.value.config, { secret: 'abc', algorithm: 'sha512' });
    assert.equal(updated.value.token, source.token, 'an update keeps the token and ignores input.token');
    assert.equal(updated.value.version, 2);
    assert.equal(updated.value.updatedAt.getTime(), clock);
    assert.equal(updated.value.createdAt.getTime(), START);
    assert.deepEqual(await store.getSource(source.id), updated.value);

    assert.deepEqual(await store.updateSource(source.id, input, 1), { ok: false, reason: 'version_mismatch' });
    assert.deepEqual(await store.deleteSource(source.id, 1), { ok: false, reason: 'version_mismatch' });
    assert.equal((await store.getSource(source.id))?.version, 2, 'refused writes change nothing');

    assert.deepEqual(await store.deleteSource(source.id, 2), { ok: true, value: undefined });
    assert.equal(await store.getSource(source.id), undefined);
    assert.equal(await store.getSource('stripe-live'), undefined);
    assert.deepEqual(await store.deleteSource(source.id), { ok: false, reason: 'not_found' });
    assert.deepEqual(await store.updateSource(source.id, input), { ok: false, reason: 'not_found' });
    assert.deepEqual(await store.rotateSourceToken(source.id, 'other-token', new Date(clock + GRACE)), { ok: false, reason: 'not_found' });
    assert.equal((await rawRow(source.id)).deleted_at, clock, 'deletion keeps the row, marked deleted');
    assert.ok((await store.createSource(sourceInput({ uid: 'stripe-live' }))).ok, 'a deleted uid can be reused');
  });

  it('round-trips every field, nulls included', async () => {
    const { store } = opened;
    const full = await createSource(store, {
      uid: 'gh',
      name: 'GitHub',
      type: 'github',
      config: { secret: 's3cret', nested: { list: [1, 'two', null] } },
      dedup: { windowSeconds: 600, jsonPath: 'data.id', header: 'x-github-delivery' },
      schemas: { 'push': { type: 'object', required: ['ref'] } },
      response: { status: 202, contentType: 'text/plain', body: 'queued' },
      metadata: { team: 'platform' },
    });
    const bare = await createSource(store, { dedup: { windowSeconds: 0, jsonPath: null, header: null } });
    assert.deepEqual(await store.getSource(full.id), full);
    assert.deepEqual(await store.getSource(bare.id), bare);
    assert.deepEqual(full.config, { secret: 's3cret', nested: { list: [1, 'two', null] } });
    assert.deepEqual(full.dedup, { windowSeconds: 600, jsonPath: 'data.id', header: 'x-github-delivery' });
    assert.deepEqual(full.schemas, { push: { type: 'object', required: ['ref'] } });
    assert.deepEqual(full.response, { status: 202, contentType: 'text/plain', body: 'queued' });
    assert.deepEqual(full.metadata, { team: 'platform' });
    assert.equal(bare.uid, null);
    assert.equal(bare.schemas, null);
    assert.equal(bare.response, null);
    const row = await rawRow(bare.id);
    assert.equal(row.schemas, null, 'no schemas is stored as null');
    assert.equal(row.response, null);
  });

  it('stores the config and the token encrypted, never in plain text', async () => {
    const { store } = opened;
    const token = 'tok-plain-text-0123456789';
    const source = await createSource(store, { token, config: { secret: 'whsec_TOP-SECRET-VALUE', region: 'eu-west' } });
    assert.equal(source.token, token);
    assert.deepEqual(source.config, { secret: 'whsec_TOP-SECRET-VALUE', region: 'eu-west' });

    const row = await rawRow(source.id);
    const stored = JSON.stringify(row);
    for (const plain of [token, 'TOP-SECRET-VALUE', 'eu-west']) assert.ok(!stored.includes(plain), `${plain} is not stored in plain text`);
    assert.ok(row.config_sealed.startsWith('v2.'), 'the config is sealed by the secret box');
    assert.ok(row.token_sealed.startsWith('v2.'), 'the token is sealed by the secret box');
    assert.equal(row.token_hash, hashToken(token), 'and hashed for lookup');

    const rotated = await store.rotateSourceToken(source.id, 'tok-rotated-plain-9876543210', new Date(clock + GRACE));
    assert.ok(rotated.ok);
    const after = JSON.stringify(await rawRow(source.id));
    assert.ok(!after.includes('tok-rotated-plain-9876543210') && !after.includes(token), 'no token in plain text after rotation either');
    const updated = await store.updateSource(source.id, sourceInput({ config: { secret: 'whsec_NEWER-SECRET' } }));
    assert.ok(updated.ok);
    assert.ok(!JSON.stringify(await rawRow(source.id)).includes('NEWER-SECRET'), 'an updated config is sealed too');
    assert.deepEqual((await store.getSource(source.id))?.config, { secret: 'whsec_NEWER-SECRET' });
  });

  it('refuses a duplicate uid among live sources, on create and on update', async () => {
    const { store } = opened;
    await createSource(store, { uid: 'dup' });
    const again = await store.createSource(sourceInput({ uid: 'dup' }));
    assert.equal(!again.ok && again.reason, 'conflict');
    assert.match(!again.ok && again.reason === 'conflict' ? again.detail : '', /dup/);

    const other = await createSource(store, { uid: 'other', name: 'Other' });
    const renamed = await store.updateSource(other.id, sourceInput({ uid: 'dup', name: 'Renamed' }));
    assert.equal(!renamed.ok && renamed.reason, 'conflict');
    const unchanged = await store.getSource(other.id);
    assert.equal(unchanged?.uid, 'other');
    assert.equal(unchanged?.name, 'Other');
    assert.equal(unchanged?.version, 1);
    assert.equal((await store.listSources({ limit: 10 })).data.length, 2, 'the refused create left no row behind');
  });

  it('finds the source an id names even when another source uses that id as its uid', async () => {
    const { store } = opened;
    const named = await createSource(store);
    const impostor = await createSource(store);
    assert.ok((await store.updateSource(named.id, sourceInput({ uid: impostor.id }))).ok);
    assert.equal((await store.getSource(impostor.id))?.id, impostor.id);
    assert.equal((await store.getSource(named.id))?.id, named.id);
  });

  it('finds a live source by its token only', async () => {
    const { store } = opened;
    const source = await createSource(store, { token: 'token-a' });
    const other = await createSource(store, { token: 'token-b' });
    assert.equal((await store.findSourceByToken('token-a'))?.id, source.id);
    assert.equal((await store.findSourceByToken('token-b'))?.id, other.id);
    assert.deepEqual(await store.findSourceByToken('token-a'), await store.getSource(source.id), 'the whole source, decrypted');
    assert.equal(await store.findSourceByToken('token-c'), undefined);
    assert.equal(await store.findSourceByToken(''), undefined);
    assert.ok((await store.deleteSource(source.id)).ok);
    assert.equal(await store.findSourceByToken('token-a'), undefined, 'a deleted source takes no more requests');
  });

  it('keeps accepting the previous token until its grace period ends', async () => {
    const { store } = opened;
    const source = await createSource(store, { token: 'first' });
    clock += 1000;
    const rotated = await store.rotateSourceToken(source.id, 'second', new Date(clock + GRACE));
    assert.ok(rotated.ok);
    assert.equal(rotated.value.token, 'second');
    assert.equal(rotated.value.version, 2);
    assert.equal(rotated.value.updatedAt.getTime(), clock);
    assert.equal((await store.findSourceByToken('second'))?.id, source.id);
    assert.equal((await store.findSourceByToken('first'))?.id, source.id, 'inside the grace period');
    assert.equal((await store.findSourceByToken('first'))?.token, 'second', 'reports the current token');

    clock += GRACE - 1;
    assert.equal((await store.findSourceByToken('first'))?.id, source.id, 'until the last millisecond');
    clock += 1;
    assert.equal(await store.findSourceByToken('first'), undefined, 'not at its expiry time');
    assert.equal((await store.findSourceByToken('second'))?.id, source.id);

    // A second rotation ends the older token's grace at once: only the token just replaced keeps one.
    const third = await store.rotateSourceToken(source.id, 'third', new Date(clock + GRACE));
    assert.ok(third.ok);
    const fourth = await store.rotateSourceToken(source.id, 'fourth', new Date(clock + GRACE));
    assert.ok(fourth.ok);
    assert.equal(await store.findSourceByToken('second'), undefined);
    assert.equal((await store.findSourceByToken('third'))?.id, source.id);
    assert.equal((await store.findSourceByToken('fourth'))?.id, source.id);

    // A grace period already over drops the previous token at once.
    const abrupt = await store.rotateSourceToken(source.id, 'fifth', new Date(clock));
    assert.ok(abrupt.ok);
    assert.equal(await store.findSourceByToken('fourth'), undefined);
    const row = await rawRow(source.id);
    assert.equal(row.previous_token_hash, null);
    assert.equal(row.previous_token_expires_at, null);
  });

  it('prefers the source whose current token it is over one still honouring it as a previous token', async () => {
    const { store } = opened;
    const rotatedAway = await createSource(store, { token: 'shared' });
    assert.ok((await store.rotateSourceToken(rotatedAway.id, 'moved-on', new Date(clock + GRACE))).ok);
    const current = await createSource(store, { token: 'shared' });
    assert.equal((await store.findSourceByToken('shared'))?.id, current.id);
    const taken = await store.createSource(sourceInput({ token: 'shared' }));
    assert.equal(!taken.ok && taken.reason, 'conflict', 'two sources never share a current token');
    const rotateOnto = await store.rotateSourceToken(rotatedAway.id, 'shared', new Date(clock + GRACE));
    assert.equal(!rotateOnto.ok && rotateOnto.reason, 'conflict');
    assert.equal((await store.getSource(rotatedAway.id))?.token, 'moved-on', 'the refused rotation changed nothing');
  });

  it('deletes the destinations of a deleted source, and only those', async () => {
    const { store } = opened;
    const source = await createSource(store);
    const kept = await createSource(store);
    const first = await createEndpoint(store, source.id, { url: 'https://example.com/a' });
    const second = await createEndpoint(store, source.id, { url: 'https://example.com/b' });
    const neighbour = await createEndpoint(store, kept.id);
    const appId = await createApp(store);
    const appEndpoint = await createEndpoint(store, appId);

    assert.deepEqual(await store.deleteSource(source.id, 7), { ok: false, reason: 'version_mismatch' });
    assert.equal((await store.listEndpoints(source.id, { limit: 10 })).data.length, 2, 'a refused delete keeps the destinations');

    clock += 1000;
    assert.ok((await store.deleteSource(source.id)).ok);
    assert.equal(await store.getEndpoint(source.id, first.id), undefined);
    assert.equal(await store.getEndpoint(source.id, second.id), undefined);
    assert.deepEqual((await store.listEndpoints(source.id, { limit: 10 })).data, []);
    const rows = await opened.engine.read((db) => db.selectFrom('endpoints').select(['id', 'deleted_at']).where('app_id', '=', source.id).execute());
    assert.deepEqual(
      rows.map((row) => row.deleted_at),
      [clock, clock],
      'soft-deleted at the time of the source',
    );
    assert.equal((await store.getEndpoint(kept.id, neighbour.id))?.id, neighbour.id);
    assert.equal((await store.getEndpoint(appId, appEndpoint.id))?.id, appEndpoint.id);
  });

  it('pages sources by id, ascending by default, without deleted ones', async () => {
    const { store } = opened;
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await createSource(store, { name: `s${i}` })).id);
    assert.ok((await store.deleteSource(ids[2]!)).ok);
    const live = ids.filter((_, i) => i !== 2);

    const first = await store.listSources({ limit: 2 });
    assert.deepEqual(first.data.map((s) => s.id), live.slice(0, 2));
    assert.equal(first.done, false);
    const second = await store.listSources({ limit: 2, iterator: first.iterator });
    assert.deepEqual(second.data.map((s) => s.id), live.slice(2, 4));
    const rest = await store.listSources({ limit: 10, iterator: second.iterator });
    assert.deepEqual(rest.data.map((s) => s.id), live.slice(4));
    assert.equal(rest.done, true);
    const back = await store.listSources({ limit: 2, iterator: second.prevIterator });
    assert.deepEqual(back.data.map((s) => s.id), live.slice(0, 2));
    const descending = await store.listSources({ limit: 2, order: 'descending' });
    assert.deepEqual(descending.data.map((s) => s.id), [live[4], live[3]]);
    assert.equal(descending.data[0]?.name, 's5');
    assert.ok(first.data.every((s) => s.token.length > 0 && typeof s.config.secret === 'string'), 'listed sources come decrypted');
  });
});
