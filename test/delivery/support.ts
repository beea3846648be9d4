import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import type { TestServer } from '../helpers/server.js';

/** Shared steps of the delivery suites, all through the public API. */

export async function createApp(server: TestServer, name = 'Acme'): Promise<string> {
  const created = await server.request('POST', '/api/v1/app', { body: { name } });
  assert.equal(created.status, 201, created.text);
  return created.body.id;
}

export async function createEndpoint(server: TestServer, appId: string, body: Record<string, unknown>): Promise<any> {
  const created = await server.request('POST', `/api/v1/app/${appId}/endpoint`, { body });
  assert.equal(created.status, 201, created.text);
  return created.body;
}

export async function publish(server: TestServer, appId: string, body: Record<string, unknown>): Promise<any> {
  const sent = await server.request('POST', `/api/v1/app/${appId}/msg`, { body: { payload: { hello: 'world' }, ...body } });
  assert.equal(sent.status, 202, sent.text);
  return sent.body;
}

/** Every attempt for a message, oldest first. */
export async function attemptsOf(server: TestServer, appId: string, msgId: string): Promise<any[]> {
  const listed = await server.request('GET', `/api/v1/app/${appId}/attempt/msg/${msgId}?limit=250`);
  assert.equal(listed.status, 200, listed.text);
  return [...listed.body.data].reverse();
}

/** The message's delivery state per endpoint it was routed to. */
export async function destinationsOf(server: TestServer, appId: string, msgId: string): Promise<any[]> {
  const listed = await server.request('GET', `/api/v1/app/${appId}/msg/${msgId}/endpoint?limit=250`);
  assert.equal(listed.status, 200, listed.text);
  return listed.body.data;
}

/**
 * Polls until `probe` returns something other than undefined/false. Tests wait on outcomes this way rather than
 * sleeping a guessed time; the limit only turns a hang into a readable failure.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - started > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await delay(20);
  }
}

/** Requests' `webhook-id`s as the receiver saw them. */
export function idsSeen(requests: ReadonlyArray<{ headers: Record<string, unknown> }>): string[] {
  return requests.map((request) => String(request.headers['webhook-id']));
}
