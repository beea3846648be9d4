import { describe, it } from 'node:test';
import { createHmac } from 'node:crypto';
import { assertRejected, assertVerified, inbound, verify } from './support.js';

// No light Shopify library signs webhooks, so the test signs independently, as Shopify documents: base64 HMAC-SHA256
// of the raw body under the app's client secret.
const SECRET = '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';
const BODY = JSON.stringify({ id: 820982911946154500, email: 'jon@example.com', total_price: '10.00' });
const NOW = 1_718_000_000_000;

function shopifySignature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('base64');
}

function delivery(signature: string | undefined, extra: Record<string, string> = {}, body = BODY) {
  return inbound({
    headers: {
      'X-Shopify-Hmac-Sha256': signature,
      'X-Shopify-Topic': 'orders/create',
      'X-Shopify-Event-Id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
      'X-Shopify-Triggered-At': '2024-06-10T06:13:20.000Z',
      ...extra,
    },
    body,
  });
}

describe('shopify', () => {
  it('accepts a correctly signed request; the webhook id names it, else the event id', () => {
    const withWebhookId = delivery(shopifySignature(SECRET, BODY), { 'X-Shopify-Webhook-Id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' });
    assertVerified(verify('shopify', { secret: SECRET }, withWebhookId, NOW), { eventId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043', eventType: 'orders/create' });
    assertVerified(verify('shopify', { secret: SECRET }, delivery(shopifySignature(SECRET, BODY)), NOW), { eventId: '98880550-7158-44d4-b7cd-2c97c8a091b5', eventType: 'orders/create' });
  });

  it('rejects a tampered body, a wrong secret, a missing header and garbage base64', () => {
    const signature = shopifySignature(SECRET, BODY);
    assertRejected(verify('shopify', { secret: SECRET }, delivery(signature, {}, BODY.replace('10.00', '0.01')), NOW), 'signature_mismatch', [SECRET, signature]);
    assertRejected(verify('shopify', { secret: SECRET }, delivery(shopifySignature('other', BODY)), NOW), 'signature_mismatch');
    assertRejected(verify('shopify', { secret: SECRET }, delivery(undefined), NOW), 'missing_header');
    assertRejected(verify('shopify', { secret: SECRET }, delivery(`${signature.slice(0, -2)}!!`), NOW), 'signature_mismatch');
    assertRejected(verify('shopify', { secret: SECRET }, delivery(signature.repeat(2)), NOW), 'signature_mismatch');
  });
});
