import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SecretBox } from '../../src/core/secret-box.js';
import { adminTokenForTests, runHookyardCommand, startHookyardProcess, type HookyardProcess } from '../helpers/processes.js';
import { STRIPE_SECRET, postToIngestUrl, stripeEvent } from '../inbound/support.js';

const newKey = () => randomBytes(32).toString('base64');

describe('secret box key ring', () => {
  it('seals with the current key, opens with any key of the ring, and tells what needs resealing', () => {
    const [oldKey, currentKey] = [newKey(), newKey()];
    const before = new SecretBox(oldKey).encrypt('whsec_one');
    const during = new SecretBox(currentKey, [oldKey]);
    assert.equal(during.decrypt(before), 'whsec_one');
    assert.equal(during.needsResealing(before), true);
    const resealed = during.reseal(before);
    assert.equal(during.needsResealing(resealed), false);
    assert.equal(new SecretBox(currentKey).decrypt(resealed), 'whsec_one', 'after resealing the old key is not needed');
    assert.throws(() => new SecretBox(currentKey).decrypt(before), /main key this process does not have/);
    assert.throws(() => new SecretBox(newKey()).decrypt(resealed));
  });

  it('opens values sealed in the format written before keys had ids', () => {
    const key = newKey();
    // The earlier format, v1.<iv>.<tag>.<data>, made here by hand with node:crypto.
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(key, 'base64'), iv);
    const data = Buffer.concat([cipher.update('legacy', 'utf8'), cipher.final()]);
    const legacy = ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
    const box = new SecretBox(newKey(), [key]);
    assert.equal(box.decrypt(legacy), 'legacy');
    assert.equal(box.needsResealing(legacy), true);
  });
});

describe('hookyard rotate-main-key', () => {
  let dataDir: string;
  let node: HookyardProcess | undefined;
  let env: Record<string, string>;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hookyard-rotate-'));
    env = {
      HOOKYARD_DATA_DIR: dataDir,
      HOOKYARD_HOST: '127.0.0.1',
      HOOKYARD_ADMIN_TOKEN: adminTokenForTests(),
      HOOKYARD_LOG_LEVEL: 'silent',
      HOOKYARD_SQLITE_SYNCHRONOUS: 'normal',
    };
  });
  afterEach(async () => {
    await node?.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = async (extra: Record<string, string> = {}) => startHookyardProcess({ ...env, HOOKYARD_PORT: '0', ...extra });

  /** Stores one of each kind of sealed secret; returns what to check them by. */
  async function storeSecrets(running: HookyardProcess) {
    const app = await running.api('POST', '/api/v1/app', { name: 'Keys' });
    const endpointSecret = `whsec_${randomBytes(24).toString('base64')}`;
    const endpoint = await running.api('POST', `/api/v1/app/${app.id}/endpoint`, { url: 'https://example.com/hook', secret: endpointSecret });
    const source = await running.api('POST', '/ingest/api/v1/source', { name: 'Stripe', type: 'stripe', config: { secret: STRIPE_SECRET } });
    return { appId: app.id, endpointId: endpoint.id, endpointSecret, ingestPath: new URL(source.ingestUrl).pathname };
  }

  async function assertReadable(running: HookyardProcess, stored: Awaited<ReturnType<typeof storeSecrets>>) {
    const secret = await running.api('GET', `/api/v1/app/${stored.appId}/endpoint/${stored.endpointId}/secret`);
    assert.equal(secret.key, stored.endpointSecret, 'the endpoint secret opens');
    const received = await postToIngestUrl(`${running.url}${stored.ingestPath}`, stripeEvent(`evt_rotate_${randomBytes(4).toString('hex')}`));
    assert.equal(received.status, 200, 'the source token and config open');
  }

  it('reseals every secret so that the new key alone opens them', async () => {
    const [oldKey, currentKey] = [newKey(), newKey()];
    node = await start({ HOOKYARD_MAIN_KEY: oldKey });
    const stored = await storeSecrets(node);
    const idempotent = await fetch(`${node.url}/api/v1/app`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.HOOKYARD_ADMIN_TOKEN}`, 'content-type': 'application/json', 'idempotency-key': 'rotate-1' },
      body: JSON.stringify({ name: 'Once' }),
    });
    const first = await idempotent.json();
    await node.kill('SIGTERM');

    const rotated = await runHookyardCommand({ ...env, HOOKYARD_MAIN_KEY: currentKey, HOOKYARD_PREVIOUS_MAIN_KEYS: oldKey }, ['rotate-main-key']);
    assert.equal(rotated.code, 0, rotated.output);
    assert.match(rotated.output, /endpointSecrets\s+1/);
    assert.match(rotated.output, /sources\s+1/);
    assert.match(rotated.output, /idempotentResponses\s+[1-9]/);
    const again = await runHookyardCommand({ ...env, HOOKYARD_MAIN_KEY: currentKey, HOOKYARD_PREVIOUS_MAIN_KEYS: oldKey }, ['rotate-main-key']);
    assert.match(again.output, /endpointSecrets\s+0/, 'a second run finds nothing left to reseal');

    node = await start({ HOOKYARD_MAIN_KEY: currentKey });
    await assertReadable(node, stored);
    const replay = await fetch(`${node.url}/api/v1/app`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.HOOKYARD_ADMIN_TOKEN}`, 'content-type': 'application/json', 'idempotency-key': 'rotate-1' },
      body: JSON.stringify({ name: 'Once' }),
    });
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(await replay.json(), first, 'a stored response opens with the new key');
  });

  it('rotates the data dir key file with --generate', async () => {
    node = await start();
    const stored = await storeSecrets(node);
    await node.kill('SIGTERM');
    const before = readFileSync(join(dataDir, 'main.key'), 'utf8');

    const rotated = await runHookyardCommand(env, ['rotate-main-key', '--generate']);
    assert.equal(rotated.code, 0, rotated.output);
    assert.notEqual(readFileSync(join(dataDir, 'main.key'), 'utf8'), before, 'a new key file');
    assert.equal(existsSync(join(dataDir, 'main.key.previous')), false, 'the old key is dropped once everything is resealed');

    node = await start();
    await assertReadable(node, stored);
  });
});
