import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { describeStoreContract } from '../helpers/contract.js';
import type { OpenedStore } from '../helpers/stores.js';
import type { EventTypeInput } from '../../src/store/port.js';

const START = Date.UTC(2026, 0, 1);
let clock = START;

const input = (name: string, overrides: Partial<EventTypeInput> = {}): EventTypeInput => ({
  name,
  description: `${name} happened`,
  archived: false,
  deprecated: false,
  featureFlag: null,
  schemas: { '1': { type: 'object', properties: { id: { type: 'string' } } } },
  ...overrides,
});

await describeStoreContract('event type store', (open) => {
  let opened: OpenedStore;
  beforeEach(async () => {
    clock = START;
    opened = await open({ now: () => clock });
  });
  afterEach(async () => {
    await opened.close();
  });

  it('creates, reads and updates with optimistic concurrency', async () => {
    const { store } = opened;
    const created = await store.createEventType(input('user.created', { deprecated: true, featureFlag: 'beta' }));
    assert.ok(created.ok);
    assert.deepEqual(created.value, {
      ...input('user.created', { deprecated: true, featureFlag: 'beta' }),
      createdAt: new Date(START),
      updatedAt: new Date(START),
      version: 1,
    });
    assert.deepEqual(await store.getEventType('user.created'), created.value);
    assert.equal(await store.getEventType('user.deleted'), undefined);

    clock += 500;
    const updated = await store.updateEventType('user.created', input('user.created', { description: 'new', schemas: null }), 1);
    assert.ok(updated.ok);
    assert.equal(updated.value.description, 'new');
    assert.equal(updated.value.schemas, null);
    assert.equal(updated.value.deprecated, false);
    assert.equal(updated.value.featureFlag, null);
    assert.equal(updated.value.version, 2);
    assert.equal(updated.value.updatedAt.getTime(), clock);
    assert.equal(updated.value.createdAt.getTime(), START);
    assert.deepEqual(await store.getEventType('user.created'), updated.value);

    assert.deepEqual(await store.updateEventType('user.created', input('user.created', { description: 'lost' }), 1), { ok: false, reason: 'version_mismatch' });
    assert.deepEqual(await store.updateEventType('nope', input('nope')), { ok: false, reason: 'not_found' });
    assert.equal((await store.getEventType('user.created'))?.description, 'new');
    assert.equal(await store.getEventType('nope'), undefined, 'an update never creates');
  });

  it('refuses a second live event type with the same name', async () => {
    const { store } = opened;
    assert.ok((await store.createEventType(input('a.b'))).ok);
    const again = await store.createEventType(input('a.b', { description: 'other' }));
    assert.equal(!again.ok && again.reason, 'conflict');
    assert.equal((await store.getEventType('a.b'))?.description, 'a.b happened');
  });

  it('lets exactly one of several concurrent creates of a name through', async () => {
    const { store } = opened;
    const results = await Promise.all(['1', '2', '3', '4'].map((d) => store.createEventType(input('race', { description: d }))));
    const winners = results.filter((r) => r.ok);
    assert.equal(winners.length, 1);
    assert.ok(results.every((r) => r.ok || r.reason === 'conflict'));
    assert.equal((await store.getEventType('race'))?.description, winners[0]!.ok && winners[0]!.value.description);
  });

  it('archives by default, keeping the row and hiding it from the default list', async () => {
    const { store } = opened;
    assert.ok((await store.createEventType(input('a.b'))).ok);
    assert.deepEqual(await store.deleteEventType('a.b', false, 7), { ok: false, reason: 'version_mismatch' });
    assert.equal((await store.getEventType('a.b'))?.archived, false);

    clock += 100;
    assert.deepEqual(await store.deleteEventType('a.b', false, 1), { ok: true, value: undefined });
    const archived = await store.getEventType('a.b');
    assert.equal(archived?.archived, true);
    assert.equal(archived?.version, 2);
    assert.equal(archived?.updatedAt.getTime(), clock);
    assert.equal(archived?.description, 'a.b happened', 'archiving keeps the definition');
    assert.deepEqual((await store.listEventTypes({ limit: 10, includeArchived: false })).data, []);
    assert.deepEqual(
      (await store.listEventTypes({ limit: 10, includeArchived: true })).data.map((e) => e.name),
      ['a.b'],
    );
    const live = await store.createEventType(input('c.d'));
    assert.ok(live.ok);
    assert.deepEqual(
      (await store.listEventTypes({ limit: 10, includeArchived: false })).data.map((e) => e.name),
      ['c.d'],
    );
  });

  it('brings an archived name back with the new definition when it is created again', async () => {
    const { store } = opened;
    assert.ok((await store.createEventType(input('a.b'))).ok);
    assert.ok((await store.deleteEventType('a.b', false)).ok);
    clock += 1000;
    const revived = await store.createEventType(input('a.b', { description: 'back', schemas: null, featureFlag: 'f' }));
    assert.ok(revived.ok);
    assert.equal(revived.value.archived, false);
    assert.equal(revived.value.description, 'back');
    assert.equal(revived.value.schemas, null);
    assert.equal(revived.value.featureFlag, 'f');
    assert.equal(revived.value.version, 3, 'a revival is a change like any other, so cached ETags go stale');
    assert.equal(revived.value.updatedAt.getTime(), clock);
    assert.deepEqual(await store.getEventType('a.b'), revived.value);
    assert.equal((await store.listEventTypes({ limit: 10, includeArchived: false })).data.length, 1);
  });

  it('expunges on request, removing the row for good', async () => {
    const { store } = opened;
    assert.ok((await store.createEventType(input('a.b'))).ok);
    assert.deepEqual(await store.deleteEventType('a.b', true, 9), { ok: false, reason: 'version_mismatch' });
    assert.ok(await store.getEventType('a.b'));
    assert.deepEqual(await store.deleteEventType('a.b', true), { ok: true, value: undefined });
    assert.equal(await store.getEventType('a.b'), undefined);
    assert.deepEqual((await store.listEventTypes({ limit: 10, includeArchived: true })).data, []);
    assert.deepEqual(await store.deleteEventType('a.b', true), { ok: false, reason: 'not_found' });
    assert.deepEqual(await store.deleteEventType('a.b', false), { ok: false, reason: 'not_found' });

    const recreated = await store.createEventType(input('a.b'));
    assert.ok(recreated.ok);
    assert.equal(recreated.value.version, 1, 'an expunged name starts afresh');

    assert.ok((await store.deleteEventType('a.b', false)).ok);
    assert.ok((await store.deleteEventType('a.b', true)).ok, 'an archived event type can still be expunged');
    assert.equal(await store.getEventType('a.b'), undefined);
  });

  it('pages by name, ascending by default, in both directions, skipping archived names', async () => {
    const { store } = opened;
    // Created out of order: the list follows the names, not creation.
    for (const name of ['d', 'a', 'f', 'c', 'e', 'b']) assert.ok((await store.createEventType(input(name))).ok);
    assert.ok((await store.deleteEventType('c', false)).ok);

    const first = await store.listEventTypes({ limit: 2, includeArchived: false });
    assert.deepEqual(first.data.map((e) => e.name), ['a', 'b']);
    assert.equal(first.iterator, 'b');
    assert.equal(first.done, false);
    const second = await store.listEventTypes({ limit: 2, iterator: first.iterator, includeArchived: false });
    assert.deepEqual(second.data.map((e) => e.name), ['d', 'e']);
    const third = await store.listEventTypes({ limit: 2, iterator: second.iterator, includeArchived: false });
    assert.deepEqual(third.data.map((e) => e.name), ['f']);
    assert.equal(third.done, true);
    const back = await store.listEventTypes({ limit: 2, iterator: third.prevIterator, includeArchived: false });
    assert.deepEqual(back.data.map((e) => e.name), ['d', 'e']);

    const withArchived = await store.listEventTypes({ limit: 3, iterator: 'a', includeArchived: true });
    assert.deepEqual(withArchived.data.map((e) => e.name), ['b', 'c', 'd']);
    const descending = await store.listEventTypes({ limit: 3, order: 'descending', includeArchived: false });
    assert.deepEqual(descending.data.map((e) => e.name), ['f', 'e', 'd']);
  });
});
