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
    assert.equal(await throttle.reserve('ep', 1, T + 5000, 'dlv_c'), 0, 'long after its slot, dlv_c books afresh (the endpoint is idle by then)');
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
