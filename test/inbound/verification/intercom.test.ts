import { describe, it } from 'node:test';
import { createHmac } from 'node:crypto';
import { assertRejected, assertVerified, inbound, verify } from './support.js';

// Signed independently from Intercom's documentation: `sha1=` + hex HMAC-SHA1 of the body under the client secret.
const SECRET = 'c7f0d8e1-3a4b-4c5d-8e9f-0a1b2c3d4e5f';
const NOW = 1_718_000_000_000;
const BODY = JSON.stringify({
  type: 'notification_event',
  id: 'notif_4e3504a3-ba3f-46dc-ab48-8e4d5bdfdf4e',
  topic: 'conversation.user.created',
  created_at: 1718000000,
  data: { item: { type: 'conversation', id: '123' } },
});

function intercomSignature(secret: string, body: string): string {
  return `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
}

/** `null` sends no signature header. */
function post(body: string, signature: string | null = intercomSignature(SECRET, body)) {
  return inbound({ headers: { 'X-Hub-Signature': signature ?? undefined }, body });
}

describe('intercom', () => {
  it('accepts a signed notification, named by its id and topic', () => {
    assertVerified(verify('intercom', { secret: SECRET }, post(BODY), NOW), { eventId: 'notif_4e3504a3-ba3f-46dc-ab48-8e4d5bdfdf4e', eventType: 'conversation.user.created' });
  });

  it('rejects a tampered body, a wrong secret, a SHA-256 signature and a missing header', () => {
    const signature = intercomSignature(SECRET, BODY);
    assertRejected(verify('intercom', { secret: SECRET }, post(BODY.replace('123', '124'), signature), NOW), 'signature_mismatch', [SECRET, signature]);
    assertRejected(verify('intercom', { secret: SECRET }, post(BODY, intercomSignature('other', BODY)), NOW), 'signature_mismatch');
    const sha256 = `sha256=${createHmac('sha256', SECRET).update(BODY).digest('hex')}`;
    assertRejected(verify('intercom', { secret: SECRET }, post(BODY, sha256), NOW), 'malformed_header');
    assertRejected(verify('intercom', { secret: SECRET }, post(BODY, null), NOW), 'missing_header');
  });
});
