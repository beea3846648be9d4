import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import twilioLibrary from 'twilio';
import { assertRejected, assertVerified, inbound, verify } from './support.js';

const FORM = 'application/x-www-form-urlencoded';
const NOW = 1_718_000_000_000;

// Published in Twilio's webhook security guide, and the test suites of its helper libraries.
const FORM_VECTOR = {
  token: '12345',
  url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
  params: { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' },
  signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=',
};
const JSON_VECTOR = {
  token: '12345',
  body: '{"property": "value", "boolean": true}',
  bodySHA256: '0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620',
  signature: 'a9nBmqA0ju/hNViExpshrM61xv4=',
};
const JSON_URL = `https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=${JSON_VECTOR.bodySHA256}`;

function formBody(params: Record<string, string | string[]>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) for (const one of [value].flat()) search.append(name, one);
  return search.toString();
}

function post(url: string, signature: string | undefined, body: string, contentType = FORM, extra: Record<string, string> = {}) {
  return inbound({ url, headers: { 'X-Twilio-Signature': signature, 'content-type': contentType, ...extra }, body });
}

describe('twilio', () => {
  it("reproduces Twilio's published form-post vector, deduplicating on the idempotency token", () => {
    const request = post(FORM_VECTOR.url, FORM_VECTOR.signature, formBody(FORM_VECTOR.params), FORM, {
      'I-Twilio-Idempotency-Token': 'b5fa6c35-0b6e-4bd0-8b4f-6b3c1a4b2b51',
    });
    assertVerified(verify('twilio', { secret: FORM_VECTOR.token }, request, NOW), { eventId: 'b5fa6c35-0b6e-4bd0-8b4f-6b3c1a4b2b51', eventType: null });
  });

  it("reproduces Twilio's published JSON-body vector (bodySHA256 in the URL)", () => {
    const request = post(JSON_URL, JSON_VECTOR.signature, JSON_VECTOR.body, 'application/json');
    assertVerified(verify('twilio', { secret: JSON_VECTOR.token }, request, NOW), { eventId: null, eventType: null });
    assert.equal(twilioLibrary.validateRequestWithBody(JSON_VECTOR.token, JSON_VECTOR.signature, JSON_URL, JSON_VECTOR.body), true);
  });

  it('rejects a JSON body that does not hash to bodySHA256, even though the URL signature holds', () => {
    const request = post(JSON_URL, JSON_VECTOR.signature, JSON_VECTOR.body.replace('value', 'other'), 'application/json');
    assertRejected(verify('twilio', { secret: JSON_VECTOR.token }, request, NOW), 'body_mismatch', [JSON_VECTOR.token]);
  });

  it('accepts what the twilio library signs, including repeated parameters and + and % escapes', () => {
    const token = 'a3f1e2d4c5b6a7980f1e2d3c4b5a6978';
    const url = 'https://hooks.example.com/in/src_tok_2f9a?source=sms';
    const params = { Body: 'Hello + goodbye 100% ✓', From: '+15005550006', MediaUrl: ['https://x.test/b', 'https://x.test/a', 'https://x.test/b'] };
    const signature = twilioLibrary.getExpectedTwilioSignature(token, url, params);
    const request = post(url, signature, formBody(params));
    assertVerified(verify('twilio', { secret: token }, request, NOW), { eventId: null, eventType: null });
  });

  it('tries the URL with and without the default port, as Twilio signs either', () => {
    const token = FORM_VECTOR.token;
    const body = formBody(FORM_VECTOR.params);
    const signedWithPort = twilioLibrary.getExpectedTwilioSignature(token, 'https://mycompany.com:443/myapp.php?foo=1&bar=2', FORM_VECTOR.params);
    assertVerified(verify('twilio', { secret: token }, post(FORM_VECTOR.url, signedWithPort, body), NOW), { eventId: null, eventType: null });
    assertVerified(verify('twilio', { secret: token }, post('https://mycompany.com:443/myapp.php?foo=1&bar=2', FORM_VECTOR.signature, body), NOW), { eventId: null, eventType: null });
    // The library agrees on both.
    assert.equal(twilioLibrary.validateRequest(token, signedWithPort, FORM_VECTOR.url, FORM_VECTOR.params), true);
    assert.equal(twilioLibrary.validateRequest(token, FORM_VECTOR.signature, 'https://mycompany.com:443/myapp.php?foo=1&bar=2', FORM_VECTOR.params), true);
  });

  it('rejects a tampered parameter, a wrong token, another URL and a missing header', () => {
    const body = formBody(FORM_VECTOR.params);
    const config = { secret: FORM_VECTOR.token };
    assertRejected(verify('twilio', config, post(FORM_VECTOR.url, FORM_VECTOR.signature, body.replace('Digits=1234', 'Digits=9999')), NOW), 'signature_mismatch', [FORM_VECTOR.token]);
    assertRejected(verify('twilio', { secret: '54321' }, post(FORM_VECTOR.url, FORM_VECTOR.signature, body), NOW), 'signature_mismatch');
    assertRejected(verify('twilio', config, post('https://mycompany.com/myapp.php?foo=1&bar=3', FORM_VECTOR.signature, body), NOW), 'signature_mismatch');
    assertRejected(verify('twilio', config, post(FORM_VECTOR.url, undefined, body), NOW), 'missing_header');
  });
});
