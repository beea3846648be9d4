import assert from 'node:assert/strict';
import Stripe from 'stripe';
import type { TestServer } from '../helpers/server.js';

export const STRIPE_SECRET = 'whsec_test_hookyard_e2e_0123456789abcdef';

const stripeWebhooks = new Stripe('sk_test_not_used').webhooks;

/** A Stripe event body and its `Stripe-Signature`, made by Stripe's own library at the current time. */
export function stripeEvent(id: string, type = 'invoice.paid', data: Record<string, unknown> = { object: { id: 'in_1' } }, secret = STRIPE_SECRET) {
  const body = JSON.stringify({ id, object: 'event', type, data }, null, 2);
  const signature = stripeWebhooks.generateTestHeaderString({ payload: body, secret });
  return { body, headers: { 'stripe-signature': signature, 'content-type': 'application/json; charset=utf-8' } };
}

/** Posts to an ingest URL as a provider would: no Hookyard credentials, any body. */
export async function postToIngestUrl(ingestUrl: string, request: { body: string | Buffer; headers: Record<string, string> }, method = 'POST') {
  const response = await fetch(ingestUrl, { method, headers: request.headers, body: request.body });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, headers: response.headers, text, body: type.includes('json') && text ? JSON.parse(text) : text };
}

export interface CreatedSource {
  id: string;
  ingestUrl: string;
  secretOfDestination: string;
}

/** Creates a source and one destination pointing at `destinationUrl`; returns the source and the destination's secret. */
export async function createSourceWithDestination(server: TestServer, source: Record<string, unknown>, destinationUrl: string): Promise<CreatedSource> {
  const created = await server.request('POST', '/ingest/api/v1/source', { body: source });
  assert.equal(created.status, 201, created.text);
  const endpoint = await server.request('POST', `/ingest/api/v1/source/${created.body.id}/endpoint`, { body: { url: destinationUrl } });
  assert.equal(endpoint.status, 201, endpoint.text);
  const secret = await server.request('GET', `/ingest/api/v1/source/${created.body.id}/endpoint/${endpoint.body.id}/secret`);
  return { id: created.body.id, ingestUrl: created.body.ingestUrl, secretOfDestination: secret.body.key };
}

/** Polls the event until `predicate` holds; returns it. */
export async function eventWhen(server: TestServer, sourceId: string, eventId: string, predicate: (event: any) => boolean, timeoutMs = 10_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    last = (await server.request('GET', `/ingest/api/v1/source/${sourceId}/event/${eventId}`)).body;
    if (predicate(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`event ${eventId} never reached the expected state; last seen: ${JSON.stringify(last)}`);
}
