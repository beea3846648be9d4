import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createApp, createEndpoint, eventually, publish } from '../delivery/support.js';

/** Comfortably longer than a loopback request that is answered at once, even on a loaded machine. */
const SLOW_MS = 400;

describe('stats: counts and attempt latency percentiles', () => {
  let server: TestServer;
  let fast: Receiver;
  let slow: Receiver;
  let failing: Receiver;
  before(async () => {
    server = await startTestServer();
    fast = await startReceiver();
    slow = await startReceiver(() => ({ status: 200, delayMs: SLOW_MS }));
    failing = await startReceiver(() => ({ status: 500 }));
  });
  after(async () => {
    await server.close();
    await Promise.all([fast.close(), slow.close(), failing.close()]);
  });

  const stats = async (query = '') => {
    const answer = await server.request('GET', `/api/v1/stats${query}`);
    assert.equal(answer.status, 200, answer.text);
    return answer.body;
  };

  it('gives per-endpoint and global percentiles that order fast and slow endpoints, and counts over a range', async () => {
    const appId = await createApp(server);
    const toFast = await createEndpoint(server, appId, { url: fast.url });
    const toSlow = await createEndpoint(server, appId, { url: slow.url });
    for (let i = 0; i < 4; i++) await publish(server, appId, { eventType: 'user.created' });
    await eventually('all eight delivered and recorded', async () => (await stats()).success === 8);

    const endpointStats = async (endpointId: string) => (await server.request('GET', `/api/v1/app/${appId}/endpoint/${endpointId}/stats`)).body;
    const ofFast = await endpointStats(toFast.id);
    const ofSlow = await endpointStats(toSlow.id);
    assert.equal(ofFast.success, 4);
    assert.equal(ofSlow.attemptLatency.count, 4);
    assert.equal(ofFast.attemptLatency.count, 4);
    for (const { attemptLatency } of [ofFast, ofSlow]) {
      assert.ok(attemptLatency.p50 <= attemptLatency.p90 && attemptLatency.p90 <= attemptLatency.p99, JSON.stringify(attemptLatency));
    }
    assert.ok(ofSlow.attemptLatency.p50 >= SLOW_MS, `the slow endpoint's median is at least its delay: ${JSON.stringify(ofSlow.attemptLatency)}`);
    assert.ok(ofFast.attemptLatency.p99 < ofSlow.attemptLatency.p50, 'every fast attempt is quicker than the slow median');

    // Eight attempts: the median (4th) is the slowest of the fast ones, the 90th and 99th (8th) the slowest of all.
    const phaseOne = await stats();
    assert.deepEqual(
      { success: phaseOne.success, fail: phaseOne.fail, pending: phaseOne.pending, sending: phaseOne.sending, canceled: phaseOne.canceled },
      { success: 8, fail: 0, pending: 0, sending: 0, canceled: 0 },
    );
    assert.equal(phaseOne.attemptLatency.count, 8);
    assert.equal(phaseOne.attemptLatency.p50, ofFast.attemptLatency.p99);
    assert.equal(phaseOne.attemptLatency.p90, ofSlow.attemptLatency.p99);
    assert.equal(phaseOne.attemptLatency.p99, ofSlow.attemptLatency.p99);

    // A second period: another application whose only endpoint always fails (four attempts per message).
    await delay(2);
    const boundary = new Date();
    await delay(2);
    const other = await createApp(server, 'Other');
    await createEndpoint(server, other, { url: failing.url });
    await publish(server, other, { eventType: 'user.created' });
    await publish(server, other, { eventType: 'user.created' });
    const since = `?since=${boundary.toISOString()}`;
    const phaseTwo = await eventually('both exhausted', async () => {
      const answer = await stats(since);
      return answer.fail === 2 && answer;
    });
    assert.equal(phaseTwo.success, 0, 'the first period is outside the range');
    assert.equal(phaseTwo.attemptLatency.count, 8);
    assert.equal(phaseTwo.since, boundary.toISOString());
    assert.equal(phaseTwo.until, null);
    const earlier = await stats(`?until=${boundary.toISOString()}`);
    assert.equal(earlier.success, 8);
    assert.equal(earlier.fail, 0);
    assert.equal(earlier.attemptLatency.count, 8);
    assert.equal((await stats()).attemptLatency.count, 16);
  });

  it('reports nothing for an empty range, and refuses a reversed one', async () => {
    const future = new Date(Date.now() + 3600_000).toISOString();
    const empty = await stats(`?since=${future}`);
    assert.deepEqual(
      { ...empty, since: null },
      { since: null, until: null, messages: 0, success: 0, pending: 0, sending: 0, fail: 0, canceled: 0, attemptLatency: { count: 0, p50: null, p90: null, p99: null } },
    );
    const reversed = await server.request('GET', `/api/v1/stats?since=${future}&until=${new Date().toISOString()}`);
    assert.equal(reversed.status, 422);
  });

  it('counts messages, and lists failing endpoints across applications with their breaker state', async () => {
    const before = (await stats()).messages;
    const appId = await createApp(server, 'Failing');
    const broken = await createEndpoint(server, appId, { url: failing.url });
    for (let i = 0; i < 2; i++) await publish(server, appId, { eventType: 'user.created' });
    assert.equal((await stats()).messages, before + 2);
    const listed = await eventually('the failing endpoint is listed', async () => {
      const answer = await server.request('GET', '/api/v1/stats/failing-endpoints');
      return answer.body.data.find((endpoint: any) => endpoint.endpointId === broken.id && endpoint.consecutiveFailures >= 2);
    });
    assert.equal(listed.appId, appId);
    assert.equal(listed.url, failing.url);
    assert.equal(listed.circuitState, 'closed', 'two failures are below the breaker threshold');
    assert.ok(listed.failingSince && listed.lastFailureAt);
  });

  it('is for organisation-wide credentials only', async () => {
    const appId = await createApp(server, 'Portal');
    const access = await server.request('POST', `/api/v1/auth/app-portal-access/${appId}`, { body: {} });
    assert.equal(access.status, 200, access.text);
    assert.equal((await server.request('GET', '/api/v1/stats', { token: access.body.token })).status, 403);
    assert.equal((await server.request('GET', '/api/v1/stats', { token: null })).status, 401);
    assert.equal((await server.request('GET', '/api/v1/stats/failing-endpoints', { token: access.body.token })).status, 403);
    // The application's own endpoint stats stay open to it.
    const endpoint = await createEndpoint(server, appId, { url: fast.url });
    const own = await server.request('GET', `/api/v1/app/${appId}/endpoint/${endpoint.id}/stats`, { token: access.body.token });
    assert.equal(own.status, 200);
    assert.deepEqual(own.body.attemptLatency, { count: 0, p50: null, p90: null, p99: null });
  });
});
