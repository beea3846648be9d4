import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import type { HookyardProcess } from '../helpers/processes.js';
import { privatePostgresUnavailable, privateRedisUnavailable, startPrivatePostgres, startPrivateRedis } from '../helpers/private-services.js';
import { createTestDatabase, skipUnlessCluster } from '../helpers/services.js';
import { eventually } from '../delivery/support.js';
import { TestCluster, allArrived, publishMany } from './support.js';

/** Private servers are needed to restart them; under CI their absence fails like the shared services' would. */
function skipUnlessPrivateServers(): false | string {
  const reason = privatePostgresUnavailable() ?? privateRedisUnavailable();
  if (reason === null) return false;
  if (process.env.CI === 'true') throw new Error(`CI requires private PostgreSQL and Redis servers: ${reason}`);
  console.log(`# skipping outage suite: ${reason}`);
  return reason;
}

async function healthOf(node: HookyardProcess): Promise<{ status: number; body: any }> {
  return node.fetch('GET', '/api/v1/health');
}

/**
 * Publishes continuously, round-robin over `nodes`, until stopped; keeps the ids of the messages that were accepted
 * (202) and the status of every answer that was not.
 */
function keepPublishing(nodes: HookyardProcess[], appId: string) {
  const accepted = new Set<string>();
  const refused: number[] = [];
  let stopped = false;
  let i = 0;
  const loops = Array.from({ length: 4 }, async () => {
    while (!stopped) {
      const node = nodes[i++ % nodes.length]!;
      try {
        const answer = await node.fetch('POST', `/api/v1/app/${appId}/msg`, { eventType: 'outage.test', payload: { i } });
        if (answer.status === 202) accepted.add(answer.body.id);
        else refused.push(answer.status);
      } catch {
        refused.push(0);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });
  return {
    accepted,
    refused,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

describe('cluster through dependency restarts', { skip: (await skipUnlessCluster()) || skipUnlessPrivateServers() }, () => {
  let receiver: Receiver;
  let cluster: TestCluster | undefined;
  const cleanups: Array<() => Promise<void>> = [];
  beforeEach(async () => {
    receiver = await startReceiver(() => ({ status: 200 }));
  });
  afterEach(async () => {
    await cluster?.stop();
    await receiver.close();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUpEndpoint(node: HookyardProcess): Promise<string> {
    const app = await node.api('POST', '/api/v1/app', { name: 'Outage' });
    await node.api('POST', `/api/v1/app/${app.id}/endpoint`, { url: `${receiver.url}/hook` });
    return app.id;
  }

  it('survives a PostgreSQL restart: unhealthy and 503 meanwhile, everything accepted delivered', async () => {
    const postgres = await startPrivatePostgres();
    cleanups.push(() => postgres.destroy());
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.destroy());
    cluster = new TestCluster({ databaseUrl: postgres.url, redisUrl: redis.url });
    const nodes = await cluster.start(2);
    const appId = await setUpEndpoint(nodes[0]!);

    const publisher = keepPublishing(nodes, appId);
    await eventually('messages flow', async () => publisher.accepted.size >= 30);
    await postgres.stop();
    for (const node of nodes) {
      const health = await eventually('health reports the store down', async () => {
        const answer = await healthOf(node);
        return answer.status === 503 && answer;
      });
      assert.match(health.body.detail, /store unavailable/);
    }
    await eventually('publishing is refused meanwhile', async () => publisher.refused.length >= 5);
    const acceptedDuringOutage = publisher.accepted.size;

    await postgres.start();
    for (const node of nodes) await eventually('health recovers', async () => (await healthOf(node)).status === 204, 20_000);
    await eventually('messages flow again', async () => publisher.accepted.size >= acceptedDuringOutage + 30, 20_000);
    await publisher.stop();

    // A refusal is a clear 503 (store unavailable), never a 500 or a dropped connection.
    assert.deepEqual([...new Set(publisher.refused)], [503], `refusals: ${publisher.refused.join(',')}`);
    await receiver.waitFor(allArrived(receiver, publisher.accepted), 60_000);
  });

  it('survives a Redis restart: degraded meanwhile, still accepting and delivering', async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.destroy());
    cluster = new TestCluster({ databaseUrl: database.url, redisUrl: redis.url });
    const nodes = await cluster.start(2);
    const appId = await setUpEndpoint(nodes[0]!);
    for (const node of nodes) assert.equal((await healthOf(node)).status, 204);

    await redis.stop();
    for (const node of nodes) {
      const health = await eventually('health reports Redis down', async () => {
        const answer = await healthOf(node);
        return answer.status === 200 && answer;
      });
      assert.equal(health.body.status, 'degraded');
      assert.equal(health.body.store.status, 'ok');
      assert.equal(health.body.redis.status, 'down');
    }
    const duringOutage = await publishMany(nodes, appId, 40);
    await receiver.waitFor(allArrived(receiver, duringOutage), 20_000);

    await redis.start();
    for (const node of nodes) await eventually('health recovers', async () => (await healthOf(node)).status === 204, 20_000);
    const afterwards = await publishMany(nodes, appId, 40);
    await receiver.waitFor(allArrived(receiver, afterwards), 20_000);
  });
});
