import { describe, it } from 'node:test';
import { createHmac } from 'node:crypto';
import { assertRejected, assertVerified, inbound, verify } from './support.js';

// @linear/sdk pulls in the whole GraphQL client, so the test signs independently, as Linear documents: hex
// HMAC-SHA256 of the raw body under the webhook's signing secret.
const SECRET = 'lin_wh_b8d1a9c35e7f42d6a0c1e3f5a7b9d2c4';
const NOW = 1_718_000_000_123;
const DELIVERY = '234d1a4e-b617-4388-90fe-adc3633d6b72';

function event(webhookTimestamp: number | undefined, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ action: 'create', type: 'Issue', data: { id: 'iss_1', title: 'Bug' }, webhookTimestamp, ...extra });
}

function linearSignature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** `null` sends no signature header. */
function post(body: string, signature: string | null = linearSignature(SECRET, body), extra: Record<string, string> = {}) {
  return inbound({ headers: { 'Linear-Signature': signature ?? undefined, 'Linear-Delivery': DELIVERY, 'Linear-Event': 'Issue', ...extra }, body });
}

const config = { secret: SECRET };

describe('linear', () => {
  it('accepts a correctly signed delivery, named by Linear-Delivery and type.action', () => {
    assertVerified(verify('linear', config, post(event(NOW - 2_000)), NOW), { eventId: DELIVERY, eventType: 'Issue.create' });
  });

  it('rejects a tampered body, a wrong secret and a missing header', () => {
    const body = event(NOW);
    const signature = linearSignature(SECRET, body);
    assertRejected(verify('linear', config, post(body.replace('Bug', 'Feature'), signature), NOW), 'signature_mismatch', [SECRET, signature]);
    assertRejected(verify('linear', config, post(body, linearSignature('other', body)), NOW), 'signature_mismatch');
    assertRejected(verify('linear', config, post(body, null), NOW), 'missing_header');
  });

  it('refuses a webhookTimestamp more than a minute from now, either way', () => {
    assertVerified(verify('linear', config, post(event(NOW - 60_000)), NOW), { eventId: DELIVERY, eventType: 'Issue.create' });
    assertRejected(verify('linear', config, post(event(NOW - 60_001)), NOW), 'timestamp_stale');
    assertRejected(verify('linear', config, post(event(NOW + 60_001)), NOW), 'timestamp_future');
    assertVerified(verify('linear', { ...config, toleranceSeconds: 600 }, post(event(NOW - 300_000)), NOW), { eventId: DELIVERY, eventType: 'Issue.create' });
  });

  it('falls back to the Linear-Timestamp header, and refuses a delivery with neither', () => {
    const body = event(undefined);
    assertVerified(verify('linear', config, post(body, linearSignature(SECRET, body), { 'Linear-Timestamp': String(NOW) }), NOW), { eventId: DELIVERY, eventType: 'Issue.create' });
    assertRejected(verify('linear', config, post(body), NOW), 'timestamp_missing');
  });

  it('uses the type alone when there is no action', () => {
    const body = JSON.stringify({ type: 'OAuthApp', webhookTimestamp: NOW });
    assertVerified(verify('linear', config, post(body), NOW), { eventId: DELIVERY, eventType: 'OAuthApp' });
  });
});
