import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalThrottle } from '../../src/coordination/local.js';

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
