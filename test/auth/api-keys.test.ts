import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runHookyardCommand } from '../helpers/processes.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('API keys', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await server.request('POST', '/api/v1/app', { body: { name: 'A', uid: 'keys-a' } });
    await server.request('POST', '/api/v1/app', { body: { name: 'B', uid: 'keys-b' } });
  });
  after(() => server.close());

  async function createKey(body: Record<string, unknown>) {
    const created = await server.request('POST', '/api/v1/api-key', { body });
    assert.equal(created.status, 201, created.text);
    return created.body;
  }

  it('shows a new key once, with a visible prefix, and never again', async () => {
    const created = await createKey({ name: 'CI deploys', scopes: ['message:write'] });
    assert.match(created.key, /^hyk_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.key.startsWith(`${created.prefix}_`), true);
    assert.deepEqual(created.scopes, ['message:write']);
    assert.equal(created.lastUsedAt, null);

    const fetched = await server.request('GET', `/api/v1/api-key/${created.id}`);
    assert.equal(fetched.body.prefix, created.prefix);
    assert.equal(fetched.text.includes(created.key), false, 'the key is not shown again');
    const listed = await server.request('GET', '/api/v1/api-key');
    assert.ok(listed.body.data.some((key: any) => key.id === created.id));
    assert.equal(listed.text.includes(created.key), false);
  });

  it('lets a key do what its scopes allow and refuses the rest with 403, telling the scope', async () => {
    const { key } = await createKey({ name: 'reader', scopes: ['app:read', 'message:read'] });
    assert.equal((await server.request('GET', '/api/v1/app/keys-a', { token: key })).status, 200);
    assert.equal((await server.request('GET', '/api/v1/app/keys-a/msg', { token: key })).status, 200);
    const write = await server.request('POST', '/api/v1/app/keys-a/msg', { token: key, body: { eventType: 'x', payload: {} } });
    assert.equal(write.status, 403);
    assert.equal(write.body.code, 'insufficient_access');
    assert.match(write.body.detail, /message:write/);
    assert.equal((await server.request('GET', '/api/v1/app/keys-a/endpoint', { token: key })).status, 403);
    assert.equal((await server.request('GET', '/api/v1/api-key', { token: key })).status, 403, 'key management needs admin');

    const writer = await createKey({ name: 'writer', scopes: ['message:write'] });
    assert.equal((await server.request('GET', '/api/v1/app/keys-a/msg', { token: writer.key })).status, 200, 'write includes read');
  });

  it('confines a key to one application', async () => {
    const { key } = await createKey({ name: 'tenant A', scopes: ['app:write', 'endpoint:write', 'message:write'], appId: 'keys-a' });
    assert.equal((await server.request('GET', '/api/v1/app/keys-a', { token: key })).status, 200);
    assert.equal((await server.request('GET', '/api/v1/app/keys-b', { token: key })).status, 403);
    assert.equal((await server.request('GET', '/api/v1/app', { token: key })).status, 403, 'cannot list other applications');
    const unknownApp = await server.request('POST', '/api/v1/api-key', { body: { name: 'x', scopes: ['app:read'], appId: 'no-such-app' } });
    assert.equal(unknownApp.status, 422);
  });

  it('revokes a key at once, and refuses expired keys', async () => {
    const created = await createKey({ name: 'short-lived', scopes: ['app:read'] });
    assert.equal((await server.request('GET', '/api/v1/app', { token: created.key })).status, 200);
    assert.equal((await server.request('DELETE', `/api/v1/api-key/${created.id}`)).status, 204);
    assert.equal((await server.request('GET', '/api/v1/app', { token: created.key })).status, 401);
    const shown = await server.request('GET', `/api/v1/api-key/${created.id}`);
    assert.ok(shown.body.revokedAt);
  });

  it('rotates a key: old and new both work during the overlap, only the new one after', async () => {
    const old = await createKey({ name: 'rotating', scopes: ['app:read'] });
    const rotated = await server.request('POST', `/api/v1/api-key/${old.id}/rotate`, { body: { overlapSeconds: 3600 } });
    assert.equal(rotated.status, 201, rotated.text);
    assert.notEqual(rotated.body.key, old.key);
    assert.deepEqual(rotated.body.scopes, ['app:read']);
    assert.equal((await server.request('GET', '/api/v1/app', { token: rotated.body.key })).status, 200);
    assert.equal((await server.request('GET', '/api/v1/app', { token: old.key })).status, 200, 'the old key still works during the overlap');
    const oldNow = await server.request('GET', `/api/v1/api-key/${old.id}`);
    assert.ok(Math.abs(new Date(oldNow.body.expiresAt).getTime() - (Date.now() + 3600_000)) < 60_000, 'the old key now expires after the overlap');

    const again = await server.request('POST', `/api/v1/api-key/${rotated.body.id}/rotate`, { body: { overlapSeconds: 0 } });
    assert.equal((await server.request('GET', '/api/v1/app', { token: rotated.body.key })).status, 401, 'no overlap: the replaced key stops at once');
    assert.equal((await server.request('GET', '/api/v1/app', { token: again.body.key })).status, 200);
  });

  it("records when a key was last used, and applies a key's own rate limit", async () => {
    const created = await createKey({ name: 'metered', scopes: ['app:read'], rateLimit: 3 });
    const answer = await server.request('GET', '/api/v1/app', { token: created.key });
    assert.equal(answer.headers.get('ratelimit-policy'), '"default";q=3;w=1');
    let lastUsedAt: string | null = null;
    for (let i = 0; i < 100 && lastUsedAt === null; i++) {
      lastUsedAt = (await server.request('GET', `/api/v1/api-key/${created.id}`)).body.lastUsedAt;
      if (lastUsedAt === null) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(lastUsedAt !== null && Math.abs(new Date(lastUsedAt).getTime() - Date.now()) < 60_000);
  });

  it('refuses unknown scopes with 422', async () => {
    const answer = await server.request('POST', '/api/v1/api-key', { body: { name: 'x', scopes: ['root'] } });
    assert.equal(answer.status, 422);
  });
});

