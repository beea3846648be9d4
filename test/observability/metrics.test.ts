import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import type { Config } from '../../src/config/config.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createApp, createEndpoint, eventually, publish } from '../delivery/support.js';
import { STRIPE_SECRET, postToIngestUrl, stripeEvent } from '../inbound/support.js';
import { delta, scrape, type Scrape } from './support.js';

describe('Prometheus metrics', () => {
  const receivers: Receiver[] = [];
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  after(async () => {
    await Promise.all(receivers.map((receiver) => receiver.close()));
  });

  async function start(overrides: Partial<Config> = {}): Promise<TestServer> {
    server = await startTestServer({ overrides });
    return server;
  }

  async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
    const started = await startReceiver(...args);
    receivers.push(started);
    return started;
  }

  /** Scrapes until `done` holds for the scrape (results are recorded just after the receiver has answered). */
  function scrapeUntil(what: string, done: (scraped: Scrape) => boolean): Promise<Scrape> {
    return eventually(what, async () => {
      const scraped = await scrape(server!);
      return done(scraped) && scraped;
    });
  }

  it('counts messages, deliveries and attempts by outcome, and requests by route template', async () => {
    await start({ circuitBreakerThreshold: 100 });
    const ok = await receiver();
    const failing = await receiver(() => ({ status: 500 }));
    const appId = await createApp(server!);
    await createEndpoint(server!, appId, { url: ok.url });
    await createEndpoint(server!, appId, { url: failing.url });
    const before = await scrape(server!);

    const messageIds: string[] = [];
    for (let i = 0; i < 3; i++) messageIds.push((await publish(server!, appId, { eventType: 'user.created' })).id);
    assert.equal((await server!.request('GET', '/no/such/path')).status, 404);
    // Each message: one success, and four failed attempts (the test retry schedule has three retries).
    const after = await scrapeUntil('every result recorded', (s) => delta(before, s, 'hookyard_deliveries_total', { outcome: 'failed' }) === 3);
    assert.equal(ok.requests.length, 3);
    assert.equal(failing.requests.length, 12);

    assert.equal(delta(before, after, 'hookyard_messages_accepted_total', { origin: 'api' }), 3);
    assert.equal(delta(before, after, 'hookyard_deliveries_total', { outcome: 'success' }), 3);
    assert.equal(delta(before, after, 'hookyard_deliveries_total', { outcome: 'retry' }), 9);
    assert.equal(delta(before, after, 'hookyard_deliveries_total', { outcome: 'canceled' }), 0);
    assert.equal(delta(before, after, 'hookyard_delivery_retries_scheduled_total', { reason: 'schedule' }), 9);
    // The idle worker took each message's first two deliveries from the API that accepted it; retries come from the queue.
    assert.equal(delta(before, after, 'hookyard_deliveries_taken_total', { via: 'handoff' }), 6);
    assert.equal(delta(before, after, 'hookyard_deliveries_taken_total', { via: 'claim' }), 9);
    assert.equal(delta(before, after, 'hookyard_delivery_attempt_duration_seconds_count', { status_class: '2xx' }), 3);
    assert.equal(delta(before, after, 'hookyard_delivery_attempt_duration_seconds_count', { status_class: '5xx' }), 12);
    // Every attempt took some time, and each lands in the +Inf bucket.
    assert.ok(delta(before, after, 'hookyard_delivery_attempt_duration_seconds_sum') > 0);
    assert.equal(delta(before, after, 'hookyard_delivery_attempt_duration_seconds_bucket', { le: '+Inf' }), 15);

    const publishRoute = { route: '/api/v1/app/:app_id/msg', method: 'POST' };
    assert.equal(delta(before, after, 'hookyard_http_requests_total', { ...publishRoute, status: '202' }), 3);
    assert.equal(delta(before, after, 'hookyard_http_request_duration_seconds_count', { ...publishRoute, status_class: '2xx' }), 3);
    assert.equal(delta(before, after, 'hookyard_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' }), 1);
    assert.ok(delta(before, after, 'hookyard_http_requests_total', { route: '/metrics', method: 'GET', status: '200' }) >= 1);

    const store = server!.running.store.kind;
    assert.ok(delta(before, after, 'hookyard_store_commit_duration_seconds_count', { store }) >= 3, 'each message was committed');
    assert.ok(delta(before, after, 'hookyard_store_commit_batch_size_count', { store }) >= 3);
    assert.ok(after.has('process_cpu_seconds_total'), 'the default process metrics are there');

    // Labels stay bounded: no id of an application, message, endpoint or attempt appears in any of them.
    const ids = new Set([appId, ...messageIds]);
    for (const sample of after.samples) {
      for (const value of Object.values(sample.labels)) {
        assert.ok(!ids.has(value) && !/^(app|msg|ep|atmpt|dlv)_/.test(value), `${sample.name} has an id label: ${value}`);
      }
    }
  });

  it('tells retries a receiver asked for with Retry-After from scheduled ones', async () => {
    await start();
    const busy = await receiver((_request, index) => (index === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    const appId = await createApp(server!);
    await createEndpoint(server!, appId, { url: busy.url });
    const before = await scrape(server!);
    await publish(server!, appId, { eventType: 'user.created' });
    const after = await scrapeUntil('the retry succeeded', (s) => delta(before, s, 'hookyard_deliveries_total', { outcome: 'success' }) === 1);
    assert.equal(delta(before, after, 'hookyard_delivery_retries_scheduled_total', { reason: 'retry_after' }), 1);
    assert.equal(delta(before, after, 'hookyard_delivery_retries_scheduled_total', { reason: 'schedule' }), 0);
    assert.equal(delta(before, after, 'hookyard_delivery_attempt_duration_seconds_count', { status_class: '4xx' }), 1);
  });

  it('shows open circuit breakers and the deliveries they hold back', async () => {
    await start({ circuitBreakerThreshold: 2, circuitBreakerCooldownMs: 60_000 });
    const failing = await receiver(() => ({ status: 503 }));
    const appId = await createApp(server!);
    await createEndpoint(server!, appId, { url: failing.url });
    const before = await scrape(server!);
    assert.equal(before.value('hookyard_circuit_breakers_open'), 0);
    for (let i = 0; i < 3; i++) await publish(server!, appId, { eventType: 'user.created' });
    const after = await scrapeUntil('the breaker open and a delivery deferred', (s) =>
      s.value('hookyard_circuit_breakers_open') === 1 && delta(before, s, 'hookyard_deliveries_total', { outcome: 'deferred' }) >= 1,
    );
    assert.equal(delta(before, after, 'hookyard_deliveries_total', { outcome: 'success' }), 0);
  });

  it('counts deliveries held back by a throttle', async () => {
    await start();
    const ok = await receiver();
    const appId = await createApp(server!);
    await createEndpoint(server!, appId, { url: ok.url, throttleRate: 1 });
    const before = await scrape(server!);
    for (let i = 0; i < 3; i++) await publish(server!, appId, { eventType: 'user.created' });
    // One message a second: the second and third wait for their slots.
    const after = await scrapeUntil('two deliveries throttled and put back', (s) =>
      delta(before, s, 'hookyard_delivery_throttled_total') >= 2 && delta(before, s, 'hookyard_deliveries_total', { outcome: 'deferred' }) >= 2,
    );
    assert.ok(delta(before, after, 'hookyard_delivery_attempt_duration_seconds_count') <= 3, 'no attempt beyond one per message');
  });

  it('counts requests refused by the API rate limit', async () => {
    await start({ apiRateLimit: 2 });
    const before = await scrape(server!);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await server!.request('GET', '/api/v1/app')).status);
    const refused = statuses.filter((status) => status === 429).length;
    assert.ok(refused > 0, `some requests were refused: ${statuses.join(',')}`);
    const after = await scrape(server!);
    assert.equal(delta(before, after, 'hookyard_api_rate_limited_total', { scope: 'credential' }), refused);
    assert.equal(delta(before, after, 'hookyard_http_requests_total', { route: '/api/v1/app', method: 'GET', status: '429' }), refused);
  });

  it('counts inbound requests by source type and outcome, never by token', async () => {
    await start();
    const destination = await receiver();
    const created = await server!.request('POST', '/ingest/api/v1/source', { body: { name: 'Stripe', type: 'stripe', config: { secret: STRIPE_SECRET } } });
    assert.equal(created.status, 201, created.text);
    const { ingestUrl } = created.body;
    assert.equal((await server!.request('POST', `/ingest/api/v1/source/${created.body.id}/endpoint`, { body: { url: destination.url } })).status, 201);
    const before = await scrape(server!);

    const event = stripeEvent('evt_metrics_1');
    assert.equal((await postToIngestUrl(ingestUrl, event)).status, 200);
    assert.equal((await postToIngestUrl(ingestUrl, event)).status, 200, 'a duplicate is answered 2xx too');
    assert.equal((await postToIngestUrl(ingestUrl, stripeEvent('evt_metrics_2', 'invoice.paid', {}, 'whsec_not_the_secret_0123456789'))).status, 401);
    assert.equal((await postToIngestUrl(`${server!.url}/in/${'x'.repeat(32)}`, event)).status, 404);
    await destination.waitFor((requests) => requests.length === 1);

    const after = await scrape(server!);
    const stripe = (outcome: string) => delta(before, after, 'hookyard_inbound_requests_total', { source_type: 'stripe', outcome });
    assert.deepEqual([stripe('accepted'), stripe('duplicate'), stripe('rejected'), stripe('quarantined')], [1, 1, 1, 0]);
    assert.equal(delta(before, after, 'hookyard_inbound_requests_total', { source_type: 'unknown', outcome: 'unknown_source' }), 1);
    assert.equal(delta(before, after, 'hookyard_messages_accepted_total', { origin: 'inbound' }), 1);
    assert.equal(delta(before, after, 'hookyard_http_requests_total', { route: '/in/:token', method: 'POST' }), 4);
    const token = new URL(ingestUrl).pathname.split('/').pop()!;
    for (const sample of after.samples) assert.ok(!Object.values(sample.labels).some((value) => value.includes(token)), `${sample.name} carries the ingest token`);
  });

  it('reports due work and the age of the oldest due delivery, whichever process is scraped', async () => {
    // No worker in this process: what is published stays due.
    await start({ role: 'api' });
    const appId = await createApp(server!);
    await createEndpoint(server!, appId, { url: 'https://example.com/hook' });
    const empty = await scrape(server!);
    assert.equal(empty.value('hookyard_queue_due_deliveries'), 0);
    assert.equal(empty.value('hookyard_queue_oldest_due_age_seconds'), 0);
    await publish(server!, appId, { eventType: 'user.created' });
    await publish(server!, appId, { eventType: 'user.created' });
    const queued = await scrapeUntil('two due deliveries', (s) => s.value('hookyard_queue_due_deliveries') === 2);
    assert.ok(queued.value('hookyard_queue_oldest_due_age_seconds') >= 0);
    const later = await scrapeUntil('the oldest due delivery ageing', (s) => s.value('hookyard_queue_oldest_due_age_seconds') > queued.value('hookyard_queue_oldest_due_age_seconds'));
    assert.equal(later.value('hookyard_queue_due_deliveries'), 2);
    assert.equal(later.value('hookyard_queue_stats_failures_total'), 0);
  });

  it('requires the metrics token when one is configured, and only that token', async () => {
    const metricsToken = 'metrics-token-0123456789abcdef';
    await start({ metricsToken });
    assert.equal((await server!.request('GET', '/metrics', { token: null })).status, 401);
    assert.equal((await server!.request('GET', '/metrics')).status, 401, 'an API token is not the metrics token');
    assert.equal((await server!.request('GET', '/metrics', { token: `${metricsToken}x` })).status, 401);
    const scraped = await scrape(server!, metricsToken);
    assert.ok(scraped.has('hookyard_http_requests_total'));
    assert.equal(scraped.value('hookyard_http_requests_total', { route: '/metrics', status: '401' }), 3);
  });

  it('is served by worker processes, which serve no API', async () => {
    await start({ role: 'worker' });
    assert.equal((await server!.request('GET', '/api/v1/app')).status, 404);
    const scraped = await scrape(server!);
    assert.ok(scraped.has('hookyard_queue_due_deliveries'));
    assert.equal(scraped.value('hookyard_http_requests_total', { route: 'unmatched', status: '404' }), 1);
  });
});
