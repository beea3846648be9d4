import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type HttpResult, type TestServer } from '../helpers/server.js';

/**
 * Hostile and malformed requests: each must get a 4xx with a machine-readable body, the server must stay up, and
 * nothing may be stored by a refused request.
 */
describe('bad input', () => {
  let server: TestServer;
  let appId: string;
  before(async () => {
    server = await startTestServer({ overrides: { bodyLimit: 64 * 1024 } });
    const app = await server.request('POST', '/api/v1/app', { body: { name: 'target', uid: 'target' } });
    appId = app.body.id;
  });
  after(async () => {
    await server.close();
  });

  function assertClientError(result: HttpResult, status?: number): void {
    assert.ok(result.status >= 400 && result.status < 500, `expected a 4xx, got ${result.status}: ${result.text}`);
    if (status !== undefined) assert.equal(result.status, status, result.text);
    assert.ok(result.text.length > 0, 'error responses carry a body');
    const body = JSON.parse(result.text);
    assert.ok(typeof body.code === 'string' || Array.isArray(body.detail), `machine-readable error: ${result.text}`);
  }

  async function messageCount(): Promise<number> {
    const page = await server.request('GET', `/api/v1/app/${appId}/msg?limit=250`);
    assert.equal(page.status, 200);
    return page.body.data.length;
  }

  async function appCount(): Promise<number> {
    const page = await server.request('GET', '/api/v1/app?limit=250');
    return page.body.data.length;
  }

  const post = (path: string, rawBody: string, contentType = 'application/json') =>
    server.request('POST', path, { rawBody, headers: { 'content-type': contentType } });

  it('truncated or malformed JSON is a 400', async () => {
    for (const raw of ['{"name": "x"', '{', '[1,2', '{"name": }', 'nul', '{"a":1}}', '\u0000']) {
      assertClientError(await post('/api/v1/app', raw), 400);
    }
    const empty = await post('/api/v1/app', '');
    assertClientError(empty);
  });

  it('wrong types are a 422 naming the field', async () => {
    const cases: Array<[unknown, string[]]> = [
      [{ name: 42 }, ['body', 'name']],
      [{ name: ['a'] }, ['body', 'name']],
      [{ name: 'x', metadata: { a: 1 } }, ['body', 'metadata', 'a']],
      [{ name: 'x', throttleRate: 'fast' }, ['body', 'throttleRate']],
      [{ name: 'x', uid: 7 }, ['body', 'uid']],
    ];
    for (const [body, loc] of cases) {
      const result = await server.request('POST', '/api/v1/app', { body });
      assertClientError(result, 422);
      assert.ok(
        result.body.detail.some((item: { loc: string[] }) => item.loc.join('.').startsWith(loc.join('.'))),
        `${JSON.stringify(body)} → ${result.text}`,
      );
    }
    const msg = await server.request('POST', `/api/v1/app/${appId}/msg`, { body: { eventType: 'a.b', payload: 'not an object' } });
    assertClientError(msg, 422);
    const arrayBody = await server.request('POST', '/api/v1/app', { body: [{ name: 'x' }] });
    assertClientError(arrayBody, 422);
  });

  it('unknown fields are refused, not silently dropped', async () => {
    const before = await appCount();
    const result = await server.request('POST', '/api/v1/app', { body: { name: 'x', nmae: 'typo' } });
    assertClientError(result, 422);
    assert.deepEqual(result.body.detail[0].loc, ['body', 'nmae']);
    const msg = await server.request('POST', `/api/v1/app/${appId}/msg`, { body: { eventType: 'a.b', payload: {}, evntId: 'x' } });
    assertClientError(msg, 422);
    assert.equal(await appCount(), before);
  });

  it('huge strings and oversize bodies are refused', async () => {
    const before = await appCount();
    assertClientError(await server.request('POST', '/api/v1/app', { body: { name: 'x'.repeat(5000) } }), 422);
    const oversize = await server.request('POST', '/api/v1/app', { body: { name: 'x'.repeat(70 * 1024) } });
    assertClientError(oversize, 413);
    assert.equal(oversize.body.code, 'payload_too_large');
    const bigPayload = await server.request('POST', `/api/v1/app/${appId}/msg`, { body: { eventType: 'a.b', payload: { blob: 'y'.repeat(80 * 1024) } } });
    assertClientError(bigPayload, 413);
    assert.equal(await appCount(), before);
  });

  it('unicode round-trips exactly', async () => {
    const name = 'Ünïcödé 🚀 名前 — עברית';
    const created = await server.request('POST', '/api/v1/app', { body: { name, metadata: { emoji: '🎉' } } });
    assert.equal(created.status, 201);
    const read = await server.request('GET', `/api/v1/app/${created.body.id}`);
    assert.equal(read.body.name, name);
    assert.equal(read.body.metadata.emoji, '🎉');
    const msg = await server.request('POST', `/api/v1/app/${appId}/msg`, { body: { eventType: 'unicode.test', payload: { text: name } } });
    assert.equal(msg.status, 202);
    assert.equal(msg.body.payload.text, name);
  });

  it('lone surrogates never cause a server error', async () => {
    const result = await post('/api/v1/app', '{"name":"bad \\ud800 surrogate"}');
    assert.ok(result.status < 500, result.text);
  });

  it('NUL characters are refused anywhere in the body', async () => {
    const before = await messageCount();
    assertClientError(await server.request('POST', '/api/v1/app', { body: { name: 'a\u0000b' } }), 422);
    assertClientError(await server.request('POST', `/api/v1/app/${appId}/msg`, { body: { eventType: 'a.b', payload: { x: 'nul\u0000here' } } }), 422);
    assertClientError(await server.request('POST', `/api/v1/app/${appId}/msg`, { body: { eventType: 'a.b', payload: { 'k\u0000': 1 } } }), 422);
    assert.equal(await messageCount(), before);
  });

  it('deep nesting is refused before parsing', async () => {
    const before = await messageCount();
    const depth = 5000;
    const raw = `{"eventType":"a.b","payload":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
    assertClientError(await post(`/api/v1/app/${appId}/msg`, raw), 422);
    const arrays = `{"eventType":"a.b","payload":{"x":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    assertClientError(await post(`/api/v1/app/${appId}/msg`, arrays), 422);
    assert.equal(await messageCount(), before);
  });

  it('prototype-poisoning keys are refused', async () => {
    assertClientError(await post('/api/v1/app', '{"name":"x","__proto__":{"admin":true}}'), 400);
    assertClientError(await post('/api/v1/app', '{"name":"x","constructor":{"prototype":{"admin":true}}}'), 400);
  });

  it('wrong content types are a 415', async () => {
    assertClientError(await post('/api/v1/app', 'name=x', 'application/x-www-form-urlencoded'), 415);
    assertClientError(await post('/api/v1/app', '{"name":"x"}', 'text/plain'), 415);
    assertClientError(await post('/api/v1/app', '<app/>', 'application/xml'), 415);
  });

  it('bad query strings and path parameters are 4xx', async () => {
    assertClientError(await server.request('GET', '/api/v1/app?limit=abc'), 422);
    assertClientError(await server.request('GET', '/api/v1/app?limit=100000'), 422);
    assertClientError(await server.request('GET', '/api/v1/app?limit=-1'), 422);
    assertClientError(await server.request('GET', '/api/v1/app?order=sideways'), 422);
    assertClientError(await server.request('GET', `/api/v1/app/${'x'.repeat(300)}`));
    assertClientError(await server.request('GET', '/api/v1/app/has%20space'), 422);
    assertClientError(await server.request('GET', `/api/v1/app/${appId}/msg?before=yesterday`), 422);
    assertClientError(await server.request('GET', '/api/v1/no-such-route'), 404);
  });

  it('survives a burst of mutated message bodies without a 5xx or a partial write', async () => {
    const valid = { eventType: 'fuzz.test', eventId: 'fuzz-base', channels: ['c1'], payload: { n: 1, s: 'x', list: [1, 2] } };
    const mutations: unknown[] = [];
    const values = [null, true, 0, -1, 1e308, '', 'x'.repeat(300), [], {}, [null], { $ref: '#' }, 'ü'];
    for (const key of [...Object.keys(valid), 'extra']) {
      for (const value of values) mutations.push({ ...valid, eventId: null, [key]: value });
    }
    const before = await messageCount();
    let accepted = 0;
    for (const body of mutations) {
      const result = await server.request('POST', `/api/v1/app/${appId}/msg`, { body });
      assert.ok(result.status < 500, `${JSON.stringify(body)} → ${result.status} ${result.text}`);
      if (result.status === 202) accepted += 1;
      else assertClientError(result);
    }
    assert.equal(await messageCount(), before + accepted);
    const health = await server.request('GET', '/api/v1/health', { token: null });
    assert.equal(health.status, 204);
  });
});
