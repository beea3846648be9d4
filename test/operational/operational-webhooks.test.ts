import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../../src/config/config.js';
import { runHookyardCommand } from '../helpers/processes.js';
import { startReceiver, type ReceivedRequest, type Receiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createEndpoint, publish } from '../delivery/support.js';
import { postToIngestUrl, stripeEvent } from '../inbound/support.js';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const FAST = (attempts: number) => Array.from({ length: attempts - 1 }, () => 0.05);

interface Delivered {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, any>;
}

function headersOf(request: ReceivedRequest): Record<string, string> {
  return Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')]));
}

/** Every operational webhook received so far, each verified with the operator's secret (which throws otherwise). */
function delivered(receiver: Receiver): Delivered[] {
  const verifier = new Webhook(SECRET);
  return receiver.requests.map((request) => {
    const payload = verifier.verify(request.body, headersOf(request)) as Omit<Delivered, 'id'>;
    return { id: String(request.headers['webhook-id']), ...payload };
  });
}

describe('operational webhooks', () => {
  let server: TestServer;
  let operator: Receiver;
  let customer: Receiver;
  let appId: string;

  const ofType = (type: string, where: (data: Record<string, any>) => boolean = () => true) =>
    delivered(operator).filter((event) => event.type === type && where(event.data));

  before(async () => {
    operator = await startReceiver();
    // Each customer endpoint has its own path, and answers according to it.
    customer = await startReceiver((request) => {
      if (request.path === '/gone') return { status: 410 };
      if (request.path === '/broken') return { status: 500 };
      if (request.path === '/flaky') {
        const flakyBefore = customer.requests.filter((seen) => seen.path === '/flaky').length - 1;
        return { status: flakyBefore < 4 ? 503 : 200 };
      }
      return { status: 200 };
    });
    server = await startTestServer({
      overrides: {
        operationalWebhookUrl: `${operator.url}/ops`,
        operationalWebhookSecret: SECRET,
        verificationFailingThreshold: 3,
        verificationFailingWindowSeconds: 3600,
        circuitBreakerThreshold: 1000,
        workerPollIntervalMs: 100,
      },
    });
    const app = await server.request('POST', '/api/v1/app', { body: { name: 'Acme', uid: 'acme' } });
    assert.equal(app.status, 201, app.text);
    appId = app.body.id;
  });
  after(async () => {
    await server?.close();
    await operator?.close();
    await customer?.close();
  });

  it('reports endpoint changes, signed with the operator secret', async () => {
    const endpoint = await createEndpoint(server, appId, { url: `${customer.url}/ok`, uid: 'crm' });
    const replaced = await server.request('PUT', `/api/v1/app/${appId}/endpoint/${endpoint.id}`, { body: { url: `${customer.url}/ok2`, uid: 'crm' } });
    assert.equal(replaced.status, 200, replaced.text);
    assert.equal((await server.request('DELETE', `/api/v1/app/${appId}/endpoint/${endpoint.id}`)).status, 204);

    const expected = { appId, appUid: 'acme', endpointId: endpoint.id, endpointUid: 'crm' };
    const mine = (data: Record<string, any>) => data.endpointId === endpoint.id;
    await operator.waitFor(() => ofType('endpoint.deleted', mine).length === 1, 10_000);
    for (const type of ['endpoint.created', 'endpoint.updated', 'endpoint.deleted']) {
      const events = ofType(type, mine);
      assert.equal(events.length, 1, type);
      assert.deepEqual(events[0]!.data, expected);
      assert.ok(!Number.isNaN(Date.parse(events[0]!.timestamp)));
    }
    const request = operator.requests.find((seen) => seen.body.includes('"endpoint.created"'))!;
    assert.equal(request.path, '/ops');
    assert.match(String(request.headers['webhook-signature']), /^v1,/);
    assert.throws(() => new Webhook(`whsec_${randomBytes(24).toString('base64')}`).verify(request.body, headersOf(request)), 'another secret does not verify');
  });

  it('reports a delivery failing on its fourth failure and recovered when it succeeds', async () => {
    const endpoint = await createEndpoint(server, appId, { url: `${customer.url}/flaky`, filterTypes: ['order.flaky'], retrySchedule: FAST(8) });
    const message = await publish(server, appId, { eventType: 'order.flaky', eventId: 'order-1' });
    const mine = (data: Record<string, any>) => data.msgId === message.id;
    await operator.waitFor(() => ofType('message.attempt.recovered', mine).length === 1, 15_000);

    const failing = ofType('message.attempt.failing', mine);
    assert.equal(failing.length, 1, 'once, on the fourth failure');
    const attempts = (await server.request('GET', `/api/v1/app/${appId}/attempt/msg/${message.id}?limit=20`)).body.data.reverse();
    assert.equal(attempts.length, 5);
    assert.deepEqual(failing[0]!.data, {
      appId,
      appUid: 'acme',
      endpointId: endpoint.id,
      msgId: message.id,
      msgEventId: 'order-1',
      lastAttempt: { id: attempts[3].id, responseStatusCode: 503, timestamp: attempts[3].timestamp },
    });
    const recovered = ofType('message.attempt.recovered', mine);
    assert.deepEqual(recovered[0]!.data.lastAttempt, { id: attempts[4].id, responseStatusCode: 200, timestamp: attempts[4].timestamp });
    assert.deepEqual(ofType('message.attempt.exhausted', mine), []);
  });

  it('reports exhausted deliveries, and an endpoint disabled after 410 Gone', async () => {
    const broken = await createEndpoint(server, appId, { url: `${customer.url}/broken`, filterTypes: ['order.broken'], retrySchedule: FAST(2) });
    const gone = await createEndpoint(server, appId, { url: `${customer.url}/gone`, uid: 'legacy', filterTypes: ['order.gone'] });
    const toBroken = await publish(server, appId, { eventType: 'order.broken' });
    await publish(server, appId, { eventType: 'order.gone' });
    await operator.waitFor(
      () => ofType('message.attempt.exhausted', (data) => data.msgId === toBroken.id).length === 1 && ofType('endpoint.disabled', (data) => data.endpointId === gone.id).length === 1,
      15_000,
    );
    const exhausted = ofType('message.attempt.exhausted', (data) => data.msgId === toBroken.id)[0]!;
    assert.equal(exhausted.data.endpointId, broken.id);
    assert.equal(exhausted.data.lastAttempt.responseStatusCode, 500);
    assert.deepEqual(ofType('message.attempt.failing', (data) => data.endpointId === broken.id), [], 'two attempts never reach the fourth');
    const disabled = ofType('endpoint.disabled', (data) => data.endpointId === gone.id)[0]!;
    assert.deepEqual({ ...disabled.data, failSince: undefined }, { appId, appUid: 'acme', endpointId: gone.id, endpointUid: 'legacy', failSince: undefined, trigger: 'automatic' });
  });

  it('reports a source whose requests keep failing verification, once per window', async () => {
    const created = await server.request('POST', '/ingest/api/v1/source', {
      body: { name: 'Stripe', uid: 'stripe-live', type: 'stripe', config: { secret: 'whsec_real_one_0123456789abcdef' } },
    });
    assert.equal(created.status, 201, created.text);
    for (let i = 0; i < 5; i++) {
      const forged = stripeEvent(`evt_${i}`, 'invoice.paid', {}, 'whsec_forged_0123456789abcdefghij');
      assert.equal((await postToIngestUrl(created.body.ingestUrl, forged)).status, 401);
    }
    const mine = (data: Record<string, any>) => data.sourceId === created.body.id;
    await operator.waitFor(() => ofType('source.verification_failing', mine).length > 0, 10_000);
    const events = ofType('source.verification_failing', mine);
    assert.equal(events.length, 1, 'the fourth and fifth rejections fall in the window already reported');
    assert.equal(events[0]!.data.sourceUid, 'stripe-live');
    assert.equal(events[0]!.data.failures, 3);
    assert.equal(events[0]!.data.windowSeconds, 3600);
    assert.match(events[0]!.data.lastReason, /signature/i);
  });

  it('keeps what carries them out of the API, and sends nothing twice across a restart', async () => {
    const owner = await server.request('GET', '/api/v1/app/hookyard_operational');
    assert.equal(owner.status, 404);
    const listed = await server.request('GET', '/api/v1/app?limit=250');
    assert.deepEqual(listed.body.data.map((app: any) => app.id), [appId]);

    await server.restart();
    const after = await createEndpoint(server, appId, { url: `${customer.url}/ok`, uid: 'after-restart' });
    await operator.waitFor(() => ofType('endpoint.created', (data) => data.endpointId === after.id).length === 1, 10_000);
    const ids = delivered(operator).map((event) => event.id);
    assert.equal(new Set(ids).size, ids.length, 'no operational webhook was sent twice');
    const seen = delivered(operator).map((event) => `${event.type} ${event.data.endpointId ?? event.data.sourceId}`);
    // Each (type, subject) happens once in this suite, so a duplicate here would be an event forwarded again.
    assert.deepEqual(seen.filter((key, index) => seen.indexOf(key) !== index), [], 'no event was forwarded twice');
    // crm: created, updated, deleted; flaky: created, failing, recovered; broken: created, exhausted; gone: created,
    // exhausted, disabled; the source; the endpoint created after the restart.
    assert.equal(seen.length, 13, seen.join('\n'));
  });
});

