import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalProbeGate } from '../../src/coordination/local.js';
import { CircuitBreakers, circuitState } from '../../src/delivery/circuit-breaker.js';
import type { EndpointHealth } from '../../src/store/port.js';

const T = Date.UTC(2025, 0, 1);
const settings = { threshold: 3, cooldownMs: 1000 };

function health(consecutiveFailures: number, lastFailureAt: number | null, lastSuccessAt: number | null = null): EndpointHealth {
  return {
    endpointId: 'ep_1',
    consecutiveFailures,
    failingSince: consecutiveFailures > 0 && lastFailureAt !== null ? new Date(lastFailureAt - 10) : null,
    lastFailureAt: lastFailureAt === null ? null : new Date(lastFailureAt),
    lastSuccessAt: lastSuccessAt === null ? null : new Date(lastSuccessAt),
  };
}

describe('circuit breaker', () => {
  it('opens at the threshold, half-opens after the cool-down, closes on success', () => {
    assert.equal(circuitState(health(2, T), settings, T).state, 'closed');
    assert.deepEqual(circuitState(health(3, T), settings, T + 999), { state: 'open', halfOpensAt: new Date(T + 1000) });
    assert.equal(circuitState(health(3, T), settings, T + 1000).state, 'half_open');
    // A failed probe is the latest failure: another full cool-down.
    assert.equal(circuitState(health(4, T + 1000), settings, T + 1500).state, 'open');
    assert.equal(circuitState(health(0, T + 1000, T + 1200), settings, T + 1300).state, 'closed');
  });

  it('lets one probe through when half-open and holds the rest until its verdict', async () => {
    const breakers = new CircuitBreakers(settings, 500, new LocalProbeGate());
    breakers.observe(health(3, T));
    assert.deepEqual(await breakers.admit('ep_1', T + 10), { kind: 'wait', until: T + 1000 });
    assert.deepEqual(await breakers.admit('ep_1', T + 1000), { kind: 'send', probe: true });
    assert.deepEqual(await breakers.admit('ep_1', T + 1001), { kind: 'wait', until: T + 1500 });
    await breakers.probeSettled('ep_1');
    breakers.observe(health(0, T, T + 1002));
    assert.deepEqual(await breakers.admit('ep_1', T + 1003), { kind: 'send', probe: false });
  });

  it('keeps the view that reflects the later attempt', async () => {
    const breakers = new CircuitBreakers(settings, 500, new LocalProbeGate());
    breakers.observe(health(0, T, T + 100));
    breakers.observe(health(3, T + 50));
    assert.equal((await breakers.admit('ep_1', T + 101)).kind, 'send', 'an older snapshot does not reopen the breaker');
    breakers.observe(health(3, T + 200, T + 100));
    assert.equal((await breakers.admit('ep_1', T + 201)).kind, 'wait');
  });
});
