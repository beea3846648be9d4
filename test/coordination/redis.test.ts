import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { createLogger } from '../../src/core/logger.js';
import { RedisCoordination } from '../../src/coordination/redis.js';
import { eventually } from '../delivery/support.js';
import { unusedPort } from '../helpers/receiver.js';
import { createTestRedisPrefix, skipUnlessCluster } from '../helpers/services.js';

const logger = createLogger('silent');

describe('Redis coordination', { skip: await skipUnlessCluster() }, () => {
  let prefix: Awaited<ReturnType<typeof createTestRedisPrefix>>;
  /** Three processes' worth of coordination sharing one Redis. */
  let nodes: RedisCoordination[];
  before(async () => {
    prefix = await createTestRedisPrefix();
    nodes = await Promise.all([1, 2, 3].map(() => RedisCoordination.connect({ url: prefix.url, keyPrefix: prefix.prefix, logger })));
  });
  after(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await prefix.drop();
  });

  it('books one schedule of send slots for all processes', async () => {
    const rate = 10;
    // Round-robin over the three nodes: with a per-process throttle each would hand out its own slots at 10/s.
    const waits: number[] = [];
    for (let i = 0; i < 30; i++) waits.push(await nodes[i % 3]!.throttle.reserve('ep_shared', rate, Date.now(), `t${i}`));
    const sorted = [...waits].sort((a, b) => a - b);
    assert.equal(sorted[0], 0, 'the first slot is free at once');
    // 30 slots at 10/s span about three seconds, whichever node booked them.
    assert.ok(sorted[29]! >= 2700, `last slot ${sorted[29]} ms out`);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]! - sorted[i - 1]! <= 110, `slots ${i - 1} and ${i} too far apart`);
    const withinFirstSecond = sorted.filter((wait) => wait < 1000).length;
    assert.ok(withinFirstSecond <= 11, `${withinFirstSecond} slots in the first second`);
  });

  it('keeps keys apart: another endpoint has its own schedule', async () => {
    await nodes[0]!.throttle.reserve('ep_a', 1, Date.now(), 'a1');
    assert.ok((await nodes[1]!.throttle.reserve('ep_a', 1, Date.now(), 'a2')) > 900);
    assert.equal(await nodes[2]!.throttle.reserve('ep_b', 1, Date.now(), 'b1'), 0);
  });

  it('lets a delivery redeem its booked slot in whichever process it returns to', async () => {
    assert.equal(await nodes[0]!.throttle.reserve('ep_ticket', 5, Date.now(), 'dlv_1'), 0);
    const wait = await nodes[0]!.throttle.reserve('ep_ticket', 5, Date.now(), 'dlv_2');
    assert.ok(wait > 150 && wait <= 200, `booked ${wait} ms out`);
    await delay(wait);
    assert.equal(await nodes[1]!.throttle.reserve('ep_ticket', 5, Date.now(), 'dlv_2'), 0, 'redeemed in another process');
    assert.ok((await nodes[2]!.throttle.reserve('ep_ticket', 5, Date.now(), 'dlv_2')) > 0, 'and only once');
  });

  it('holds the rate in any second when a delivery comes back late, whichever processes send', async () => {
    const rate = 2;
    const started = Date.now();
    const at = (ms: number) => delay(Math.max(0, started + ms - Date.now()));
    assert.equal(await nodes[0]!.throttle.reserve('ep_late', rate, Date.now(), 'late_0'), 0);
    for (const [id, slot] of [['late_1', 500], ['late_2', 1000], ['late_3', 1500]] as const) {
      const wait = await nodes[0]!.throttle.reserve('ep_late', rate, Date.now(), id);
      assert.ok(wait > slot - 60 && wait <= slot, `${id} booked ${wait} ms out`);
    }
    await at(900);
    assert.equal(await nodes[1]!.throttle.reserve('ep_late', rate, Date.now(), 'late_1'), 0, '400 ms late, it still sends');
    await at(1000);
    // About 150 ms each time; Redis counts whole milliseconds of its own reading of the clock.
    const gapWait = await nodes[2]!.throttle.reserve('ep_late', rate, Date.now(), 'late_2');
    assert.ok(gapWait > 50 && gapWait <= 170, `late_2 put back ${gapWait} ms: half a slot after late_1, not at once`);
    await delay(gapWait);
    assert.equal(await nodes[0]!.throttle.reserve('ep_late', rate, Date.now(), 'late_2'), 0, 'and keeps its ticket meanwhile');
    await at(1500);
    // Sending now would make three sends within 600 ms at 2/s: it waits until the late one is a second old.
    const windowWait = await nodes[0]!.throttle.reserve('ep_late', rate, Date.now(), 'late_3');
    assert.ok(windowWait > 150 && windowWait <= 420, `late_3 put back ${windowWait} ms`);
    await delay(windowWait);
    assert.equal(await nodes[1]!.throttle.reserve('ep_late', rate, Date.now(), 'late_3'), 0);
  });

  it('shares one API quota between processes', async () => {
    const policy = { limit: 10, windowSeconds: 60 };
    const decisions = [];
    // Round-robin over the three nodes: per-process quotas would allow 30.
    for (let i = 0; i < 30; i++) decisions.push(await nodes[i % 3]!.rateLimiter.take('key_shared', policy, Date.now()));
    assert.equal(decisions.filter((decision) => decision.allowed).length, 10);
    assert.deepEqual(decisions.slice(0, 10).map((decision) => decision.remaining), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const refused = decisions.at(-1)!;
    assert.equal(refused.allowed, false);
    assert.ok(refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= 6, `retry after ${refused.retryAfterSeconds} s`);
    assert.equal((await nodes[0]!.rateLimiter.take('key_other', policy, Date.now())).allowed, true, 'keys are apart');
  });

  it('grants a half-open probe to one process at a time', async () => {
    const now = Date.now();
    const answers = await Promise.all(nodes.map((node) => node.probes.acquire('ep_probe', 5000, now)));
    assert.equal(answers.filter((answer) => answer.held).length, 1, JSON.stringify(answers));
    for (const answer of answers) if (!answer.held) assert.ok(answer.freeInMs > 4000 && answer.freeInMs <= 5000);
    const holder = nodes[answers.findIndex((answer) => answer.held)]!;
    const other = nodes.find((node) => node !== holder)!;
    await other.probes.release('ep_probe');
    assert.equal((await other.probes.acquire('ep_probe', 5000, now)).held, false, 'only the holder releases its probe');
    await holder.probes.release('ep_probe');
    assert.equal((await other.probes.acquire('ep_probe', 5000, now)).held, true);
    await other.probes.release('ep_probe');
  });

  it('lets a probe lapse when its holder never releases it', async () => {
    assert.equal((await nodes[0]!.probes.acquire('ep_lapse', 50, Date.now())).held, true);
    await eventually('the probe lapses', async () => (await nodes[1]!.probes.acquire('ep_lapse', 50, Date.now())).held);
  });

  it('carries wake-ups from one process to the others', async () => {
    let woken = 0;
    const unsubscribe = [nodes[1]!, nodes[2]!].map((node) => node.signal.subscribe(() => (woken += 1)));
    nodes[0]!.signal.announce();
    await eventually('both subscribers are woken', async () => woken >= 2);
    unsubscribe.forEach((stop) => stop());
  });

  it('reports itself healthy', async () => {
    assert.deepEqual(await nodes[0]!.health(), { ok: true, detail: null });
  });
});

describe('Redis coordination without Redis', () => {
  it('starts degraded and falls back to per-process throttles and probes', async () => {
    const node = await RedisCoordination.connect({ url: `redis://127.0.0.1:${await unusedPort()}`, keyPrefix: 'nowhere:', logger, connectTimeoutMs: 300 });
    try {
      const health = await node.health();
      assert.equal(health.ok, false);
      assert.ok(health.detail, 'says why');
      assert.equal(await node.throttle.reserve('ep', 10, 1_000_000, 't1'), 0);
      assert.equal(await node.throttle.reserve('ep', 10, 1_000_000, 't2'), 100, 'the local throttle still spaces sends');
      assert.equal((await node.probes.acquire('ep', 1000, 1_000_000)).held, true);
      assert.equal((await node.probes.acquire('ep', 1000, 1_000_000)).held, false);
      node.signal.announce(); // must not throw while down
    } finally {
      await node.close();
    }
  });
});
