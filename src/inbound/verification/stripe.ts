import { checkListedSignatures, hmac } from './hmac.js';
import { field, idText, parseJson, typeText } from './payload.js';
import { defineVerifier, timestampedSecretConfig } from './verifier.js';

const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…][,v0=…]`, HMAC-SHA256 over `{t}.{body}`. The key is the `whsec_…`
 * string itself as UTF-8: unlike Standard Webhooks, Stripe does not base64-decode it. Only `v1` counts: `v0` is a
 * deliberately fake signature Stripe adds to test-mode events. Several `v1` appear while a secret is being rolled.
 *
 * Stripe's library bounds only the age of `t`. A far-future `t` is refused here too, with the same tolerance: Stripe
 * stamps `t` when it signs, so only a skewed clock or a forged header produces one.
 */
export const stripe = defineVerifier({
  type: 'stripe',
  configSchema: timestampedSecretConfig(
    'StripeSourceConfig',
    "The endpoint's signing secret (whsec_…), shown on the webhook endpoint in Stripe's dashboard.",
    DEFAULT_TOLERANCE_SECONDS,
  ),
  secretFields: ['secret'],
  verify(config, request, nowMs) {
    const failure = checkListedSignatures(
      request,
      {
        header: 'Stripe-Signature',
        separator: ',',
        timestampKey: 't',
        signatureKey: 'v1',
        expected: (timestamp) => hmac('sha256', config.secret, `${timestamp}.`, request.body),
        toleranceSeconds: config.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
      },
      nowMs,
    );
    if (failure) return failure;

    const event = parseJson(request.body);
    return { ok: true, eventId: idText(field(event, 'id')), eventType: typeText(field(event, 'type')) };
  },
});
