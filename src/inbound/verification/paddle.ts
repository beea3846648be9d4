import { checkListedSignatures, hmac } from './hmac.js';
import { field, idText, parseJson, typeText } from './payload.js';
import { defineVerifier, timestampedSecretConfig } from './verifier.js';

// Paddle's own SDK allows five seconds. That is tight for a gateway behind a load balancer with an imperfect clock,
// which is why it is configurable; it stays the default so a source behaves as Paddle documents.
const DEFAULT_TOLERANCE_SECONDS = 5;

/**
 * Paddle Billing: `Paddle-Signature: ts=<unix>;h1=<hex>`, HMAC-SHA256 of `{ts}:{body}` keyed with the notification
 * destination's secret key. While a secret key is being rotated Paddle sends one `h1` per key; any may match.
 * (Paddle Classic's RSA `p_signature` form field is a different product and is not accepted.)
 */
export const paddle = defineVerifier({
  type: 'paddle',
  configSchema: timestampedSecretConfig(
    'PaddleSourceConfig',
    "The notification destination's secret key (pdl_ntfset_…), shown with the destination in Paddle.",
    DEFAULT_TOLERANCE_SECONDS,
  ),
  secretFields: ['secret'],
  verify(config, request, nowMs) {
    const failure = checkListedSignatures(
      request,
      {
        header: 'Paddle-Signature',
        separator: ';',
        timestampKey: 'ts',
        signatureKey: 'h1',
        expected: (timestamp) => hmac('sha256', config.secret, `${timestamp}:`, request.body),
        toleranceSeconds: config.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
      },
      nowMs,
    );
    if (failure) return failure;

    const event = parseJson(request.body);
    return { ok: true, eventId: idText(field(event, 'event_id')), eventType: typeText(field(event, 'event_type')) };
  },
});
