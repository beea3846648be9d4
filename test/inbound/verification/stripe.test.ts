import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Stripe from 'stripe';
import { assertRejected, assertVerified, inbound, verify, without } from './support.js';

// The oracle is Stripe's own library: its test-header generator signs exactly as Stripe's servers do.
const webhooks = new Stripe('sk_test_not_used').webhooks;

const SECRET = 'whsec_test_5Bq3bO0cJwIlnsZ1HOYJ5qhP9A8cRkXx';
const OTHER_SECRET = 'whsec_test_n1R7o2V0g0jrM3pXdyWq2u7q3cH0T4Ga';
const NOW_S = 1_718_000_000;
const NOW_MS = NOW_S * 1000 + 250;
const BODY = JSON.stringify({ id: 'evt_1PQx2YLkdIwHu7ix', object: 'event', type: 'invoice.paid', data: { object: { id: 'in_1' } } }, null, 2);

function signed(options: { body?: string; secret?: string; timestamp?: number; header?: string } = {}) {
  const body = options.body ?? BODY;
  const header =
    options.header ??
    webhooks.generateTestHeaderString({ payload: body, secret: options.secret ?? SECRET, timestamp: options.timestamp ?? NOW_S });
  return inbound({ headers: { 'Stripe-Signature': header, 'content-type': 'application/json' }, body });
}

describe('stripe', () => {
  it('accepts a request signed by the stripe library, with the event id and type from the body', () => {
    assertVerified(verify('stripe', { secret: SECRET }, signed(), NOW_MS), { eventId: 'evt_1PQx2YLkdIwHu7ix', eventType: 'invoice.paid' });
  });

  it('agrees with the stripe library on what it accepts', () => {
    const request = signed();
    assert.doesNotThrow(() => webhooks.constructEvent(request.body, request.headers['stripe-signature']!, SECRET, 300, undefined, NOW_MS));
  });

  it('rejects a tampered body, a wrong secret and a missing header', () => {
    const tampered = signed();
    tampered.body = Buffer.from(BODY.replace('invoice.paid', 'invoice.voided'));
    assertRejected(verify('stripe', { secret: SECRET }, tampered, NOW_MS), 'signature_mismatch', [SECRET]);
    assertRejected(verify('stripe', { secret: SECRET }, signed({ secret: OTHER_SECRET }), NOW_MS), 'signature_mismatch', [SECRET]);
    const missing = signed();
    missing.headers = without(missing.headers as Record<string, string>, 'stripe-signature');
    assertRejected(verify('stripe', { secret: SECRET }, missing, NOW_MS), 'missing_header');
  });

  it('refuses timestamps older than the tolerance, and far-future ones, at the boundary Stripe uses', () => {
    assertVerified(verify('stripe', { secret: SECRET }, signed({ timestamp: NOW_S - 300 }), NOW_MS), { eventId: 'evt_1PQx2YLkdIwHu7ix', eventType: 'invoice.paid' });
    assertRejected(verify('stripe', { secret: SECRET }, signed({ timestamp: NOW_S - 301 }), NOW_MS), 'timestamp_stale');
    assertRejected(verify('stripe', { secret: SECRET }, signed({ timestamp: NOW_S + 301 }), NOW_MS), 'timestamp_future');
    const stripeAccepts = (timestamp: number) => {
      const request = signed({ timestamp });
      try {
        webhooks.constructEvent(request.body, request.headers['stripe-signature']!, SECRET, 300, undefined, NOW_MS);
        return true;
      } catch {
        return false;
      }
    };
    assert.equal(stripeAccepts(NOW_S - 300), true);
    assert.equal(stripeAccepts(NOW_S - 301), false);
    assertVerified(verify('stripe', { secret: SECRET, toleranceSeconds: 600 }, signed({ timestamp: NOW_S - 500 }), NOW_MS), { eventId: 'evt_1PQx2YLkdIwHu7ix', eventType: 'invoice.paid' });
  });

  it('accepts any v1 during a secret roll and ignores the fake v0 of test mode', () => {
    const mine = webhooks.generateTestHeaderString({ payload: BODY, secret: SECRET, timestamp: NOW_S }).split(',v1=')[1];
    const theirs = webhooks.generateTestHeaderString({ payload: BODY, secret: OTHER_SECRET, timestamp: NOW_S }).split(',v1=')[1];
    const header = `t=${NOW_S},v1=${theirs},v1=${mine},v0=${'0'.repeat(64)}`;
    assertVerified(verify('stripe', { secret: SECRET }, signed({ header }), NOW_MS), { eventId: 'evt_1PQx2YLkdIwHu7ix', eventType: 'invoice.paid' });
    assertRejected(verify('stripe', { secret: SECRET }, signed({ header: `t=${NOW_S},v0=${mine}` }), NOW_MS), 'malformed_header');
  });

  it('rejects headers without a timestamp or with a non-numeric one', () => {
    const mine = webhooks.generateTestHeaderString({ payload: BODY, secret: SECRET, timestamp: NOW_S }).split(',v1=')[1];
    assertRejected(verify('stripe', { secret: SECRET }, signed({ header: `v1=${mine}` }), NOW_MS), 'malformed_header');
    assertRejected(verify('stripe', { secret: SECRET }, signed({ header: `t=soon,v1=${mine}` }), NOW_MS), 'timestamp_invalid');
  });
});
