import { describe, it } from 'node:test';
import { assertRejected, assertVerified, inbound, verify } from './support.js';

// Both from the test suite of Square's Node SDK (WebhooksHelper).
const VECTORS = [
  {
    key: 'Ibxx_5AKakO-3qeNVR61Dw',
    url: 'https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9',
    body: '{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}',
    signature: 'GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=',
    eventId: 'ac3ac95b-f97d-458c-a6e6-18981597e05f',
    eventType: 'webhooks.test_notification',
  },
  {
    key: 'signature-key',
    url: 'https://webhook.site/webhooks',
    body: '{"data":{"type":"webhooks","id":"fake_id"}}',
    signature: 'W3FlCNk5IA3ZQ2LHTWoajvzfaDu/OwY2tNHIHC3IUOA=',
    eventId: null,
    eventType: null,
  },
];
const NOW = 1_718_000_000_000;

function post(url: string, signature: string | undefined, body: string) {
  return inbound({ url, headers: { 'x-square-hmacsha256-signature': signature }, body });
}

describe('square', () => {
  it("reproduces the Square SDK's published vectors, signing the URL the request arrived at", () => {
    for (const vector of VECTORS) {
      const result = verify('square', { secret: vector.key }, post(vector.url, vector.signature, vector.body), NOW);
      assertVerified(result, { eventId: vector.eventId, eventType: vector.eventType });
    }
  });

  it('uses the configured notificationUrl instead when a proxy changed the URL', () => {
    const [vector] = VECTORS;
    const proxied = post('http://10.0.0.7:8071/in/src_tok_2f9a', vector!.signature, vector!.body);
    assertRejected(verify('square', { secret: vector!.key }, proxied, NOW), 'signature_mismatch');
    assertVerified(verify('square', { secret: vector!.key, notificationUrl: vector!.url }, proxied, NOW), { eventId: vector!.eventId, eventType: vector!.eventType });
  });

  it('rejects a tampered body, a wrong key, another URL and a missing header', () => {
    const [vector] = VECTORS;
    const { key, url, body, signature } = vector!;
    assertRejected(verify('square', { secret: key }, post(url, signature, body.replace('MLEFBHHSJGVHD', 'MLEFBHHSJGVHE')), NOW), 'signature_mismatch', [key, signature]);
    assertRejected(verify('square', { secret: 'signature-key' }, post(url, signature, body), NOW), 'signature_mismatch');
    assertRejected(verify('square', { secret: key }, post(`${url}/`, signature, body), NOW), 'signature_mismatch');
    assertRejected(verify('square', { secret: key }, post(url, undefined, body), NOW), 'missing_header');
  });
});
