import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, it } from 'node:test';
import { SecretBox } from '../../src/core/secret-box.js';
import type { AuditEntry } from '../../src/store/port.js';
import { describeStoreContract } from '../helpers/contract.js';
import { testSecretBox, type OpenedStore } from '../helpers/stores.js';

const START = Date.UTC(2026, 0, 1);
let clock = START;

const entry = (overrides: Partial<Omit<AuditEntry, 'id'>> = {}): Omit<AuditEntry, 'id'> => ({
  at: new Date(clock),
  actorId: 'tok_a',
  actorKind: 'api_key',
  action: 'v1.application.create',
  method: 'POST',
  path: '/api/v1/app',
  statusCode: 201,
  outcome: 'success',
  appId: null,
  ip: '203.0.113.9',
  requestId: 'req-1',
  ...overrides,
});

await describeStoreContract('audit, OAuth and main-key stores', (open) => {
  let opened: OpenedStore;
  beforeEach(async () => {
    clock = START;
    opened = await open({ now: () => clock });
  });
  afterEach(async () => {
    await opened.close();
  });

  it('keeps audit entries and lists them newest first, by actor, action, outcome and time', async () => {
    const { store } = opened;
    await store.recordAudit([entry(), entry({ actorId: 'tok_b', outcome: 'denied', statusCode: 403 })]);
    clock += 1000;
    await store.recordAudit([entry({ actorId: null, actorKind: null, action: 'authenticate', outcome: 'unauthenticated', statusCode: 401 })]);
    await store.recordAudit([]);

    const all = await store.listAudit({ limit: 10 }, {});
    assert.equal(all.data.length, 3);
    assert.equal(all.data[0]!.outcome, 'unauthenticated', 'newest first');
    assert.deepEqual({ ...all.data[2]!, id: undefined }, { ...entry({ at: new Date(START) }), id: undefined });
    assert.match(all.data[0]!.id, /^aud_/);
    assert.deepEqual((await store.listAudit({ limit: 10 }, { actorId: 'tok_b' })).data.map((found) => found.outcome), ['denied']);
    assert.equal((await store.listAudit({ limit: 10 }, { action: 'authenticate' })).data.length, 1);
    assert.equal((await store.listAudit({ limit: 10 }, { outcome: 'success' })).data.length, 1);
    assert.equal((await store.listAudit({ limit: 10 }, { since: new Date(START + 500) })).data.length, 1);
    const paged = await store.listAudit({ limit: 2 }, {});
    assert.equal(paged.done, false);
    assert.equal((await store.listAudit({ limit: 2, iterator: paged.iterator }, {})).data.length, 1);
  });

  it('keeps OAuth clients with their secret hashes, rotates with an overlap, and revokes with their refresh tokens', async () => {
    const { store } = opened;
    const client = await store.createOAuthClient({ name: 'svc', scopes: ['app:read'], appId: null, secretHash: 'h1' });
    assert.match(client.id, /^cli_/);
    assert.deepEqual((await store.getOAuthClient(client.id))!.secretHashes, ['h1']);
    const rotated = await store.rotateOAuthClientSecret(client.id, 'h2', new Date(clock + 1000));
    assert.ok(rotated.ok);
    assert.deepEqual((await store.getOAuthClient(client.id))!.secretHashes, ['h2', 'h1'], 'the old secret works during the overlap');
    clock += 1001;
    assert.deepEqual((await store.getOAuthClient(client.id))!.secretHashes, ['h2'], 'and not after it');
    assert.deepEqual((await store.listOAuthClients({ limit: 10 })).data.map((found) => found.id), [client.id]);

    const refresh = await store.createRefreshToken({ familyId: 'fam_1', subjectId: client.id, subjectKind: 'oauth_client', scopes: ['app:read'], appId: null, expiresAt: new Date(clock + 60_000), tokenHash: 'r1' });
    assert.deepEqual(await store.revokeOAuthClient(client.id), { ok: true, value: undefined });
    assert.ok((await store.getOAuthClient(client.id))!.revokedAt);
    assert.ok((await store.findRefreshToken('r1'))!.revokedAt, 'its refresh tokens are revoked with it');
    assert.equal(refresh.usedAt, null);
    assert.deepEqual(await store.revokeOAuthClient(client.id), { ok: false, reason: 'not_found' });
    assert.deepEqual(await store.rotateOAuthClientSecret(client.id, 'h3', new Date(clock)), { ok: false, reason: 'not_found' });
  });

  it('rotates a refresh token once; a second use revokes its whole family', async () => {
    const { store } = opened;
    const base = { familyId: 'fam_x', subjectId: 'tok_key', subjectKind: 'api_key' as const, scopes: ['app:read', 'endpoint:read'], appId: 'app_1' };
    await store.createRefreshToken({ ...base, expiresAt: new Date(clock + 60_000), tokenHash: 'first' });
    const rotated = await store.rotateRefreshToken('first', { tokenHash: 'second', expiresAt: new Date(clock + 60_000), scopes: ['app:read'] }, new Date(clock + 900_000));
    assert.equal(rotated.state, 'rotated');
    if (rotated.state !== 'rotated') return;
    assert.equal(rotated.successor.familyId, 'fam_x');
    assert.deepEqual(rotated.successor.scopes, ['app:read']);
    assert.equal(rotated.successor.appId, 'app_1');
    assert.ok(rotated.previous.usedAt);

    const replay = await store.rotateRefreshToken('first', { tokenHash: 'third', expiresAt: new Date(clock + 60_000), scopes: ['app:read'] }, new Date(clock + 900_000));
    assert.deepEqual(replay, { state: 'reused', familyId: 'fam_x' });
    assert.ok((await store.findRefreshToken('second'))!.revokedAt, 'the successor falls with its family');
    assert.deepEqual(await store.revokedOAuthIds(['fam_x', 'fam_other']), ['fam_x'], "and the family's access tokens are revoked");
    assert.equal((await store.rotateRefreshToken('second', { tokenHash: 'fourth', expiresAt: new Date(clock + 60_000), scopes: [] }, new Date(clock))).state, 'invalid');
    assert.equal((await store.rotateRefreshToken('unknown', { tokenHash: 'fifth', expiresAt: new Date(clock + 60_000), scopes: [] }, new Date(clock))).state, 'invalid');
  });

  it('lets exactly one of two concurrent exchanges of a refresh token win', async () => {
    const { store } = opened;
    await store.createRefreshToken({ familyId: 'fam_race', subjectId: 'tok_k', subjectKind: 'api_key', scopes: [], appId: null, expiresAt: new Date(clock + 60_000), tokenHash: 'raced' });
    const outcomes = await Promise.all(
      ['a', 'b', 'c'].map((suffix) => store.rotateRefreshToken('raced', { tokenHash: `raced-${suffix}`, expiresAt: new Date(clock + 60_000), scopes: [] }, new Date(clock + 1000))),
    );
    assert.equal(outcomes.filter((outcome) => outcome.state === 'rotated').length, 1);
  });

  it('remembers revoked ids until they expire, extending rather than shortening', async () => {
    const { store } = opened;
    await store.revokeOAuthIds(['jti_1', 'jti_2'], new Date(clock + 1000));
    await store.revokeOAuthIds(['jti_1'], new Date(clock + 500));
    await store.revokeOAuthIds([], new Date(clock));
    clock += 700;
    assert.deepEqual((await store.revokedOAuthIds(['jti_1', 'jti_2', 'jti_3'])).sort(), ['jti_1', 'jti_2']);
    clock += 400;
    assert.deepEqual(await store.revokedOAuthIds(['jti_1', 'jti_2']), []);
    await store.revokeRefreshFamily('fam_z', new Date(clock + 1000));
    assert.deepEqual(await store.revokedOAuthIds(['fam_z']), ['fam_z']);
  });

  it('reseals every stored secret with a new main key, so that it alone opens them', async () => {
    const { store } = opened;
    const app = await store.createApplication({ name: 'A', uid: null, throttleRate: null, metadata: {} });
    assert.ok(app.ok);
    const endpoint = await store.createEndpoint(app.value.id, {
      uid: null, url: 'https://example.com', description: '', disabled: false, eventTypes: null, channels: null, throttleRate: null, metadata: {}, headers: {}, retrySchedule: null, secret: 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    });
    assert.ok(endpoint.ok);
    const source = await store.createSource({ uid: null, name: 'S', type: 'stripe', config: { secret: 'whsec_src' }, dedup: { windowSeconds: 0, jsonPath: null, header: null }, schemas: null, response: null, metadata: {}, token: 'tok-ingest' });
    assert.ok(source.ok);

    const newKey = randomBytes(32).toString('base64');
    const oldKey = (testSecretBox as unknown as { current: { key: Buffer } }).current.key.toString('base64');
    opened = await opened.reopen({ secretBox: new SecretBox(newKey, [oldKey]) });
    const resealed = await opened.store.resealSecrets();
    assert.deepEqual(resealed, { endpointSecrets: 1, sources: 1, idempotentResponses: 0 });
    assert.deepEqual(await opened.store.resealSecrets(), { endpointSecrets: 0, sources: 0, idempotentResponses: 0 }, 'nothing is left');

    opened = await opened.reopen({ secretBox: new SecretBox(newKey) });
    assert.equal((await opened.store.getEndpoint(app.value.id, endpoint.value.id))!.secrets[0]!.key, 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    const reopenedSource = await opened.store.getSource(source.value.id);
    assert.deepEqual(reopenedSource!.config, { secret: 'whsec_src' });
    assert.equal(reopenedSource!.token, 'tok-ingest');
  });
});
