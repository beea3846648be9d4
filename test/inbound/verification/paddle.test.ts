import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { createHmac } from 'node:crypto';
import { NodeRuntime, Webhooks } from '@paddle/paddle-node-sdk';
import { assertRejected, assertVerified, inbound, verify } from './support.js';

// From the test suite of Paddle's Node SDK.
const VECTOR = {
  secret: 'VALID_SECRET',
  body: '{"data": ["1", "2"]}',
  ts: 1698796800,
  h1: 'a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9',
};
const AT_VECTOR = VECTOR.ts * 1000;

/** Written from Paddle's documentation, independently of the verifier. */
function paddleH1(secret: string, ts: number, body: string): string {
  return createHmac('sha256', secret).update(`${ts}:${body}`).digest('hex');
}

const EVENT = JSON.stringify({
  event_id: 'evt_01hv8x2acma2gz1my6zx8q2x9p',
  event_type: 'transaction.completed',
  occurred_at: '2024-04-12T10:18:49.621022Z',
  data: { id: 'txn_01hv8wptq8987qeep44cyrewp9' },
});

function post(header: string | undefined, body: string) {
  return inbound({ headers: { 'Paddle-Signature': header, 'content-type': 'application/json' }, body });
}

const config = { secret: VECTOR.secret };

describe('paddle', () => {
  it("reproduces the Paddle SDK's published vector", () => {
    assertVerified(verify('paddle', config, post(`ts=${VECTOR.ts};h1=${VECTOR.h1}`, VECTOR.body), AT_VECTOR), { eventId: null, eventType: null });
  });

  it('names the event by event_id and event_type', () => {
    const header = `ts=${VECTOR.ts};h1=${paddleH1(VECTOR.secret, VECTOR.ts, EVENT)}`;
    assertVerified(verify('paddle', config, post(header, EVENT), AT_VECTOR), { eventId: 'evt_01hv8x2acma2gz1my6zx8q2x9p', eventType: 'transaction.completed' });
  });

  it('agrees with the Paddle SDK on the vector and on a tampered body, at the same instant', async (t) => {
    t.after(() => mock.timers.reset());
    mock.timers.enable({ apis: ['Date'], now: AT_VECTOR + 2000 });
    NodeRuntime.initialize(); // what `new Paddle(apiKey)` does first: gives the SDK node:crypto
    const sdk = new Webhooks();
    const header = `ts=${VECTOR.ts};h1=${VECTOR.h1}`;
    assert.equal(await sdk.isSignatureValid(VECTOR.body, VECTOR.secret, header), true);
    assert.equal(verify('paddle', config, post(header, VECTOR.body), AT_VECTOR + 2000).ok, true);
    assert.equal(await sdk.isSignatureValid('{"data": ["1", "3"]}', VECTOR.secret, header), false);
    assert.equal(verify('paddle', config, post(header, '{"data": ["1", "3"]}'), AT_VECTOR + 2000).ok, false);
  });

  it('rejects a tampered body, a wrong secret, missing or incomplete headers', () => {
    const header = `ts=${VECTOR.ts};h1=${VECTOR.h1}`;
    assertRejected(verify('paddle', config, post(header, '{"data": ["1", "3"]}'), AT_VECTOR), 'signature_mismatch', [VECTOR.secret, VECTOR.h1]);
    assertRejected(verify('paddle', { secret: 'pdl_ntfset_other' }, post(header, VECTOR.body), AT_VECTOR), 'signature_mismatch');
    assertRejected(verify('paddle', config, post(undefined, VECTOR.body), AT_VECTOR), 'missing_header');
    assertRejected(verify('paddle', config, post(`h1=${VECTOR.h1}`, VECTOR.body), AT_VECTOR), 'malformed_header');
    assertRejected(verify('paddle', config, post(`ts=${VECTOR.ts}`, VECTOR.body), AT_VECTOR), 'malformed_header');
  });

  it('allows five seconds either way by default, as the SDK does, and more when configured', () => {
    const request = post(`ts=${VECTOR.ts};h1=${VECTOR.h1}`, VECTOR.body);
    assertVerified(verify('paddle', config, request, AT_VECTOR + 5_000), { eventId: null, eventType: null });
    assertRejected(verify('paddle', config, request, AT_VECTOR + 6_000), 'timestamp_stale');
    assertRejected(verify('paddle', config, request, AT_VECTOR - 6_000), 'timestamp_future');
    assertVerified(verify('paddle', { ...config, toleranceSeconds: 60 }, request, AT_VECTOR + 59_000), { eventId: null, eventType: null });
  });

  it('accepts any h1 while a secret key is being rotated', () => {
    const header = `ts=${VECTOR.ts};h1=${paddleH1('pdl_ntfset_new', VECTOR.ts, VECTOR.body)};h1=${VECTOR.h1}`;
    assertVerified(verify('paddle', config, post(header, VECTOR.body), AT_VECTOR), { eventId: null, eventType: null });
  });
});
