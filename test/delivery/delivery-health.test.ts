import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { circuitState } from '../../src/delivery/circuit-breaker.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { attemptsOf, createApp, createEndpoint, destinationsOf, eventually, publish } from './support.js';

const THRESHOLD = 3;
const COOLDOWN_MS = 1200;

describe('endpoint health', () => {
  let server: TestServer | undefined;
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await server?.close();
    await receiver?.close();
  });

  it('opens the circuit after consecutive failures, probes after the cool-down, closes on success', async () => {
    server = await startTestServer({
      overrides: { circuitBreakerThreshold: THRESHOLD, circuitBreakerCooldownMs: COOLDOWN_MS, retrySchedule: [0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05] },
    });
    let healthy = false;
    receiver = await startReceiver(() => (healthy ? { status: 200 } : { status: 503 }));
    const appId = await createApp(server);
    const endpoint = await createEndpoint(server, appId, { url: `${receiver.url}/hook` });
    const store = server.running.store;
    const settings = { threshold: THRESHOLD, cooldownMs: COOLDOWN_MS };

    const first = await publish(server, appId, { eventType: 'a.b' });
    await receiver.waitFor((requests) => requests.length >= THRESHOLD);
    const opened = await eventually('the breaker to open', async () => {
      const health = await store.getEndpointHealth(appId, endpoint.id);
      return health.consecutiveFailures >= THRESHOLD && health;
    });
    assert.equal(circuitState(opened, settings, Date.now()).state, 'open');
    const second = await publish(server, appId, { eventType: 'a.b' });

    // The probe after the cool-down fails too: the breaker opens for another cool-down.
    await receiver.waitFor((requests) => requests.length >= THRESHOLD + 1, 5000);
    await eventually('the failed probe to be recorded', async () => (await store.getEndpointHealth(appId, endpoint.id)).consecutiveFailures > THRESHOLD);
    healthy = true;
    await receiver.waitFor((requests) => requests.length >= THRESHOLD + 2, 5000);

    const times = receiver.requests.map((r) => r.receivedAt);
    const probeGap = times[THRESHOLD]! - times[THRESHOLD - 1]!;
    const secondProbeGap = times[THRESHOLD + 1]! - times[THRESHOLD]!;
    // Nothing is sent while the breaker is open, not even the message published meanwhile.
    assert.ok(probeGap >= COOLDOWN_MS - 20, `first probe ${probeGap} ms after the failure that opened the breaker`);
    assert.ok(secondProbeGap >= COOLDOWN_MS - 20, `second probe ${secondProbeGap} ms after the failed probe`);

    // The successful probe closed the breaker: both messages go through, with no attempt wasted on the way.
    for (const message of [first, second]) {
      await eventually(`${message.id} to be delivered`, async () => (await destinationsOf(server!, appId, message.id))[0]?.status === 0);
    }
    assert.equal(circuitState(await store.getEndpointHealth(appId, endpoint.id), settings, Date.now()).state, 'closed');
    const attempts = [...(await attemptsOf(server, appId, first.id)), ...(await attemptsOf(server, appId, second.id))];
    assert.equal(attempts.length, receiver.requests.length, 'every request sent is on record');
    const third = await publish(server, appId, { eventType: 'a.b' });
    await receiver.waitFor((requests) => requests.some((r) => r.headers['webhook-id'] === third.id));
  });

  it('disables an endpoint that keeps failing for the configured window and records the event', async () => {
    const disableAfterMs = 600;
    server = await startTestServer({
      overrides: { endpointDisableAfterMs: disableAfterMs, circuitBreakerThreshold: 1000, retrySchedule: Array.from({ length: 30 }, () => 0.1) },
    });
    receiver = await startReceiver(() => ({ status: 500 }));
    const appId = await createApp(server);
    const endpoint = await createEndpoint(server, appId, { url: `${receiver.url}/hook`, uid: 'doomed' });
    const publishedAt = Date.now();
    const message = await publish(server, appId, { eventType: 'a.b' });

    const disabled = await eventually('the endpoint to be disabled', async () => {
      const read = await server!.request('GET', `/api/v1/app/${appId}/endpoint/${endpoint.id}`);
      return read.body.disabled === true && read.body;
    });
    assert.equal(disabled.uid, 'doomed');
    const firstFailure = receiver.requests[0]!.receivedAt;
    // Created, failing (fourth failure), disabled: only the last concerns this test.
    const events = (await server.running.store.listOperationalEvents({ limit: 100 })).filter((event) => event.type === 'endpoint.disabled');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type, 'endpoint.disabled');
    assert.equal(events[0]!.payload.endpointId, endpoint.id);
    assert.equal(events[0]!.payload.endpointUid, 'doomed');
    assert.equal(events[0]!.payload.appId, appId);
    const failSince = Date.parse(String(events[0]!.payload.failSince));
    // Ordered bounds rather than a time window: the run of failures starts with the first attempt, which is made
    // after the publish and no later than the receiver saw it (with millisecond rounding either side).
    assert.ok(failSince >= publishedAt - 1 && failSince <= firstFailure + 1, `failing since the first failure (${failSince} vs ${publishedAt}..${firstFailure})`);
    assert.ok(events[0]!.createdAt.getTime() - failSince >= disableAfterMs, 'not before the window had passed');

    // The retry still queued is canceled rather than sent to the disabled endpoint.
    await eventually('the delivery to end', async () => (await destinationsOf(server!, appId, message.id))[0]?.status === 2);
    const sent = receiver.requests.length;
    assert.equal((await attemptsOf(server, appId, message.id)).length, sent);
    const stats = await server.running.store.endpointStats(appId, endpoint.id, {});
    assert.equal(stats.pending + stats.sending, 0);
  });
});