describe('API keys from the CLI', () => {
  it('creates, lists, rotates and revokes keys on the configured store', async () => {
    const server = await startTestServer({ store: 'sqlite' });
    const env = { HOOKYARD_DATA_DIR: server.config.dataDir, HOOKYARD_LOG_LEVEL: 'silent', HOOKYARD_SQLITE_SYNCHRONOUS: 'normal' };
    try {
      const created = await runHookyardCommand(env, ['key', 'create', '--name', 'from the cli', '--scopes', 'app:read,message:write']);
      assert.equal(created.code, 0, created.output);
      const key = /key \(shown once\): (\S+)/.exec(created.output)![1]!;
      const id = /^(tok_\S+)/m.exec(created.output)![1]!;
      assert.equal((await server.request('GET', '/api/v1/app', { token: key })).status, 200, 'the server accepts the key made by the CLI');
      const listed = await runHookyardCommand(env, ['key', 'list']);
      assert.match(listed.output, new RegExp(`${id}.*active.*scopes=app:read,message:write`));
      assert.equal(listed.output.includes(key), false, 'listing never shows a key');

      const rotated = await runHookyardCommand(env, ['key', 'rotate', id, '--overlap', '0']);
      assert.equal(rotated.code, 0, rotated.output);
      const newKey = /key \(shown once\): (\S+)/.exec(rotated.output)![1]!;
      const newId = /^(tok_\S+)/m.exec(rotated.output)![1]!;
      assert.equal((await server.request('GET', '/api/v1/app', { token: newKey })).status, 200);
      const revoked = await runHookyardCommand(env, ['key', 'revoke', newId]);
      assert.equal(revoked.code, 0, revoked.output);
      const after = await runHookyardCommand(env, ['key', 'list']);
      assert.match(after.output, new RegExp(`${newId}.*revoked`));
      assert.match(after.output, new RegExp(`${id}.*expired`), 'rotated without overlap: the old key expired at once');

      const bad = await runHookyardCommand(env, ['key', 'create', '--name', 'x', '--scopes', 'root']);
      assert.equal(bad.code, 2);
      assert.match(bad.output, /unknown scope/);
    } finally {
      await server.close();
    }
  });
});
