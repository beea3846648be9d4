import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { STRIPE_SECRET, createSourceWithDestination, eventWhen, postToIngestUrl, stripeEvent } from './support.js';

describe('receiving webhooks', () => {
  let server: TestServer;
  let receiver: Receiver;
  before(async () => {
    server = await startTestServer({ overrides: { retrySchedule: [0.05, 0.05] } });
    receiver = await startReceiver();
  });
  afterEach(() => receiver.respondWith(() => ({ status: 200 })));
  after(async () => {
    await server.close();
    await receiver.close();
  });

  const stripeSource = (extra: Record<string, unknown> = {}) => ({ name: 'Stripe', type: 'stripe', config: { secret: STRIPE_SECRET }, ...extra });
  const arrivalsOf = (eventId: string) => receiver.requests.filter((request) => request.headers['x-hookyard-event-id'] === eventId);

  it('verifies, stores, answers, then forwards the original bytes with a fresh Standard Webhooks signature', async () => {
    const source = await createSourceWithDestination(server, stripeSource(), `${receiver.url}/billing`);
    const event = stripeEvent('evt_forward_1');
    const answer = await postToIngestUrl(source.ingestUrl, event);
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.body.id, /^evt_/);
    assert.equal(answer.body.state, 'received');
    assert.equal(answer.headers.get('x-hookyard-event-id'), answer.body.id);

    await receiver.waitFor(() => arrivalsOf(answer.body.id).length === 1);
    const [forwarded] = arrivalsOf(answer.body.id);
    assert.equal(forwarded!.path, '/billing');
    assert.equal(forwarded!.body, event.body, 'the body is forwarded byte for byte');
    assert.equal(forwarded!.headers['content-type'], 'application/json; charset=utf-8', 'with its original content type');
    assert.equal(forwarded!.headers['stripe-signature'], event.headers['stripe-signature'], "the provider's headers are passed on");
    // The destination verifies Hookyard's signature with its own secret, as it would any Standard Webhooks sender's.
    const verified = new Webhook(source.secretOfDestination).verify(forwarded!.raw, forwarded!.headers as Record<string, string>);
    assert.equal((verified as any).id, 'evt_forward_1');

    const stored = await eventWhen(server, source.id, answer.body.id, (found) => found.state === 'processed');
    assert.equal(stored.eventType, 'invoice.paid');
    assert.equal(stored.providerEventId, 'evt_forward_1');
    assert.deepEqual(stored.body, { encoding: 'utf8', data: event.body });
    assert.equal(stored.request.method, 'POST');
    assert.equal(stored.request.bodySize, Buffer.byteLength(event.body));
    assert.equal(stored.destinations.length, 1);
    assert.equal(stored.destinations[0].status, 0);
    const attempts = await server.request('GET', `/ingest/api/v1/source/${source.id}/event/${answer.body.id}/attempt`);
    assert.equal(attempts.body.data.length, 1);
    assert.equal(attempts.body.data[0].responseStatusCode, 200);
  });

  it('answers 401 to a request that fails verification, records why, and forwards nothing', async () => {
    const source = await createSourceWithDestination(server, stripeSource(), `${receiver.url}/billing`);
    const before = receiver.requests.length;
    const genuine = stripeEvent('evt_tampered');
    const cases = [
      { ...genuine, body: genuine.body.replace('invoice.paid', 'invoice.void') },
      stripeEvent('evt_wrong_secret', 'invoice.paid', {}, 'whsec_not_the_right_one_0123456789'),
      { body: genuine.body, headers: { 'content-type': 'application/json' } },
    ];
    for (const request of cases) {
      const answer = await postToIngestUrl(source.ingestUrl, request);
      assert.equal(answer.status, 401);
      assert.equal(answer.body.code, 'verification_failed');
      assert.equal(answer.text.includes(STRIPE_SECRET), false);
    }
    const rejected = await server.request('GET', `/ingest/api/v1/source/${source.id}/event?state=rejected`);
    assert.equal(rejected.body.data.length, 3);
    for (const event of rejected.body.data) {
      assert.ok(event.stateReason, 'the reason is recorded');
      assert.equal(event.msgId, null);
    }
    const detail = await server.request('GET', `/ingest/api/v1/source/${source.id}/event/${rejected.body.data[0].id}`);
    assert.equal(detail.body.body, null, 'the body of an unverified request is never stored');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(receiver.requests.length, before, 'nothing reached the destination');
  });

  it('keeps and forwards any content type byte for byte: form posts, XML and binary', async () => {
    const source = await createSourceWithDestination(server, { name: 'Raw', type: 'generic-webhook' }, `${receiver.url}/raw`);
    const bodies = [
      { contentType: 'application/x-www-form-urlencoded', body: Buffer.from('a=1&b=%C3%A9t%C3%A9&c=') },
      { contentType: 'application/xml', body: Buffer.from('<?xml version="1.0"?><order id="7"><total>9.99</total></order>') },
      { contentType: 'application/octet-stream', body: Buffer.from([0, 255, 1, 128, 10, 13, 0, 254]) },
    ];
    for (const { contentType, body } of bodies) {
      const answer = await postToIngestUrl(source.ingestUrl, { body, headers: { 'content-type': contentType } });
      assert.equal(answer.status, 200, answer.text);
      await receiver.waitFor(() => arrivalsOf(answer.body.id).length === 1);
      const forwarded = arrivalsOf(answer.body.id)[0]!;
      assert.ok(forwarded.raw.equals(body), `${contentType} forwarded byte for byte`);
      assert.equal(forwarded.headers['content-type'], contentType);
      const stored = await server.request('GET', `/ingest/api/v1/source/${source.id}/event/${answer.body.id}`);
      const kept = stored.body.body.encoding === 'base64' ? Buffer.from(stored.body.body.data, 'base64') : Buffer.from(stored.body.body.data, 'utf8');
      assert.ok(kept.equals(body), `${contentType} stored byte for byte`);
    }
  });

  it('answers a duplicate the same 2xx, records it as a duplicate, and does not forward it again, across a restart', async () => {
    const source = await createSourceWithDestination(server, stripeSource(), `${receiver.url}/dedup`);
    const first = await postToIngestUrl(source.ingestUrl, stripeEvent('evt_dedup_1'));
    // Stripe retries with a new timestamp (a new signature) but the same event id.
    const again = await postToIngestUrl(source.ingestUrl, stripeEvent('evt_dedup_1'));
    assert.equal(first.status, 200);
    assert.equal(again.status, 200);
    assert.equal(again.body.state, 'duplicate');
    const duplicate = await server.request('GET', `/ingest/api/v1/source/${source.id}/event/${again.body.id}`);
    assert.equal(duplicate.body.state, 'duplicate');
    assert.equal(duplicate.body.duplicateOf, first.body.id);

    await server.restart();
    const afterRestart = await postToIngestUrl(source.ingestUrl.replace(/^http:\/\/[^/]+/, server.url), stripeEvent('evt_dedup_1'));
    assert.equal(afterRestart.body.state, 'duplicate', 'the dedup record survives a restart');
    await receiver.waitFor(() => arrivalsOf(first.body.id).length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const forwardedIds = receiver.requests.filter((request) => request.path === '/dedup').map((request) => JSON.parse(request.body).id);
    assert.deepEqual(forwardedIds, ['evt_dedup_1'], 'forwarded once');
  });

  it('deduplicates by a configured JSON path, else by the body hash, for schemes without an event id', async () => {
    const byPath = await createSourceWithDestination(server, { name: 'Path', type: 'generic-webhook', dedup: { jsonPath: 'data.delivery_id' } }, `${receiver.url}/path`);
    const a = await postToIngestUrl(byPath.ingestUrl, { body: '{"data":{"delivery_id":"d-1"},"n":1}', headers: { 'content-type': 'application/json' } });
    const b = await postToIngestUrl(byPath.ingestUrl, { body: '{"data":{"delivery_id":"d-1"},"n":2}', headers: { 'content-type': 'application/json' } });
    assert.deepEqual([a.body.state, b.body.state], ['received', 'duplicate'], 'same id in another body is a duplicate');

    const byHash = await createSourceWithDestination(server, { name: 'Hash', type: 'generic-webhook' }, `${receiver.url}/hash`);
    const body = '{"n":1}';
    const states = [];
    for (const sent of [body, body, '{"n":2}']) states.push((await postToIngestUrl(byHash.ingestUrl, { body: sent, headers: { 'content-type': 'application/json' } })).body.state);
    assert.deepEqual(states, ['received', 'duplicate', 'received']);

    const off = await createSourceWithDestination(server, { name: 'Off', type: 'generic-webhook', dedup: { windowSeconds: 0 } }, `${receiver.url}/off`);
    const twice = [];
    for (let i = 0; i < 2; i++) twice.push((await postToIngestUrl(off.ingestUrl, { body, headers: { 'content-type': 'application/json' } })).body.state);
    assert.deepEqual(twice, ['received', 'received'], 'a window of 0 turns deduplication off');
  });

  it('quarantines a payload that fails its event type schema, and releases it once the schema is fixed', async () => {
    const schema = { type: 'object', required: ['data'], properties: { data: { type: 'object', required: ['object'], properties: { object: { type: 'object', required: ['amount'] } } } } };
    const source = await createSourceWithDestination(server, stripeSource({ schemas: { 'invoice.paid': schema } }), `${receiver.url}/quarantine`);
    const bad = await postToIngestUrl(source.ingestUrl, stripeEvent('evt_bad_1', 'invoice.paid', { object: { id: 'in_9' } }));
    assert.equal(bad.status, 200, 'the provider is not punished for our schema');
    assert.equal(bad.body.state, 'quarantined');
    const good = await postToIngestUrl(source.ingestUrl, stripeEvent('evt_good_1', 'invoice.paid', { object: { id: 'in_9', amount: 5 } }));
    assert.equal(good.body.state, 'received');
    const untyped = await postToIngestUrl(source.ingestUrl, stripeEvent('evt_other_1', 'customer.created', { object: {} }));
    assert.equal(untyped.body.state, 'received', 'types without a schema are not checked');

    const quarantined = await server.request('GET', `/ingest/api/v1/source/${source.id}/event/${bad.body.id}`);
    assert.equal(quarantined.body.validationErrors[0].path, '/data/object');
    assert.match(quarantined.body.validationErrors[0].message, /amount/);
    assert.equal((await server.request('POST', `/ingest/api/v1/source/${source.id}/event/${bad.body.id}/release`, { body: {} })).status, 409, 'still invalid');
    assert.equal((await server.request('POST', `/ingest/api/v1/source/${source.id}/event/${good.body.id}/release`, { body: {} })).status, 409, 'not quarantined');

    const fixed = await server.request('PUT', `/ingest/api/v1/source/${source.id}`, { body: stripeSource({ schemas: { 'invoice.paid': { type: 'object' } } }) });
    assert.equal(fixed.status, 200);
    const released = await server.request('POST', `/ingest/api/v1/source/${source.id}/event/${bad.body.id}/release`, { body: {} });
    assert.equal(released.status, 202, released.text);
    await receiver.waitFor(() => arrivalsOf(bad.body.id).length === 1);
    await eventWhen(server, source.id, bad.body.id, (event) => event.state === 'processed' && event.replays === 1);
  });

  it('releases a quarantined event by force, without changing the schema', async () => {
    const source = await createSourceWithDestination(server, { name: 'Strict', type: 'generic-webhook', schemas: { 'ping': { type: 'object', required: ['never'] } } }, `${receiver.url}/force`);
    const bad = await postToIngestUrl(source.ingestUrl, { body: '{"type":"ping"}', headers: { 'content-type': 'application/json' } });
    assert.equal(bad.body.state, 'quarantined');
    const released = await server.request('POST', `/ingest/api/v1/source/${source.id}/event/${bad.body.id}/release`, { body: { force: true } });
    assert.equal(released.status, 202);
    await receiver.waitFor(() => arrivalsOf(bad.body.id).length === 1);
  });

  it('marks an event failed when a destination runs out of attempts, and replays it to every current destination', async () => {
    receiver.respondWith((request) => ({ status: request.path === '/down' ? 500 : 200 }));
    const source = await createSourceWithDestination(server, stripeSource(), `${receiver.url}/down`);
    const answer = await postToIngestUrl(source.ingestUrl, stripeEvent('evt_fail_1'));
    const failed = await eventWhen(server, source.id, answer.body.id, (event) => event.state === 'failed');
    assert.match(failed.stateReason, /1 of 1/);
    assert.equal(arrivalsOf(answer.body.id).length, 3, 'the first attempt and two retries');

    receiver.respondWith(() => ({ status: 200 }));
    await server.request('POST', `/ingest/api/v1/source/${source.id}/endpoint`, { body: { url: `${receiver.url}/added-later` } });
    const replayed = await server.request('POST', `/ingest/api/v1/source/${source.id}/event/${answer.body.id}/replay`);
    assert.equal(replayed.status, 202, replayed.text);
    const done = await eventWhen(server, source.id, answer.body.id, (event) => event.state === 'processed');
    assert.equal(done.replays, 1);
    assert.equal(done.destinations.length, 2);
    const paths = arrivalsOf(answer.body.id).map((request) => request.path).sort();
    assert.deepEqual(paths, ['/added-later', '/down', '/down', '/down', '/down']);
    const attempts = await server.request('GET', `/ingest/api/v1/source/${source.id}/event/${answer.body.id}/attempt`);
    assert.ok(attempts.body.data.some((attempt: any) => attempt.triggerType === 1), 'a replay is a manual attempt');

    const duplicate = await postToIngestUrl(source.ingestUrl, stripeEvent('evt_fail_1'));
    const refused = await server.request('POST', `/ingest/api/v1/source/${source.id}/event/${duplicate.body.id}/replay`);
    assert.equal(refused.status, 409, 'a duplicate is not replayed');
  });

  it('disables a destination that answers 410 Gone, like any endpoint', async () => {
    receiver.respondWith((request) => ({ status: request.path === '/gone' ? 410 : 200 }));
    const source = await createSourceWithDestination(server, stripeSource(), `${receiver.url}/gone`);
    const answer = await postToIngestUrl(source.ingestUrl, stripeEvent('evt_gone_1'));
    await eventWhen(server, source.id, answer.body.id, (event) => event.state === 'failed');
    const endpoints = await server.request('GET', `/ingest/api/v1/source/${source.id}/endpoint`);
    assert.equal(endpoints.body.data[0].disabled, true);
  });

  it('replays every event matching a filter in a background task', async () => {
    const source = await createSourceWithDestination(server, stripeSource(), `${receiver.url}/bulk`);
    const ids: string[] = [];
    for (const [id, type] of [['evt_bulk_1', 'invoice.paid'], ['evt_bulk_2', 'invoice.paid'], ['evt_bulk_3', 'customer.created']] as const) {
      ids.push((await postToIngestUrl(source.ingestUrl, stripeEvent(id, type))).body.id);
    }
    for (const id of ids) await eventWhen(server, source.id, id, (event) => event.state === 'processed');
    const task = await server.request('POST', `/ingest/api/v1/source/${source.id}/event/replay`, { body: { eventTypes: ['invoice.paid'] } });
    assert.equal(task.status, 202, task.text);
    assert.equal(task.body.task, 'source.replay');
    let status: any;
    for (let i = 0; i < 200; i++) {
      status = (await server.request('GET', `/api/v1/background-task/${task.body.id}`)).body;
      if (status.status !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal(status.status, 'finished');
    assert.deepEqual(status.data, { requeued: 2 });
    await receiver.waitFor(() => arrivalsOf(ids[0]!).length === 2 && arrivalsOf(ids[1]!).length === 2);
    assert.equal(arrivalsOf(ids[2]!).length, 1, 'the other type is not replayed');
  });

  it('lists events by state, type and time, newest first, with pagination', async () => {
    const source = await createSourceWithDestination(server, stripeSource(), `${receiver.url}/list`);
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push((await postToIngestUrl(source.ingestUrl, stripeEvent(`evt_list_${i}`, i % 2 ? 'customer.created' : 'invoice.paid'))).body.id);
    await postToIngestUrl(source.ingestUrl, stripeEvent('evt_list_0'));
    const all = await server.request('GET', `/ingest/api/v1/source/${source.id}/event?limit=3`);
    assert.equal(all.body.data.length, 3);
    assert.equal(all.body.done, false);
    assert.equal(all.body.data[1].id, sent[4], 'newest first');
    assert.equal(all.body.data[0].body, undefined, 'lists carry no bodies');
    const next = await server.request('GET', `/ingest/api/v1/source/${source.id}/event?limit=3&iterator=${all.body.iterator}`);
    assert.deepEqual(next.body.data.map((event: any) => event.id), [sent[2], sent[1], sent[0]]);
    const duplicates = await server.request('GET', `/ingest/api/v1/source/${source.id}/event?state=duplicate`);
    assert.equal(duplicates.body.data.length, 1);
    const customers = await server.request('GET', `/ingest/api/v1/source/${source.id}/event?event_types=customer.created`);
    assert.deepEqual(customers.body.data.map((event: any) => event.id), [sent[3], sent[1]]);
    const future = await server.request('GET', `/ingest/api/v1/source/${source.id}/event?after=${new Date(Date.now() + 60_000).toISOString()}`);
    assert.equal(future.body.data.length, 0);
  });

  it("answers with the source's own response when it has one, and answers handshakes without storing them", async () => {
    const custom = await createSourceWithDestination(server, { name: 'Custom', type: 'generic-webhook', response: { status: 202, contentType: 'text/plain', body: 'thanks' } }, `${receiver.url}/custom`);
    const answer = await postToIngestUrl(custom.ingestUrl, { body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(answer.status, 202);
    assert.equal(answer.text, 'thanks');
    assert.equal(answer.headers.get('content-type'), 'text/plain');

    const { createHmac } = await import('node:crypto');
    const slackSecret = '8f742231b10e8888abcd99yyyzzz85a5';
    const slack = await createSourceWithDestination(server, { name: 'Slack', type: 'slack', config: { secret: slackSecret } }, `${receiver.url}/slack`);
    const body = JSON.stringify({ type: 'url_verification', token: 't', challenge: 'c-123' });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `v0=${createHmac('sha256', slackSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    const handshake = await postToIngestUrl(slack.ingestUrl, {
      body,
      headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature },
    });
    assert.equal(handshake.status, 200);
    assert.deepEqual(handshake.body, { challenge: 'c-123' });
    const events = await server.request('GET', `/ingest/api/v1/source/${slack.id}/event`);
    assert.equal(events.body.data.length, 0, 'a handshake is not an event');
  });

  it('refuses an unknown ingest token with 404, and a body over the limit with 413', async () => {
    const unknown = await postToIngestUrl(`${server.url}/in/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, { body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(unknown.status, 404);
    const source = await createSourceWithDestination(server, { name: 'Big', type: 'generic-webhook' }, `${receiver.url}/big`);
    const huge = await postToIngestUrl(source.ingestUrl, { body: Buffer.alloc(server.config.bodyLimit + 1, 97), headers: { 'content-type': 'text/plain' } });
    assert.equal(huge.status, 413);
  });
});

describe('receiving webhooks under a per-address limit', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ overrides: { publicRateLimit: 3 } });
  });
  after(() => server.close());

  it('answers 429 with Retry-After past the per-address quota', async () => {
    const created = await server.request('POST', '/ingest/api/v1/source', { body: { name: 'Busy', type: 'generic-webhook' } });
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => postToIngestUrl(created.body.ingestUrl, { body: `{"i":${i}}`, headers: { 'content-type': 'application/json' } })),
    );
    const limited = answers.filter((answer) => answer.status === 429);
    assert.ok(limited.length >= 6, `${limited.length} of 12 refused at 3/s`);
    assert.ok(Number(limited[0]!.headers.get('retry-after')) >= 1);
    assert.ok(answers.every((answer) => answer.status === 200 || answer.status === 429));
  });
});
