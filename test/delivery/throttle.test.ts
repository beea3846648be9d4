import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalRateLimiter, LocalThrottle } from '../../src/coordination/local.js';

const T = 1_000_000;
let tickets = 0;
/** A fresh delivery asking for the first time. */
const ticket = () => `dlv_${++tickets}`;

describe('local throttle', () => {
  it('books a slow endpoint’s sends one slot apart, at its rate', async () => {
    const throttle = new LocalThrottle();
    assert.equal(await throttle.reserve('ep', 2, T, ticket()), 0);
    assert.equal(await throttle.reserve('ep', 2, T, ticket()), 500, 'the next slot is half a second away');
    assert.equal(await throttle.reserve('ep', 2, T + 10, ticket()), 990, 'and the one after that is booked behind it');
    assert.equal(await throttle.reserve('other', 2, T, ticket()), 0, 'endpoints are throttled separately');
    assert.equal(await throttle.reserve('ep', 2, T + 5000, ticket()), 0, 'an idle endpoint starts afresh');
  });

  it('lets a tenth of a second’s worth through at once at high rates, and no more than the rate over a second', async () => {
    const throttle = new LocalThrottle();
    const slots: number[] = [];
    for (let i = 0; i < 300; i++) slots.push(T + (await throttle.reserve('ep', 100, T, ticket())));
    assert.equal(slots.filter((at) => at === T).length, 10, 'the burst');
    const busiest = Math.max(...slots.map((start) => slots.filter((at) => at >= start && at < start + 1000).length));
    assert.ok(busiest <= 110, `${busiest} slots within one second`);
  });

  it('lets a delivery redeem the slot booked for it, once, and only around its time', async () => {
    const throttle = new LocalThrottle();
    assert.equal(await throttle.reserve('ep', 1, T, 'dlv_a'), 0);
    assert.equal(await throttle.reserve('ep', 1, T, 'dlv_b'), 1000, 'dlv_b is booked a second out');
    assert.equal(await throttle.reserve('ep', 1, T, 'dlv_c'), 2000);
    assert.equal(await throttle.reserve('ep', 1, T + 1000, 'dlv_b'), 0, 'dlv_b returns at its slot and sends');
    assert.equal(await throttle.reserve('ep', 1, T + 1000, 'dlv_b'), 2000, 'a slot is redeemed once');
    assert.equal(await throttle.reserve('ep', 1, T + 5000, 'dlv_c'), 0, 'long after its slot, dlv_c still sends (the endpoint is idle by then)');
  });

  it('keeps a delivery that comes back early waiting for its own slot, without losing it', async () => {
    const throttle = new LocalThrottle();
    await throttle.reserve('ep', 5, T, ticket());
    assert.equal(await throttle.reserve('ep', 5, T, 'dlv_canceled'), 200);
    assert.equal(await throttle.reserve('ep', 5, T, 'dlv_early'), 400);
    assert.equal(await throttle.reserve('ep', 5, T + 300, 'dlv_early'), 100, 'too early: back at its slot');
    // The delivery booked before it never came back, so nothing was sent in between.
    assert.equal(await throttle.reserve('ep', 5, T + 360, 'dlv_early'), 0, 'a little early (clocks differ): it sends');
  });

  it('keeps the slots of the deliveries booked after one that sent late, half a slot apart, and no second above the rate', async () => {
    const throttle = new LocalThrottle();
    const sends = [T];
    assert.equal(await throttle.reserve('ep', 5, T, 'dlv_0'), 0);
    const comesBack = new Map<string, number>();
    for (let i = 1; i <= 6; i++) comesBack.set(`dlv_${i}`, T + (await throttle.reserve('ep', 5, T, `dlv_${i}`)));
    assert.deepEqual([...comesBack.values()], [200, 400, 600, 800, 1000, 1200].map((ms) => T + ms));

    // dlv_1 comes back 190 ms late and sends; the rest come back exactly when told to.
    comesBack.set('dlv_1', T + 390);
    const putBack: string[] = [];
    while (comesBack.size > 0) {
      const [id, at] = [...comesBack].sort((x, y) => x[1] - y[1])[0]!;
      const wait = await throttle.reserve('ep', 5, at, id);
      if (wait === 0) {
        sends.push(at);
        comesBack.delete(id);
      } else {
        putBack.push(id);
        comesBack.set(id, at + wait);
      }
    }
    // dlv_2 waits for half a slot after dlv_1; dlv_6 until dlv_1 was sent a second ago.
    assert.deepEqual(sends.map((at) => at - T), [0, 390, 490, 600, 800, 1000, 1390]);
    assert.deepEqual(putBack, ['dlv_2', 'dlv_6']);
  });

  it('puts a delivery back for no longer than keeps the rate', async () => {
    const throttle = new LocalThrottle();
    await throttle.reserve('ep', 5, T, ticket());
    const slots = [];
    for (const id of ['dlv_b', 'dlv_c', 'dlv_d', 'dlv_e', 'dlv_f']) slots.push(await throttle.reserve('ep', 5, T, id));
    assert.deepEqual(slots, [200, 400, 600, 800, 1000]);
    assert.equal(await throttle.reserve('ep', 5, T + 215, 'dlv_b'), 0, '15 ms late');
    for (const [id, at] of [['dlv_c', 403], ['dlv_d', 600], ['dlv_e', 800], ['dlv_f', 1000]] as const) assert.equal(await throttle.reserve('ep', 5, T + at, id), 0);
    assert.equal(await throttle.reserve('ep', 5, T + 1200, ticket()), 15, 'a second after dlv_b was sent, not a slot later');
  });

  it('holds the rate however late workers come back, and sends every delivery', async () => {
    const throttle = new LocalThrottle();
    let seed = 7;
    /** Deterministic lateness between 0 and 400 ms, up to two slots at 5/s. */
    const lateness = () => {
      seed = (seed * 48271) % 2147483647;
      return seed % 400;
    };
    const waiting = new Map<string, number>();
    for (let i = 0; i < 40; i++) waiting.set(`dlv_${i}`, T + i * 37);
    const sends: number[] = [];
    let presentations = 0;
    while (waiting.size > 0) {
      const [id, at] = [...waiting].sort((a, b) => a[1] - b[1])[0]!;
      presentations++;
      const wait = await throttle.reserve('ep', 5, at, id);
      if (wait === 0) {
        sends.push(at);
        waiting.delete(id);
      } else {
        waiting.set(id, at + wait + lateness());
      }
    }
    assert.equal(sends.length, 40);
    const busiest = Math.max(...sends.map((start) => sends.filter((at) => at >= start && at < start + 1000).length));
    assert.ok(busiest <= 5, `${busiest} sends within one second: ${sends.map((at) => at - T).join(', ')}`);
    const gaps = sends.slice(1).map((at, i) => at - sends[i]!);
    assert.ok(Math.min(...gaps) >= 100, `sends only ${Math.min(...gaps)} ms apart, at 5/s`);
    assert.ok(presentations < 40 * 4, `${presentations} presentations for 40 deliveries`);
    // Late returns do not add up: 40 sends at 5/s take 8 s, plus the last one's lateness and at most a second.
    assert.ok(Math.max(...sends) - T < 8000 + 400 + 1000, `last send ${Math.max(...sends) - T} ms in`);
  });
});

describe('API quota (GCRA)', () => {
  const policy = { limit: 4, windowSeconds: 2 };

  it('allows the whole quota at once, then one request per interval', async () => {
    const limiter = new LocalRateLimiter();
    const first = await limiter.take('k', policy, T);
    assert.deepEqual(first, { allowed: true, remaining: 3, resetSeconds: 1, retryAfterSeconds: 0 });
    for (const remaining of [2, 1, 0]) assert.equal((await limiter.take('k', policy, T)).remaining, remaining);
    const refused = await limiter.take('k', policy, T);
    assert.deepEqual(refused, { allowed: false, remaining: 0, resetSeconds: 2, retryAfterSeconds: 1 });
    assert.equal((await limiter.take('k', policy, T + 499)).allowed, false, 'one interval is 500 ms');
    assert.equal((await limiter.take('k', policy, T + 500)).allowed, true);
    assert.equal((await limiter.take('other', policy, T)).allowed, true, 'keys are apart');
  });

  it('refills to the full quota after one window of quiet', async () => {
    const limiter = new LocalRateLimiter();
    for (let i = 0; i < 4; i++) await limiter.take('k', policy, T);
    assert.equal((await limiter.take('k', policy, T + 2000)).remaining, 3);
  });
});