describe('operational webhook configuration', () => {
  it('needs a Standard Webhooks secret with the URL', () => {
    assert.throws(() => loadConfig({ HOOKYARD_OPERATIONAL_WEBHOOK_URL: 'https://ops.example.com/hooks' }), /HOOKYARD_OPERATIONAL_WEBHOOK_SECRET must be set/);
    assert.throws(() => loadConfig({ HOOKYARD_OPERATIONAL_WEBHOOK_SECRET: 'whsec_c2hvcnQ=' }), /HOOKYARD_OPERATIONAL_WEBHOOK_SECRET must be whsec_/);
    const raw = randomBytes(24).toString('base64');
    assert.equal(loadConfig({ HOOKYARD_OPERATIONAL_WEBHOOK_SECRET: raw }).operationalWebhookSecret, `whsec_${raw}`);
  });

  it('refuses to start with an operator URL that the SSRF guard refuses, before touching the data dir', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hookyard-ops-'));
    try {
      const env = {
        HOOKYARD_DATA_DIR: dataDir,
        HOOKYARD_PORT: '0',
        HOOKYARD_DATABASE_URL: '',
        HOOKYARD_OPERATIONAL_WEBHOOK_URL: 'http://169.254.169.254/latest/hook',
        HOOKYARD_OPERATIONAL_WEBHOOK_SECRET: SECRET,
      };
      const { code, output } = await runHookyardCommand(env, ['start']);
      assert.equal(code, 2, output);
      assert.match(output, /invalid configuration: HOOKYARD_OPERATIONAL_WEBHOOK_URL is refused: 169\.254\.169\.254 is in/);
      assert.deepEqual(await readdir(dataDir), []);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
