import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_RETRY_AFTER_MS, attemptsAllowed, nextRetryDelayMs, parseRetryAfter, retryDelayMs } from '../../src/delivery/retry.js';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

describe('retry schedule', () => {
  it('allows one attempt more than the schedule has delays', () => {
    assert.equal(attemptsAllowed([5, 300, 1800, 7200, 18000, 36000, 36000]), 8);
    assert.equal(attemptsAllowed([]), 1);
  });

  it('spreads each delay by at most 20 % either way', () => {
    const schedule = [5, 300];
    assert.equal(retryDelayMs(schedule, 1, () => 0), 4000);
    assert.equal(retryDelayMs(schedule, 1, () => 0.5), 5000);
    assert.equal(retryDelayMs(schedule, 1, () => 0.999999), 6000);
    assert.equal(retryDelayMs(schedule, 2, () => 0.5), 300_000);
    assert.equal(retryDelayMs(schedule, 3, () => 0.5), null, 'no delay after the last attempt');
  });

  it('reads Retry-After as seconds or as an HTTP date, within bounds', () => {
    assert.equal(parseRetryAfter('3', NOW), 3000);
    assert.equal(parseRetryAfter(' 0 ', NOW), 0);
    assert.equal(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW), 90_000);
    assert.equal(parseRetryAfter(new Date(NOW - 90_000).toUTCString(), NOW), 0, 'a date in the past means now');
    assert.equal(parseRetryAfter('86400', NOW), MAX_RETRY_AFTER_MS);
    assert.equal(parseRetryAfter(['7', '9'], NOW), 7000);
    assert.equal(parseRetryAfter('soon', NOW), null);
    assert.equal(parseRetryAfter('-5', NOW), null);
    assert.equal(parseRetryAfter('1.5', NOW), null);
    assert.equal(parseRetryAfter(undefined, NOW), null);
  });

  it('waits at least as long as the receiver asked, but never past the last attempt', () => {
    const schedule = [1, 1];
    assert.equal(nextRetryDelayMs(schedule, 1, 10_000, () => 0.5), 10_000);
    assert.equal(nextRetryDelayMs(schedule, 1, 10, () => 0.5), 1000, 'the schedule wins when it is longer');
    assert.equal(nextRetryDelayMs(schedule, 1, null, () => 0.5), 1000);
    assert.equal(nextRetryDelayMs(schedule, 3, 10_000, () => 0.5), null);
  });
});
