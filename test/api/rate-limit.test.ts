import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

const LIMIT = 5;

describe('API rate limits', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ overrides: { apiRateLimit: LIMIT } });
    await server.request('POST', '/api/v1/app', { body: { name: 'Quota', uid: 'quota-app' } });
  });
  after(() => server.close());

  /** Sends `count` requests at once with `token`; resolves their statuses and how long the burst took. */
  async function burst(count: number, token?: string) {
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: count }, () => server.request('GET', '/api/v1/app/quota-app', { token })));
    return { answers, elapsedMs: Date.now() - started };
  }

  /** Slots that refill while a burst is under way, at LIMIT per second. */
  const refilledDuring = (elapsedMs: number) => Math.floor((elapsedMs * LIMIT) / 1000) + 1;

  it('states the policy and what is left of it on every answer', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a full quota, whatever ran before
    const answer = await server.request('GET', '/api/v1/app/quota-app');
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('ratelimit-policy'), `"default";q=${LIMIT};w=1`);
    assert.match(answer.headers.get('ratelimit') ?? '', new RegExp(`^"default";r=${LIMIT - 1};t=1$`));
  });

  it('refuses the excess of a burst with 429, Retry-After and a machine-readable body', async () => {
    const { answers, elapsedMs } = await burst(30);
    const ok = answers.filter((answer) => answer.status === 200).length;
    const refused = answers.filter((answer) => answer.status === 429);
    assert.ok(ok <= LIMIT + refilledDuring(elapsedMs), `${ok} of 30 allowed`);
    assert.ok(refused.length >= 30 - LIMIT - refilledDuring(elapsedMs), `${refused.length} refused`);
    for (const answer of refused) {
      assert.equal(answer.body.code, 'rate_limited');
      assert.ok(Number(answer.headers.get('retry-after')) >= 1);
      assert.match(answer.headers.get('ratelimit') ?? '', /^"default";r=0;t=\d+$/);
    }
  });

  it('gives every credential its own quota', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const access = await server.request('POST', '/api/v1/auth/app-portal-access/quota-app', { body: {} });
    assert.equal(access.status, 200);
    const { answers } = await burst(20);
    assert.ok(answers.some((answer) => answer.status === 429), 'the admin token has spent its quota');
    const portal = await server.request('GET', '/api/v1/app/quota-app', { token: access.body.token });
    assert.equal(portal.status, 200, 'a fresh credential is not held back by another one');
    assert.match(portal.headers.get('ratelimit') ?? '', new RegExp(`^"default";r=${LIMIT - 1};`));
  });

  it('lets the quota refill at the configured rate', async () => {
    await burst(20);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const { answers } = await burst(LIMIT);
    assert.deepEqual(answers.map((answer) => answer.status), Array(LIMIT).fill(200), 'a second later the whole quota is back');
  });

  it('never limits health checks or unauthenticated callers of authenticated routes', async () => {
    await burst(20);
    const health = await Promise.all(Array.from({ length: 20 }, () => server.request('GET', '/api/v1/health', { token: null })));
    assert.ok(health.every((answer) => answer.status === 204 && !answer.headers.has('ratelimit')));
    const anonymous = await server.request('GET', '/api/v1/app', { token: null });
    assert.equal(anonymous.status, 401);
  });
});

describe('API rate limits turned off', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ overrides: { apiRateLimit: 0 } });
  });
  after(() => server.close());

  it('sends no quota headers and refuses nothing', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, () => server.request('GET', '/api/v1/app')));
    assert.ok(answers.every((answer) => answer.status === 200 && !answer.headers.has('ratelimit-policy')));
  });
});
