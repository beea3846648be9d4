import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPairSync, sign } from 'node:crypto';
import { assertRejected, assertVerified, inbound, verify } from './support.js';

// From the test suite of @sendgrid/eventwebhook.
const VECTOR = {
  publicKey:
    'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==',
  timestamp: '1588788367',
  body: '{"category":"example_payload","event":"test_event","message_id":"message_id"}',
  signature: 'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=',
};
const AT_VECTOR = Number(VECTOR.timestamp) * 1000;

function post(body: string, signature: string | null, timestamp = VECTOR.timestamp) {
  return inbound({
    headers: { 'X-Twilio-Email-Event-Webhook-Signature': signature ?? undefined, 'X-Twilio-Email-Event-Webhook-Timestamp': timestamp },
    body,
  });
}

describe('sendgrid', () => {
  it("reproduces @sendgrid/eventwebhook's published vector", () => {
    assertVerified(verify('sendgrid', { publicKey: VECTOR.publicKey }, post(VECTOR.body, VECTOR.signature), AT_VECTOR), { eventId: null, eventType: null });
  });

  it('names a batch of one by its sg_event_id, and a larger batch not at all', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const config = { publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') };
    const signed = (body: string) => post(body, sign('sha256', Buffer.from(VECTOR.timestamp + body), privateKey).toString('base64'));
    const one = JSON.stringify([{ email: 'a@example.com', event: 'delivered', sg_event_id: 'ZGVsaXZlcmVkLTAtNDI', sg_message_id: 'm1' }]);
    assertVerified(verify('sendgrid', config, signed(one), AT_VECTOR), { eventId: 'ZGVsaXZlcmVkLTAtNDI', eventType: 'delivered' });
    const two = JSON.stringify([JSON.parse(one)[0], { email: 'b@example.com', event: 'open', sg_event_id: 'b3Blbi0xLTQy' }]);
    assertVerified(verify('sendgrid', config, signed(two), AT_VECTOR), { eventId: null, eventType: null });
  });

  it('rejects a tampered body, another key, a changed timestamp, garbage and a missing header', () => {
    const config = { publicKey: VECTOR.publicKey };
    assertRejected(verify('sendgrid', config, post(VECTOR.body.replace('test_event', 'bounce'), VECTOR.signature), AT_VECTOR), 'signature_mismatch');
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    assertRejected(verify('sendgrid', { publicKey: other }, post(VECTOR.body, VECTOR.signature), AT_VECTOR), 'signature_mismatch');
    assertRejected(verify('sendgrid', config, post(VECTOR.body, VECTOR.signature, '1588788368'), AT_VECTOR), 'signature_mismatch');
    assertRejected(verify('sendgrid', config, post(VECTOR.body, '%%%not base64%%%'), AT_VECTOR), 'malformed_header');
    assertRejected(verify('sendgrid', config, post(VECTOR.body, 'AAAA'), AT_VECTOR), 'signature_mismatch');
    assertRejected(verify('sendgrid', config, post(VECTOR.body, null), AT_VECTOR), 'missing_header');
  });

  it('bounds the timestamp only when a tolerance is configured', () => {
    const request = post(VECTOR.body, VECTOR.signature);
    const config = { publicKey: VECTOR.publicKey, toleranceSeconds: 600 };
    assert.equal(verify('sendgrid', { publicKey: VECTOR.publicKey }, request, AT_VECTOR + 86_400_000).ok, true);
    assertRejected(verify('sendgrid', config, request, AT_VECTOR + 601_000), 'timestamp_stale');
    assertRejected(verify('sendgrid', config, request, AT_VECTOR - 601_000), 'timestamp_future');
  });

  it('reports an unusable public key as a config problem', () => {
    assertRejected(verify('sendgrid', { publicKey: 'AAAA' }, post(VECTOR.body, VECTOR.signature), AT_VECTOR), 'config_invalid');
  });
});
