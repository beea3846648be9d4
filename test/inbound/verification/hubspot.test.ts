import { describe, it } from 'node:test';
import { createHmac } from 'node:crypto';
import { assertRejected, assertVerified, inbound, verify } from './support.js';

// @hubspot/api-client is a large SDK and its signature helper skips the URI decoding step, so the test signs
// independently from HubSpot's v3 documentation.
const SECRET = 'hs-client-secret-0c1d2e3f-4a5b-6c7d-8e9f';
const NOW = 1_718_000_000_000;
const BODY = JSON.stringify([
  { eventId: 1683442187, subscriptionId: 2405913, portalId: 62515, occurredAt: NOW - 1000, subscriptionType: 'contact.creation', attemptNumber: 0, objectId: 123 },
  { eventId: 1683442188, subscriptionId: 2405913, portalId: 62515, occurredAt: NOW - 900, subscriptionType: 'contact.deletion', attemptNumber: 0, objectId: 124 },
]);

/** HubSpot's table of escapes decoded before signing, applied by plain string replacement. */
function decodeForSigning(url: string): string {
  const table = ['%3A', ':', '%2F', '/', '%3F', '?', '%40', '@', '%21', '!', '%24', '$', '%27', "'", '%28', '(', '%29', ')', '%2A', '*', '%2C', ',', '%3B', ';'];
  let decoded = url;
  for (let i = 0; i < table.length; i += 2) decoded = decoded.split(table[i]!).join(table[i + 1]!).split(table[i]!.toLowerCase()).join(table[i + 1]!);
  return decoded;
}

function hubspotSignature(secret: string, method: string, url: string, body: string, timestamp: number): string {
  return createHmac('sha256', secret).update(`${method}${decodeForSigning(url)}${body}${timestamp}`).digest('base64');
}

function post(options: { url?: string; body?: string; timestamp?: number; secret?: string; signature?: string | null } = {}) {
  const url = options.url ?? 'https://hooks.example.com/in/src_tok_2f9a';
  const body = options.body ?? BODY;
  const timestamp = options.timestamp ?? NOW;
  const signature = options.signature === undefined ? hubspotSignature(options.secret ?? SECRET, 'POST', url, body, timestamp) : options.signature;
  return inbound({ url, headers: { 'X-HubSpot-Signature-v3': signature ?? undefined, 'X-HubSpot-Request-Timestamp': String(timestamp) }, body });
}

const config = { secret: SECRET };
const FIRST = { eventId: '1683442187', eventType: 'contact.creation' };

describe('hubspot', () => {
  it('accepts a v3-signed batch, named by its first event', () => {
    assertVerified(verify('hubspot', config, post(), NOW), FIRST);
  });

  it('decodes the escapes HubSpot decodes before signing, and no others', () => {
    const url = 'https://hooks.example.com/in/src_tok_2f9a?redirect=https%3A%2F%2Fapp.example.com%2Fdone%3Fx%3D1%26y%3D%2A&name=a%20b%40c';
    assertVerified(verify('hubspot', config, post({ url }), NOW), FIRST);
    // Signing the URL as sent, without the decoding, is not what HubSpot does.
    const raw = createHmac('sha256', SECRET).update(`POST${url}${BODY}${NOW}`).digest('base64');
    assertRejected(verify('hubspot', config, post({ url, signature: raw }), NOW), 'signature_mismatch');
  });

  it('rejects a tampered body, a wrong secret, another method and a missing header', () => {
    const signed = post();
    signed.body = Buffer.from(BODY.replace('contact.creation', 'contact.merge'));
    assertRejected(verify('hubspot', config, signed, NOW), 'signature_mismatch', [SECRET]);
    assertRejected(verify('hubspot', config, post({ secret: 'other' }), NOW), 'signature_mismatch');
    const put = post();
    put.method = 'PUT';
    assertRejected(verify('hubspot', config, put, NOW), 'signature_mismatch');
    assertRejected(verify('hubspot', config, post({ signature: null }), NOW), 'missing_header');
  });

  it('refuses a timestamp more than five minutes old or ahead (milliseconds)', () => {
    assertVerified(verify('hubspot', config, post({ timestamp: NOW - 300_000 }), NOW), FIRST);
    assertRejected(verify('hubspot', config, post({ timestamp: NOW - 300_001 }), NOW), 'timestamp_stale');
    assertRejected(verify('hubspot', config, post({ timestamp: NOW + 300_001 }), NOW), 'timestamp_future');
  });

  it('names a single-object body too', () => {
    const body = JSON.stringify({ eventId: 99, subscriptionType: 'deal.creation' });
    assertVerified(verify('hubspot', config, post({ body }), NOW), { eventId: '99', eventType: 'deal.creation' });
  });
});
