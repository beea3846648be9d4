import { describe, it } from 'node:test';
import { createHmac } from 'node:crypto';
import { assertRejected, assertVerified, inbound, verify } from './support.js';

// Signed independently from Mailgun's documentation: hex HMAC-SHA256 of timestamp + token under the signing key.
const KEY = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0';
const NOW_S = 1_718_000_000;
const NOW = NOW_S * 1000;
const TOKEN = '5b0ea0e1a4bbc7d3d23c1fba1de53b24f34a0ad5b3ac3aa1c2';

function mailgunSignature(key: string, timestamp: string, token: string): string {
  return createHmac('sha256', key).update(timestamp + token).digest('hex');
}

function jsonEvent(options: { timestamp?: string; token?: string; signature?: string; event?: string } = {}) {
  const timestamp = options.timestamp ?? String(NOW_S);
  const token = options.token ?? TOKEN;
  return JSON.stringify({
    signature: { timestamp, token, signature: options.signature ?? mailgunSignature(KEY, timestamp, token) },
    'event-data': { event: options.event ?? 'delivered', id: 'CPgfbmQMTCKtHW6uIWtuVe', recipient: 'alice@example.com' },
  });
}

const config = { secret: KEY };

describe('mailgun', () => {
  it('accepts a signed JSON webhook, named by its token and event', () => {
    assertVerified(verify('mailgun', config, inbound({ headers: { 'content-type': 'application/json' }, body: jsonEvent() }), NOW), { eventId: TOKEN, eventType: 'delivered' });
  });

  it('accepts a signed form-encoded (legacy) webhook', () => {
    const timestamp = String(NOW_S);
    const body = new URLSearchParams({ timestamp, token: TOKEN, signature: mailgunSignature(KEY, timestamp, TOKEN), event: 'opened' }).toString();
    const request = inbound({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    assertVerified(verify('mailgun', config, request, NOW), { eventId: TOKEN, eventType: 'opened' });
  });

  it('rejects a changed token or timestamp, a wrong key and a body without a signature', () => {
    const signature = mailgunSignature(KEY, String(NOW_S), TOKEN);
    const post = (body: string) => inbound({ headers: { 'content-type': 'application/json' }, body });
    assertRejected(verify('mailgun', config, post(jsonEvent({ token: `${TOKEN}x`, signature })), NOW), 'signature_mismatch', [KEY, signature]);
    assertRejected(verify('mailgun', config, post(jsonEvent({ timestamp: String(NOW_S + 1), signature })), NOW), 'signature_mismatch');
    assertRejected(verify('mailgun', { secret: 'key-other' }, post(jsonEvent()), NOW), 'signature_mismatch');
    assertRejected(verify('mailgun', config, post(JSON.stringify({ 'event-data': { event: 'delivered' } })), NOW), 'missing_signature');
    assertRejected(verify('mailgun', config, inbound({ headers: {}, body: 'not json' }), NOW), 'missing_signature');
  });

  it('bounds the timestamp only when a tolerance is configured', () => {
    const old = inbound({ headers: {}, body: jsonEvent({ timestamp: String(NOW_S - 7200) }) });
    assertVerified(verify('mailgun', config, old, NOW), { eventId: TOKEN, eventType: 'delivered' });
    assertRejected(verify('mailgun', { ...config, toleranceSeconds: 900 }, old, NOW), 'timestamp_stale');
    const ahead = inbound({ headers: {}, body: jsonEvent({ timestamp: String(NOW_S + 7200) }) });
    assertRejected(verify('mailgun', { ...config, toleranceSeconds: 900 }, ahead, NOW), 'timestamp_future');
  });
});
