import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { describeStoreContract } from '../helpers/contract.js';
import type { OpenedStore } from '../helpers/stores.js';
import type { ApiTokenInput } from '../../src/store/port.js';

const START = Date.UTC(2026, 0, 1);
let clock = START;

const input = (overrides: Partial<ApiTokenInput> = {}): ApiTokenInput => ({
  kind: 'admin',
  appId: null,
  name: 'ops',
  scopes: [],
  tokenHash: `hash-${Math.random()}`,
  expiresAt: null,
  ...overrides,
});

await describeStoreContract('token store', (open) => {
  let opened: OpenedStore;
  beforeEach(async () => {
    clock = START;
    opened = await open({ now: () => clock });
  });
  afterEach(async () => {
    await opened.close();
  });

  it('creates a token and finds it by its hash only', async () => {
    const { store } = opened;
    const expiresAt = new Date(START + 3_600_000);
    const token = await store.createApiToken(input({ kind: 'app_portal', appId: 'app_x', name: 'portal', scopes: ['app:read', 'endpoint:write'], tokenHash: 'hash-1', expiresAt }));
    assert.match(token.id, /^tok_[0-9A-Za-z]{27}$/);
    assert.deepEqual(token, {
      id: token.id,
      kind: 'app_portal',
      appId: 'app_x',
      name: 'portal',
      scopes: ['app:read', 'endpoint:write'],
      prefix: null,
      rateLimit: null,
      createdAt: new Date(START),
      expiresAt,
      revokedAt: null,
      lastUsedAt: null,
    });
    assert.equal('tokenHash' in token, false, 'only a lookup by hash hands the hash back');
    assert.deepEqual(await store.findApiTokenByHash('hash-1'), { ...token, tokenHash: 'hash-1' });
    assert.equal(await store.findApiTokenByHash('hash-2'), undefined);
    assert.equal(await store.findApiTokenByHash('HASH-1'), undefined, 'hashes match exactly');
  });

  it('still finds expired and revoked tokens, leaving the verdict to the caller', async () => {
    const { store } = opened;
    const expired = await store.createApiToken(input({ tokenHash: 'old', expiresAt: new Date(START + 1000) }));
    clock += 5000;
    assert.equal((await store.findApiTokenByHash('old'))?.expiresAt?.getTime(), START + 1000);

    await store.revokeApiToken(expired.id);
    const revoked = await store.findApiTokenByHash('old');
    assert.equal(revoked?.id, expired.id);
    assert.equal(revoked?.revokedAt?.getTime(), clock);

    clock += 5000;
    await store.revokeApiToken(expired.id);
    assert.equal((await store.findApiTokenByHash('old'))?.revokedAt?.getTime(), clock - 5000, 'revoking again keeps the first revocation time');
    await store.revokeApiToken('tok_unknown');
  });

  it('counts unrevoked tokens per kind', async () => {
    const { store } = opened;
    assert.equal(await store.countApiTokens('admin'), 0);
    const admins = [await store.createApiToken(input()), await store.createApiToken(input()), await store.createApiToken(input())];
    await store.createApiToken(input({ kind: 'app_portal', appId: 'app_x' }));
    assert.equal(await store.countApiTokens('admin'), 3);
    assert.equal(await store.countApiTokens('app_portal'), 1);

    await store.revokeApiToken(admins[1]!.id);
    assert.equal(await store.countApiTokens('admin'), 2);
    assert.equal(await store.countApiTokens('app_portal'), 1, 'revoking one kind leaves the other alone');
  });

  it('keeps API keys with their prefix and rate limit, lists them newest first, and records their last use', async () => {
    const { store } = opened;
    const first = await store.createApiToken(input({ kind: 'api_key', name: 'one', scopes: ['app:read'], prefix: 'hyk_aaaaaaaa', rateLimit: 7 }));
    clock += 1000;
    const second = await store.createApiToken(input({ kind: 'api_key', name: 'two', prefix: 'hyk_bbbbbbbb' }));
    await store.createApiToken(input({ kind: 'app_portal', appId: 'app_x' }));
    assert.deepEqual(await store.getApiToken(first.id), first);
    assert.equal(await store.getApiToken('tok_missing'), undefined);

    const page = await store.listApiTokens({ limit: 1 }, { kinds: ['api_key'] });
    assert.deepEqual(page.data.map((token) => token.id), [second.id]);
    assert.equal(page.done, false);
    const next = await store.listApiTokens({ limit: 1, iterator: page.iterator }, { kinds: ['api_key'] });
    assert.deepEqual(next.data.map((token) => token.prefix), ['hyk_aaaaaaaa']);
    assert.equal(next.data[0]!.rateLimit, 7);
    assert.equal((await store.listApiTokens({ limit: 10 }, { kinds: [] })).data.length, 0);

    await store.touchApiToken(first.id, new Date(START + 42));
    assert.equal((await store.getApiToken(first.id))!.lastUsedAt?.getTime(), START + 42);
  });

  it('rotates a token into a successor with the same rights, the old one expiring at the end of the overlap', async () => {
    const { store } = opened;
    const original = await store.createApiToken(input({ kind: 'api_key', appId: 'app_x', name: 'ci', scopes: ['message:write'], prefix: 'hyk_old00000', rateLimit: 3 }));
    clock += 1000;
    const rotated = await store.rotateApiToken(original.id, { tokenHash: 'hash-new', prefix: 'hyk_new00000' }, new Date(clock + 60_000));
    assert.ok(rotated.ok);
    const successor = rotated.value;
    assert.notEqual(successor.id, original.id);
    assert.deepEqual(
      { kind: successor.kind, appId: successor.appId, name: successor.name, scopes: successor.scopes, rateLimit: successor.rateLimit, prefix: successor.prefix },
      { kind: 'api_key', appId: 'app_x', name: 'ci', scopes: ['message:write'], rateLimit: 3, prefix: 'hyk_new00000' },
    );
    assert.equal((await store.findApiTokenByHash('hash-new'))?.id, successor.id);
    assert.equal((await store.getApiToken(original.id))!.expiresAt?.getTime(), clock + 60_000);

    await store.revokeApiToken(successor.id);
    assert.deepEqual(await store.rotateApiToken(successor.id, { tokenHash: 'hash-3', prefix: null }, new Date(clock)), { ok: false, reason: 'not_found' }, 'a revoked token is not rotated');
  });
});
