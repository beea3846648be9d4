import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { describeStoreContract } from '../helpers/contract.js';
import type { OpenedStore } from '../helpers/stores.js';
import type { ApplicationInput } from '../../src/store/port.js';

const input = (overrides: Partial<ApplicationInput> = {}): ApplicationInput => ({
  name: 'Acme',
  uid: null,
  throttleRate: null,
  metadata: {},
  ...overrides,
});

await describeStoreContract('application store', (open) => {
  let opened: OpenedStore;
  beforeEach(async () => {
    opened = await open();
  });
  afterEach(async () => {
    await opened.close();
  });

  it('creates, reads by id and uid, updates and deletes', async () => {
    const { store } = opened;
    const created = await store.createApplication(input({ uid: 'acme', metadata: { tier: 'gold' } }));
    assert.ok(created.ok);
    assert.match(created.value.id, /^app_[0-9A-Za-z]{27}$/);
    assert.deepEqual((await store.getApplication('acme'))?.id, created.value.id);
    assert.deepEqual((await store.getApplication(created.value.id))?.metadata, { tier: 'gold' });

    const updated = await store.updateApplication(created.value.id, input({ name: 'Acme 2', uid: 'acme' }), created.value.version);
    assert.ok(updated.ok);
    assert.equal(updated.value.name, 'Acme 2');
    assert.equal(updated.value.version, created.value.version + 1);

    const stale = await store.updateApplication(created.value.id, input({ name: 'Lost' }), created.value.version);
    assert.deepEqual(stale, { ok: false, reason: 'version_mismatch' });
    assert.equal((await store.getApplication('acme'))?.name, 'Acme 2');

    assert.deepEqual(await store.deleteApplication(created.value.id), { ok: true, value: undefined });
    assert.equal(await store.getApplication(created.value.id), undefined);
    assert.equal(await store.getApplication('acme'), undefined);
    assert.deepEqual(await store.deleteApplication(created.value.id), { ok: false, reason: 'not_found' });
  });

  it('refuses a second live application with the same uid and frees the uid on delete', async () => {
    const { store } = opened;
    const first = await store.createApplication(input({ uid: 'dup' }));
    assert.ok(first.ok);
    const second = await store.createApplication(input({ uid: 'dup' }));
    assert.equal(second.ok, false);
    assert.equal(!second.ok && second.reason, 'conflict');
    await store.deleteApplication(first.value.id);
    assert.ok((await store.createApplication(input({ uid: 'dup' }))).ok);
  });

  it('a failed write inside a group commit does not undo its neighbours', async () => {
    const { store } = opened;
    const results = await Promise.all([
      store.createApplication(input({ uid: 'a' })),
      store.createApplication(input({ uid: 'a' })),
      store.createApplication(input({ uid: 'b' })),
    ]);
    assert.deepEqual(
      results.map((r) => r.ok),
      [true, false, true],
    );
    const page = await store.listApplications({ limit: 10 });
    assert.deepEqual(page.data.map((a) => a.uid).sort(), ['a', 'b']);
  });

  it('pages forwards and backwards with stable iterators while rows are inserted', async () => {
    const { store } = opened;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const created = await store.createApplication(input({ name: `app ${i}` }));
      assert.ok(created.ok);
      ids.push(created.value.id);
    }
    const first = await store.listApplications({ limit: 3 });
    assert.deepEqual(first.data.map((a) => a.id), ids.slice(0, 3));
    assert.equal(first.done, false);
    // Inserted between page reads: appears at the end, never shifts pages already returned.
    const late = await store.createApplication(input({ name: 'late' }));
    assert.ok(late.ok);
    const second = await store.listApplications({ limit: 3, iterator: first.iterator });
    assert.deepEqual(second.data.map((a) => a.id), ids.slice(3, 6));
    const third = await store.listApplications({ limit: 3, iterator: second.iterator });
    assert.deepEqual(third.data.map((a) => a.id), [ids[6], late.value.id]);
    assert.equal(third.done, true);
    const back = await store.listApplications({ limit: 3, iterator: third.prevIterator });
    assert.deepEqual(back.data.map((a) => a.id), ids.slice(3, 6));
    const descending = await store.listApplications({ limit: 2, order: 'descending' });
    assert.deepEqual(descending.data.map((a) => a.id), [late.value.id, ids[6]]);
  });
});
