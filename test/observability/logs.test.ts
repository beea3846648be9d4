import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { attemptsOf, createApp, createEndpoint, eventually, publish } from '../delivery/support.js';
import { STRIPE_SECRET, postToIngestUrl, stripeEvent } from '../inbound/support.js';

/** pino's numeric levels. */
const DEBUG = 20;
const INFO = 30;

describe('structured logs', () => {
  let server: TestServer;
  let flaky: Receiver;
  before(async () => {
    server = await startTestServer({ captureLogs: 'debug' });
    // Fails every first request for a message, accepts the second.
    const seen = new Set<string>();
    flaky = await startReceiver((request) => {
      const id = String(request.headers['webhook-id']);
      if (seen.has(id)) return { status: 200 };
      seen.add(id);
      return { status: 502, body: 'upstream down' };
    });
  });
  after(async () => {
    await server.close();
    await flaky.close();
  });

  const completions = () => server.logs.filter((line) => line.msg === 'request completed');

  it('logs each request once, on completion, with the request id given, its route template, status and latency', async () => {
    const appId = await createApp(server);
    const requestId = 'trace-4f1c2a-publish';
    const sent = await server.request('POST', `/api/v1/app/${appId}/msg`, {
      body: { eventType: 'user.created', payload: { note: 'payload-marker-7731' } },
      headers: { 'x-request-id': requestId },
    });
    assert.equal(sent.status, 202);
    assert.equal(sent.headers.get('x-request-id'), requestId, 'the id is echoed');

    const lines = server.logs.filter((line) => line.reqId === requestId);
    assert.equal(lines.length, 1, `one line for the request: ${JSON.stringify(lines)}`);
    const [line] = lines;
    assert.equal(line.msg, 'request completed');
    assert.equal(line.level, INFO);
    assert.equal(line.method, 'POST');
    assert.equal(line.route, '/api/v1/app/:app_id/msg');
    assert.equal(line.status, 202);
    assert.equal(typeof line.durationMs, 'number');
    assert.ok(line.durationMs >= 0);
    assert.equal(line.msgId, sent.body.id, 'the publish line names the message it created');
    assert.equal(line.appId, appId);
    assert.equal(typeof line.time, 'number');

    // Without an id of its own, a request gets a fresh one, echoed and logged.
    const unnamed = await server.request('GET', `/api/v1/app/${appId}`);
    const generated = unnamed.headers.get('x-request-id');
    assert.match(generated ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(completions().filter((entry) => entry.reqId === generated).length, 1);
  });

  it('logs health and metrics probes at debug, so that polling does not flood the info level', async () => {
    const id = 'probe-health-1';
    assert.equal((await server.request('GET', '/api/v1/health', { token: null, headers: { 'x-request-id': id } })).status, 204);
    const [line] = completions().filter((entry) => entry.reqId === id);
    assert.equal(line?.level, DEBUG);
    assert.equal(line?.route, '/api/v1/health');
  });

  it('traces a message from its publication through every attempt by its ids', async () => {
    const appId = await createApp(server);
    const endpoint = await createEndpoint(server, appId, { url: flaky.url });
    const message = await publish(server, appId, { eventType: 'user.created' });
    const attempts = await eventually('two attempts recorded', async () => {
      const listed = await attemptsOf(server, appId, message.id);
      return listed.length === 2 && listed;
    });
    const delivery = () => server.logs.filter((line) => line.component === 'delivery' && line.msgId === message.id);
    const lines = await eventually('both attempts logged', async () => delivery().length === 2 && delivery());

    const [failed, succeeded] = lines;
    assert.equal(failed.outcome, 'retry');
    assert.equal(failed.level, INFO, 'a failed attempt is logged at info');
    assert.equal(failed.statusCode, 502);
    assert.equal(failed.attempt, 1);
    assert.ok(failed.nextAttemptAt);
    assert.equal(succeeded.outcome, 'success');
    assert.equal(succeeded.level, DEBUG, 'a success is logged at debug');
    assert.equal(succeeded.statusCode, 200);
    assert.equal(succeeded.attempt, 2);
    for (const line of lines) {
      assert.equal(line.endpointId, endpoint.id);
      assert.equal(line.appId, appId);
      assert.match(line.deliveryId, /^dlv_/);
      assert.equal(typeof line.durationMs, 'number');
    }
    assert.equal(failed.deliveryId, succeeded.deliveryId, 'one delivery, two attempts');
    assert.deepEqual(
      lines.map((line) => line.attemptId),
      attempts.map((attempt) => attempt.id),
      'the logged attempt ids are the stored attempts',
    );
  });

  it('never logs credentials, ingest tokens or payloads', async () => {
    const created = await server.request('POST', '/ingest/api/v1/source', { body: { name: 'Stripe', type: 'stripe', config: { secret: STRIPE_SECRET } } });
    const token = new URL(created.body.ingestUrl).pathname.split('/').pop()!;
    const event = stripeEvent('evt_logs_1', 'invoice.paid', { object: { secretNote: 'inbound-marker-5521' } });
    assert.equal((await postToIngestUrl(created.body.ingestUrl, event)).status, 200);
    assert.equal((await postToIngestUrl(created.body.ingestUrl, { ...event, headers: { ...event.headers, 'stripe-signature': 't=1,v1=00' } })).status, 401);
    assert.equal((await server.request('GET', '/api/v1/app', { token: 'hy_wrong_token_that_is_long_enough' })).status, 401);
    const received = completions().filter((line) => line.route === '/in/:token');
    assert.equal(received.length, 2);
    assert.equal(received[0].sourceId, created.body.id, 'receiving lines name the source, not its token');
    assert.match(received[0].eventId, /^evt_/);

    const everything = server.logs.map((line) => JSON.stringify(line)).join('\n');
    for (const secret of [server.adminToken, token, STRIPE_SECRET, 'payload-marker-7731', 'inbound-marker-5521', 'hy_wrong_token_that_is_long_enough']) {
      assert.ok(!everything.includes(secret), `the logs contain ${secret}`);
    }
  });
});
