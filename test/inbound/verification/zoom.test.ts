import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHmac } from 'node:crypto';
import { assertRejected, assertVerified, inbound, verify } from './support.js';

// Zoom publishes no signing library for Node that is light enough; the test signs independently from Zoom's
// documentation: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` under the secret token.
const SECRET = 'zm_secret_token_Qm9vR2lHVm9vZ2xl';
const NOW_S = 1_718_000_000;
const NOW = NOW_S * 1000;

function zoomSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** `null` sends no signature header. */
function post(body: string, timestamp = NOW_S, signature: string | null = zoomSignature(SECRET, timestamp, body)) {
  return inbound({ headers: { 'x-zm-signature': signature ?? undefined, 'x-zm-request-timestamp': String(timestamp) }, body });
}

const EVENT = JSON.stringify({ event: 'meeting.started', event_ts: 1718000000456, payload: { account_id: 'a1', object: { id: '8551' } } });
const config = { secret: SECRET };

describe('zoom', () => {
  it('accepts a signed event, named by event and event_ts', () => {
    assertVerified(verify('zoom', config, post(EVENT), NOW), { eventId: 'meeting.started:1718000000456', eventType: 'meeting.started' });
  });

  it('answers endpoint.url_validation with the plain and encrypted token after verifying it', () => {
    const body = JSON.stringify({ payload: { plainToken: 'qgg8vlvZRS6UYooatFL8Aw' }, event_ts: 1654503849680, event: 'endpoint.url_validation' });
    const result = verify('zoom', config, post(body), NOW);
    assertVerified(result, { eventId: 'endpoint.url_validation:1654503849680', eventType: 'endpoint.url_validation' });
    const encryptedToken = createHmac('sha256', SECRET).update('qgg8vlvZRS6UYooatFL8Aw').digest('hex');
    assert.deepEqual(result.reply, { status: 200, contentType: 'application/json', body: JSON.stringify({ plainToken: 'qgg8vlvZRS6UYooatFL8Aw', encryptedToken }) });
    assertRejected(verify('zoom', config, post(body, NOW_S, zoomSignature('guess', NOW_S, body)), NOW), 'signature_mismatch', [encryptedToken]);
  });

  it('rejects a tampered body, a wrong secret and missing headers', () => {
    const signature = zoomSignature(SECRET, NOW_S, EVENT);
    assertRejected(verify('zoom', config, post(EVENT.replace('8551', '8552'), NOW_S, signature), NOW), 'signature_mismatch', [SECRET, signature]);
    assertRejected(verify('zoom', config, post(EVENT, NOW_S, zoomSignature('other', NOW_S, EVENT)), NOW), 'signature_mismatch');
    assertRejected(verify('zoom', config, post(EVENT, NOW_S, null), NOW), 'missing_header');
    assertRejected(verify('zoom', config, inbound({ headers: { 'x-zm-signature': signature }, body: EVENT }), NOW), 'missing_header');
  });

  it('refuses timestamps more than five minutes old or ahead', () => {
    assertRejected(verify('zoom', config, post(EVENT, NOW_S - 301), NOW), 'timestamp_stale');
    assertRejected(verify('zoom', config, post(EVENT, NOW_S + 301), NOW), 'timestamp_future');
    assertVerified(verify('zoom', config, post(EVENT, NOW_S - 299), NOW), { eventId: 'meeting.started:1718000000456', eventType: 'meeting.started' });
  });
});
