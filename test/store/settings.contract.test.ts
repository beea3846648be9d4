import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { describeStoreContract } from '../helpers/contract.js';
import type { OpenedStore } from '../helpers/stores.js';

await describeStoreContract('settings store', (open) => {
  let opened: OpenedStore;
  beforeEach(async () => {
    opened = await open();
  });
  afterEach(async () => {
    await opened.close();
  });

  it('reads nothing for an unknown name and keeps the first value written', async () => {
    const { store } = opened;
    assert.equal(await store.getSetting('k'), undefined);
    assert.equal(await store.putSettingIfAbsent('k', 'first'), 'first');
    assert.equal(await store.putSettingIfAbsent('k', 'second'), 'first');
    assert.equal(await store.getSetting('k'), 'first');
    assert.equal(await store.putSettingIfAbsent('other', 'x'), 'x', 'names are independent');
    assert.equal(await store.getSetting('k'), 'first');
  });

  it('keeps values verbatim, the empty string included', async () => {
    const { store } = opened;
    const value = '  {"a":[1,2]}\n\u00e9 ';
    assert.equal(await store.putSettingIfAbsent('json', value), value);
    assert.equal(await store.getSetting('json'), value);
    assert.equal(await store.putSettingIfAbsent('empty', ''), '');
    assert.equal(await store.putSettingIfAbsent('empty', 'late'), '', 'an empty value is present, not absent');
  });

  it('hands every concurrent writer the one value that won', async () => {
    const { store } = opened;
    const candidates = Array.from({ length: 8 }, (_, i) => `value-${i}`);
    const values = await Promise.all(candidates.map((v) => store.putSettingIfAbsent('k', v)));
    assert.equal(new Set(values).size, 1, JSON.stringify(values));
    assert.ok(candidates.includes(values[0]!));
    assert.equal(await store.getSetting('k'), values[0]);
  });
});
