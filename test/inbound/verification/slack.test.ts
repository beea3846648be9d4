import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHmac } from 'node:crypto';
import { assertRejected, assertVerified, inbound, verify } from './support.js';

// Published in Slack's "Verifying requests from Slack" guide (a slash command, form-encoded).
const VECTOR = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  body:
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
    '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
    '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};
const VECTOR_NOW = Number(VECTOR.timestamp) * 1000 + 30_000;

/** Written from Slack's documentation, independently of the verifier. */
function slackSignature(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

function request(signature: string | undefined, timestamp: string | undefined, body: string) {
  return inbound({ headers: { 'X-Slack-Signature': signature, 'X-Slack-Request-Timestamp': timestamp }, body });
}

const config = { secret: VECTOR.secret };

describe('slack', () => {
  it("reproduces Slack's published test vector (no event id or type in a slash command)", () => {
    const result = verify('slack', config, request(VECTOR.signature, VECTOR.timestamp, VECTOR.body), VECTOR_NOW);
    assertVerified(result, { eventId: null, eventType: null });
    assert.equal(result.reply, undefined);
  });

  it('names Events API callbacks by event_id and the inner event type', () => {
    const ts = VECTOR.timestamp;
    const body = JSON.stringify({ type: 'event_callback', event_id: 'Ev08MFMKH6', event: { type: 'app_mention', text: 'hi' } });
    const result = verify('slack', config, request(slackSignature(VECTOR.secret, ts, body), ts, body), VECTOR_NOW);
    assertVerified(result, { eventId: 'Ev08MFMKH6', eventType: 'app_mention' });
  });

  it('answers url_verification with the challenge, only when the signature holds', () => {
    const ts = VECTOR.timestamp;
    const body = JSON.stringify({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
    const result = verify('slack', config, request(slackSignature(VECTOR.secret, ts, body), ts, body), VECTOR_NOW);
    assertVerified(result, { eventId: null, eventType: 'url_verification' });
    assert.deepEqual(result.reply, {
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' }),
    });
    const forged = verify('slack', config, request(slackSignature('not-the-secret', ts, body), ts, body), VECTOR_NOW);
    assertRejected(forged, 'signature_mismatch');
  });

  it('rejects a tampered body, a wrong secret and missing headers', () => {
    const tampered = VECTOR.body.replace('roadrunner', 'coyote');
    assertRejected(verify('slack', config, request(VECTOR.signature, VECTOR.timestamp, tampered), VECTOR_NOW), 'signature_mismatch', [VECTOR.secret]);
    const wrong = slackSignature('00000000000000000000000000000000', VECTOR.timestamp, VECTOR.body);
    assertRejected(verify('slack', config, request(wrong, VECTOR.timestamp, VECTOR.body), VECTOR_NOW), 'signature_mismatch');
    assertRejected(verify('slack', config, request(undefined, VECTOR.timestamp, VECTOR.body), VECTOR_NOW), 'missing_header');
    assertRejected(verify('slack', config, request(VECTOR.signature, undefined, VECTOR.body), VECTOR_NOW), 'missing_header');
  });

  it('rejects a timestamp more than five minutes old or ahead, and one that was changed after signing', () => {
    const signed = request(VECTOR.signature, VECTOR.timestamp, VECTOR.body);
    const at = Number(VECTOR.timestamp) * 1000;
    assertVerified(verify('slack', config, signed, at + 300_000), { eventId: null, eventType: null });
    assertRejected(verify('slack', config, signed, at + 301_000), 'timestamp_stale');
    assertRejected(verify('slack', config, signed, at - 301_000), 'timestamp_future');
    assertVerified(verify('slack', { ...config, toleranceSeconds: 900 }, signed, at + 600_000), { eventId: null, eventType: null });
    const replayed = request(VECTOR.signature, String(Number(VECTOR.timestamp) + 1000), VECTOR.body);
    assertRejected(verify('slack', config, replayed, at + 1_000_000), 'signature_mismatch');
  });
});
