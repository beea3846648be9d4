import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { runHookyardCommand } from '../helpers/processes.js';
import { createTestDatabase, createTestRedisPrefix, skipUnlessCluster } from '../helpers/services.js';
import { TestCluster, allArrived, publishMany, webhookIds } from './support.js';

/** Several processes on one PostgreSQL database and one Redis, as a scaled-out deployment runs. */
describe('cluster on PostgreSQL + Redis', { skip: await skipUnlessCluster() }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let redis: Awaited<ReturnType<typeof createTestRedisPrefix>>;
  let receiver: Receiver;
  let answerMs = 0;
  let cluster: TestCluster;
  beforeEach(async () => {
    answerMs = 0;
    database = await createTestDatabase();
    redis = await createTestRedisPrefix();
    receiver = await startReceiver(() => ({ status: 200, delayMs: answerMs }));
    cluster = new TestCluster({ databaseUrl: database.url, redisUrl: redis.url, redisKeyPrefix: redis.prefix });
  });
  afterEach(async () => {
    await cluster.stop();
    await receiver.close();
    await database.drop();
    await redis.drop();
  });

  async function setUpEndpoint(extra: Record<string, unknown> = {}): Promise<string> {
    const node = cluster.processes[0]!;
    const app = await node.api('POST', '/api/v1/app', { name: 'Cluster' });
    await node.api('POST', `/api/v1/app/${app.id}/endpoint`, { url: `${receiver.url}/hook`, ...extra });
    return app.id;
  }

  it('delivers each of N messages exactly once across three processes', async () => {
    // A lease and a request timeout no loaded CI machine outlasts: with nothing failing, no delivery may come due
    // twice (a request timing out is a failure, and its retry a legitimate second delivery).
    const nodes = await cluster.start(3, { HOOKYARD_DELIVERY_LEASE_MS: '30000', HOOKYARD_REQUEST_TIMEOUT_MS: '10000' });
    const appId = await setUpEndpoint();
    const accepted = await publishMany(nodes, appId, 300);
    assert.equal(accepted.size, 300);
    await receiver.waitFor(allArrived(receiver, accepted), 30_000);
    // Give a late duplicate the time to show up before counting.
    await delay(500);
    const ids = webhookIds(receiver);
    assert.equal(ids.length, 300, `${ids.length - new Set(ids).size} duplicate deliveries`);
    const statuses = await nodes[2]!.api('GET', `/api/v1/app/${appId}/msg/${[...accepted][0]}/endpoint`);
    assert.equal(statuses.data[0].status, 0, 'recorded as delivered');
  });

  for (const through of ['Redis pub/sub', 'PostgreSQL LISTEN/NOTIFY'] as const) {
    it(`wakes idle workers in other processes as soon as work is committed (${through})`, async () => {
      if (through === 'PostgreSQL LISTEN/NOTIFY') cluster = new TestCluster({ databaseUrl: database.url });
      // Workers that would otherwise look for work only once a minute: the test's 15 s limit is far shorter.
      const slowPoll = { HOOKYARD_WORKER_POLL_INTERVAL_MS: '60000' };
      const [api] = await cluster.start(1, { ...slowPoll, HOOKYARD_ROLE: 'api' });
      await cluster.start(2, { ...slowPoll, HOOKYARD_ROLE: 'worker' });
      const appId = await setUpEndpoint();
      // Let the workers' first look find nothing, so they are asleep when the messages arrive.
      await delay(300);
      const accepted = await publishMany([api!], appId, 20);
      await receiver.waitFor(allArrived(receiver, accepted), 15_000);
    });
  }

  it('serves only health checks from a worker-role process', async () => {
    const [worker] = await cluster.start(1, { HOOKYARD_ROLE: 'worker' });
    assert.equal((await worker!.fetch('GET', '/api/v1/health')).status, 204);
    assert.equal((await worker!.fetch('GET', '/api/v1/app')).status, 404);
  });

  it("hands a killed process's leased deliveries to the others once the lease expires", async () => {
    answerMs = 300;
    // A lease and a request timeout no delivery outlives on a loaded machine: the kill is then the only cause of
    // duplicates.
    const nodes = await cluster.start(3, { HOOKYARD_WORKER_CONCURRENCY: '16', HOOKYARD_DELIVERY_LEASE_MS: '8000', HOOKYARD_REQUEST_TIMEOUT_MS: '5000' });
    const appId = await setUpEndpoint();
    // Published through the two survivors while the first one is killed early on, whatever the machine's speed.
    const publishing = publishMany(nodes.slice(1), appId, 400);
    await receiver.waitFor((requests) => requests.length >= 30, 30_000);
    await nodes[0]!.kill('SIGKILL');
    const beforeKill = new Set(webhookIds(receiver)).size;
    const accepted = await publishing;
    assert.ok(beforeKill < accepted.size, 'killed with deliveries still to make');
    await receiver.waitFor(allArrived(receiver, accepted), 60_000);
    const ids = webhookIds(receiver);
    const duplicates = ids.length - new Set(ids).size;
    // Only what the killed process had sent but not recorded goes out twice: at most its concurrency.
    assert.ok(duplicates <= 16, `${duplicates} duplicates`);
  });

  it('holds an endpoint throttle across all worker processes', async () => {
    const rate = 10;
    // Few slots per worker, so that deliveries held back by the throttle come back to all three of them.
    await cluster.start(3, { HOOKYARD_WORKER_CONCURRENCY: '4' });
    const appId = await setUpEndpoint({ rateLimit: rate });
    const accepted = await publishMany(cluster.processes, appId, 40);
    await receiver.waitFor(allArrived(receiver, accepted), 30_000);
    const times = receiver.requests.map((request) => request.receivedAt).sort((a, b) => a - b);
    let busiest = 0;
    for (let i = 0; i < times.length; i++) {
      let j = i;
      while (j < times.length && times[j]! - times[i]! < 1000) j++;
      busiest = Math.max(busiest, j - i);
    }
    // 10/s plus the one-slot burst and scheduling slack; three independent throttles would allow about 30.
    assert.ok(busiest <= 12, `${busiest} deliveries within one second at a throttle of ${rate}/s`);
    assert.ok(times.at(-1)! - times[0]! >= 3000, 'forty deliveries at 10/s take close to four seconds');
  });

  it('holds an API key to one quota across all processes', async () => {
    const limit = 10;
    const nodes = await cluster.start(3, { HOOKYARD_API_RATE_LIMIT: String(limit) });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the quota spent by start-up checks is back
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => nodes[i % 3]!.fetch('GET', '/api/v1/app')));
    const refilled = Math.floor(((Date.now() - started) * limit) / 1000) + 1;
    const allowed = answers.filter((answer) => answer.status === 200).length;
    // Three per-process quotas would let about 30 through.
    assert.ok(allowed <= limit + refilled, `${allowed} of 60 allowed at ${limit}/s`);
    assert.ok(answers.every((answer) => answer.status === 200 || answer.status === 429));
  });

  it('lets several processes run `hookyard migrate` at once', async () => {
    const results = await Promise.all([1, 2, 3].map(() => runHookyardCommand({ ...cluster.shared, HOOKYARD_LOG_LEVEL: 'error' }, ['migrate'])));
    for (const result of results) assert.equal(result.code, 0, result.output);
    const [node] = await cluster.start(1);
    assert.equal((await node!.fetch('GET', '/api/v1/health')).status, 204);
  });
});
