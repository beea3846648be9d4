import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { pruneExpiredData } from '../../src/retention/pruner.js';
import type { RetentionStore } from '../../src/store/port.js';
import { runHookyardCommand } from '../helpers/processes.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createEndpoint, eventually, publish } from '../delivery/support.js';
import { postToIngestUrl } from '../inbound/support.js';

const DAY_MS = 86_400_000;
/** Long enough that the background pruner of the server under test never runs during a test. */
const NEVER_MS = 86_400_000;

async function createApp(server: TestServer, body: Record<string, unknown>): Promise<string> {
  const created = await server.request('POST', '/api/v1/app', { body });
  assert.equal(created.status, 201, created.text);
  return created.body.id;
}

async function messageOf(server: TestServer, appId: string, msgId: string): Promise<any> {
  const read = await server.request('GET', `/api/v1/app/${appId}/msg/${msgId}`);
  assert.equal(read.status, 200, read.text);
  return read.body;
}

describe('retention', () => {
  let server: TestServer | undefined;
  let receiver: Receiver;
  let clock = Date.now();

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  after(async () => {
    await receiver?.close();
  });

  it('honours the period of the message, then of its application, then the configured one; metadata stays', async () => {
    receiver = await startReceiver(() => ({ status: 200, body: 'stored response' }));
    clock = Date.now();
    server = await startTestServer({ now: () => clock, overrides: { retentionDays: 30, attemptRetentionDays: 20, pruneIntervalMs: NEVER_MS } });
    const s = server;
    const shortApp = await createApp(s, { name: 'Short', payloadRetentionPeriod: 10 });
    const plainApp = await createApp(s, { name: 'Plain' });
    assert.equal((await s.request('GET', `/api/v1/app/${shortApp}`)).body.payloadRetentionPeriod, 10);
    await createEndpoint(s, plainApp, { url: `${receiver.url}/hook` });

    const ownPeriod = await publish(s, shortApp, { eventType: 'a.own', payloadRetentionPeriod: 5 });
    const appPeriod = await publish(s, shortApp, { eventType: 'a.app' });
    const byHours = await publish(s, plainApp, { eventType: 'b.hours', payloadRetentionHours: 24 });
    const configured = await publish(s, plainApp, { eventType: 'b.default' });
    const attempt = await eventually('the attempt with its response', async () => {
      const listed = await s.request('GET', `/api/v1/app/${plainApp}/attempt/msg/${configured.id}`);
      return listed.body.data[0]?.response === 'stored response' && listed.body.data[0];
    });

    const pruneAt = async (days: number) => {
      clock += days * DAY_MS;
      return pruneExpiredData(s.running.store, s.config, { now: () => clock });
    };
    const payloads = async () =>
      Object.fromEntries(
        await Promise.all(
          [
            [shortApp, ownPeriod],
            [shortApp, appPeriod],
            [plainApp, byHours],
            [plainApp, configured],
          ].map(async ([appId, message]) => [message.eventType, (await messageOf(s, appId, message.id)).payload]),
        ),
      );

    assert.equal((await pruneAt(0.5)).message_payloads, 0);
    assert.equal((await pruneAt(1)).message_payloads, 1, 'after a day and a half: the one kept for 24 hours');
    assert.equal((await pruneAt(4)).message_payloads, 1, 'after 5.5 days: the message that asked for 5 days');
    assert.deepEqual(await payloads(), { 'a.own': {}, 'a.app': { hello: 'world' }, 'b.hours': {}, 'b.default': { hello: 'world' } });
    assert.equal((await pruneAt(5)).message_payloads, 1, 'after 10.5 days: the application’s period');
    const atTwentyOne = await pruneAt(10.5);
    assert.equal(atTwentyOne.attempt_responses, 2, 'both messages of the plain application were delivered');
    assert.equal(atTwentyOne.message_payloads, 0);
    assert.equal((await pruneAt(10)).message_payloads, 1, 'after 31 days: the configured period');
    assert.deepEqual(await payloads(), { 'a.own': {}, 'a.app': {}, 'b.hours': {}, 'b.default': {} });

    const kept = await messageOf(s, plainApp, configured.id);
    assert.deepEqual({ ...kept, payload: undefined }, { ...configured, payload: undefined }, 'everything but the payload is kept');
    const attemptNow = (await s.request('GET', `/api/v1/app/${plainApp}/msg/${configured.id}/attempt/${attempt.id}`)).body;
    assert.deepEqual({ ...attemptNow, response: undefined, requestHeaders: undefined }, { ...attempt, response: undefined, requestHeaders: undefined });
    assert.equal(attemptNow.response, '');
    assert.equal(attemptNow.requestHeaders, null, 'the request headers go with the response');
  });

  it('prunes in small batches while the API keeps answering', async () => {
    clock = Date.now();
    server = await startTestServer({ now: () => clock, overrides: { pruneIntervalMs: NEVER_MS } });
    const s = server;
    const appId = await createApp(s, { name: 'Busy', payloadRetentionPeriod: 1 });
    const store = s.running.store;
    const created = await Promise.all(
      Array.from({ length: 600 }, (_, i) =>
        store.createMessage(appId, { eventType: 'bulk', eventId: null, channels: null, tags: null, payload: `{"i":${i}}`, payloadRetentionDays: 1, deliverAt: null }, () => []),
      ),
    );
    assert.ok(created.every((outcome) => outcome.ok));
    clock += 2 * DAY_MS;

    // Every batch runs while an API write and a read are in flight, so they meet the pruner's transactions.
    const answers: number[] = [];
    let batches = 0;
    const interleaved: RetentionStore = {
      async pruneExpired(target, cutoff, limit) {
        const write = s.request('POST', `/api/v1/app/${appId}/msg`, { body: { eventType: 'live', payload: { batch: batches } } });
        const read = s.request('GET', `/api/v1/app/${appId}/msg?limit=5`);
        batches += 1;
        const pruned = await store.pruneExpired(target, cutoff, limit);
        answers.push((await write).status, (await read).status);
        return pruned;
      },
    };
    const report = await pruneExpiredData(interleaved, s.config, { now: () => clock, batchSize: 50 });
    assert.equal(report.message_payloads, 600);
    assert.ok(batches > 12, `several batches (${batches})`);
    assert.deepEqual([...new Set(answers)].sort(), [200, 202]);

    const listed = await s.request('GET', `/api/v1/app/${appId}/msg?limit=250&event_types=bulk`);
    assert.equal(listed.status, 200);
    assert.equal(listed.body.data.length, 250);
    assert.ok(listed.body.data.every((message: any) => JSON.stringify(message.payload) === '{}'));
    const live = await s.request('GET', `/api/v1/app/${appId}/msg?limit=250&event_types=live`);
    assert.equal(live.body.data.length, batches);
    assert.ok(live.body.data.every((message: any) => typeof message.payload.batch === 'number'), 'new messages keep their payload');
  });

  it('prunes in the background of worker processes', async () => {
    clock = Date.now();
    server = await startTestServer({ now: () => clock, overrides: { pruneIntervalMs: 20 } });
    const s = server;
    const appId = await createApp(s, { name: 'Background' });
    const message = await publish(s, appId, { eventType: 'x', payloadRetentionPeriod: 5 });
    assert.deepEqual((await messageOf(s, appId, message.id)).payload, { hello: 'world' });
    clock += 6 * DAY_MS;
    await eventually('the payload to be pruned', async () => JSON.stringify((await messageOf(s, appId, message.id)).payload) === '{}');
  });

  it('`hookyard prune` prunes on demand and says what it pruned', async () => {
    // The server lives 40 days in the past, so what it stores has expired by the time the command runs.
    server = await startTestServer({ now: () => Date.now() - 40 * DAY_MS, overrides: { pruneIntervalMs: NEVER_MS } });
    const s = server;
    const appId = await createApp(s, { name: 'Old' });
    const message = await publish(s, appId, { eventType: 'x', payloadRetentionPeriod: 5 });
    const source = await s.request('POST', '/ingest/api/v1/source', { body: { name: 'Raw', type: 'generic-webhook' } });
    const received = await postToIngestUrl(source.body.ingestUrl, { body: '{"id":"raw-1"}', headers: { 'content-type': 'application/json' } });
    assert.equal(received.status, 200, received.text);
    const eventPath = `/ingest/api/v1/source/${source.body.id}/event/${received.body.id}`;
    assert.ok((await s.request('GET', eventPath)).body.body, 'the body is kept at first');

    await s.running.close();
    const env = { HOOKYARD_DATA_DIR: s.config.dataDir, HOOKYARD_DATABASE_URL: s.config.databaseUrl ?? '', HOOKYARD_LOG_LEVEL: 'silent' };
    const { code, output } = await runHookyardCommand(env, ['prune']);
    assert.equal(code, 0, output);
    assert.match(output, /message payloads\s+1\n/);
    assert.match(output, /inbound bodies\s+1\n/);
    assert.match(output, /inbound dedup\s+1\n/, 'its dedup record (7 days by default) expired too');

    await s.restart();
    assert.deepEqual((await messageOf(s, appId, message.id)).payload, {});
    const event = (await s.request('GET', eventPath)).body;
    assert.equal(event.body, null);
    assert.equal(event.request.bodySize, '{"id":"raw-1"}'.length, 'the request’s metadata stays');
    const replay = await s.request('POST', `${eventPath}/replay`);
    assert.equal(replay.status, 409);
  });
});
