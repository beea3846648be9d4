import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { routeScopes } from '../../src/api/access.js';
import { ALL_SCOPES, grants, type RouteScope } from '../../src/auth/scopes.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface Operation {
  method: string;
  path: string;
  operationId: string;
  scope: RouteScope;
}

/**
 * The authorization matrix, proven over every operation of the API (taken from the served OpenAPI document, so a new
 * route is covered the day it is added): without a credential, 401; without the operation's scope, 403; a
 * read-only key writes nothing; a credential confined to application A reaches nothing of application B.
 */
describe('authorization on every route', () => {
  let server: TestServer;
  let receiver: Receiver;
  let operations: Operation[];
  /** Real ids of application B's objects, to fill every path parameter. */
  const ids: Record<string, string> = {};
  const keys: Record<string, string> = {};

  before(async () => {
    // Hundreds of refused credentials from one address would otherwise be slowed down, which is tested elsewhere.
    server = await startTestServer({ overrides: { authFailureLimit: 0 } });
    receiver = await startReceiver();
    const ok = async (method: string, path: string, body?: unknown) => {
      const answer = await server.request(method, path, { body });
      assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${answer.text}`);
      return answer.body;
    };
    await ok('POST', '/api/v1/app', { name: 'A', uid: 'matrix-a' });
    const appB = await ok('POST', '/api/v1/app', { name: 'B', uid: 'matrix-b' });
    const endpoint = await ok('POST', '/api/v1/app/matrix-b/endpoint', { url: `${receiver.url}/b` });
    const message = await ok('POST', '/api/v1/app/matrix-b/msg', { eventType: 'user.created', payload: { id: 1 } });
    await ok('POST', '/api/v1/event-type', { name: 'user.created', description: 'A user' });
    await receiver.waitFor((requests) => requests.length >= 1);
    let attempts: any;
    for (let i = 0; i < 100 && !attempts?.data?.length; i++) {
      attempts = await ok('GET', `/api/v1/app/matrix-b/attempt/msg/${message.id}`);
      if (!attempts.data.length) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const source = await ok('POST', '/ingest/api/v1/source', { name: 'S', type: 'generic-webhook' });
    const received = await fetch(source.ingestUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const event = (await received.json()) as { id: string };
    const task = await ok('POST', `/api/v1/app/matrix-b/endpoint/${endpoint.id}/recover`, { since: new Date(Date.now() - 60_000).toISOString() });
    const someKey = await ok('POST', '/api/v1/api-key', { name: 'target', scopes: ['app:read'] });
    const client = await ok('POST', '/api/v1/oauth-client', { name: 'target', scopes: ['app:read'] });
    Object.assign(ids, {
      app_id: appB.id,
      endpoint_id: endpoint.id,
      msg_id: message.id,
      attempt_id: attempts.data[0].id,
      event_type_name: 'user.created',
      source_id: source.id,
      event_id: event.id,
      key_id: someKey.id,
      client_id: client.id,
      task_id: task.id,
    });

    const key = async (name: string, scopes: string[], appId?: string) => (await ok('POST', '/api/v1/api-key', { name, scopes, appId })).key as string;
    const resourceScopes = ALL_SCOPES.filter((scope) => scope !== 'admin');
    keys.readOnly = await key('read-only', resourceScopes.filter((scope) => scope.endsWith(':read')));
    keys.confinedToA = await key('confined to A', resourceScopes, 'matrix-a');
    keys.portalA = (await ok('POST', '/api/v1/auth/app-portal-access/matrix-a', {})).token;

    const document = await ok('GET', '/api/v1/openapi.json');
    operations = [];
    for (const [path, methods] of Object.entries<Record<string, { operationId?: string; security?: unknown[] }>>(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        if (method === 'head' || !operation.operationId || (Array.isArray(operation.security) && operation.security.length === 0)) continue;
        const scope = routeScopes[operation.operationId];
        assert.ok(scope, `${operation.operationId} has a scope`);
        operations.push({ method: method.toUpperCase(), path, operationId: operation.operationId, scope });
      }
    }
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  function call(operation: Operation, token: string | null) {
    const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      assert.ok(ids[name], `a value for {${name}} in ${operation.path}`);
      return ids[name]!;
    });
    const body = ['POST', 'PUT', 'PATCH'].includes(operation.method) ? {} : undefined;
    return server.request(operation.method, path, { token, body });
  }

  it('covers the whole API', () => {
    assert.ok(operations.length >= 60, `${operations.length} operations found`);
    for (const id of ['v1.application.create', 'v1.message-attempt.resend', 'v1.ingest.event.replay', 'v1.api-key.create']) {
      assert.ok(operations.some((operation) => operation.operationId === id), `${id} is in the matrix`);
    }
  });

  it('answers 401 to every authenticated operation without a credential, or with an unknown one', async () => {
    for (const operation of operations) {
      assert.equal((await call(operation, null)).status, 401, `${operation.operationId} without a credential`);
      assert.equal((await call(operation, 'hyk_00000000_unknown')).status, 401, `${operation.operationId} with an unknown key`);
    }
  });

  it('answers 403 to every operation called without its scope', async () => {
    for (const operation of operations) {
      if (operation.scope === 'authenticated') continue;
      // Everything except what grants this operation: its scope, its resource's write scope, and admin.
      const without = ALL_SCOPES.filter((scope) => !grants([scope], operation.scope));
      const created = await server.request('POST', '/api/v1/api-key', { body: { name: `without ${operation.scope}`, scopes: without } });
      const answer = await call(operation, created.body.key);
      assert.equal(answer.status, 403, `${operation.operationId} with ${without.length} other scopes: ${answer.status} ${answer.text}`);
    }
  });

  it('lets a read-only key read everything and write nothing', async () => {
    for (const operation of operations) {
      const status = (await call(operation, keys.readOnly!)).status;
      if (operation.operationId === 'v1.authentication.logout') {
        assert.equal(status, 403, 'an API key does not log out: it is revoked by id');
      } else if (operation.scope.endsWith(':read') || operation.scope === 'authenticated') {
        assert.ok(status !== 401 && status !== 403, `${operation.operationId} is readable: ${status}`);
      } else {
        assert.equal(status, 403, `${operation.operationId} (${operation.scope}) refused to a read-only key`);
      }
    }
  });

  it("gives a credential confined to application A nothing of application B's", async () => {
    for (const token of [keys.confinedToA!, keys.portalA!]) {
      for (const operation of operations) {
        if (operation.scope === 'authenticated' || operation.scope === 'event_type:read') continue;
        const answer = await call(operation, token);
        assert.equal(answer.status, 403, `${operation.operationId} on B: ${answer.status} ${answer.text}`);
      }
      // The task belongs to B: a confined credential cannot tell it from a missing one.
      assert.equal((await server.request('GET', `/api/v1/background-task/${ids.task_id}`, { token })).status, 404);
      // …while its own application is reachable.
      assert.equal((await server.request('GET', '/api/v1/app/matrix-a/endpoint', { token })).status, 200);
    }
  });
});

describe('failed authentications', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ overrides: { authFailureLimit: 5 } });
  });
  after(() => server.close());

  it('are slowed down per address once the failure quota is spent, and audited', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await server.request('GET', '/api/v1/app', { token: `hyk_guess${i}_nope` })).status);
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.ok(statuses.slice(6).every((status) => status === 429), `then throttled: ${statuses.join(',')}`);
    const throttled = await server.request('GET', '/api/v1/app', { token: 'hyk_guess_again' });
    assert.equal(throttled.body.code, 'too_many_failed_authentications');
    assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
    // The admin token from the same address is throttled too: the address, not the token, is slowed down.
    assert.equal((await server.request('GET', '/api/v1/app')).status, 429);
  });
});
