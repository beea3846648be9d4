import { Type } from 'typebox';
import { checkPublicKeySignature, spkiPublicKey } from './asymmetric.js';
import { field, idText, parseJson, typeText } from './payload.js';
import { defineVerifier, fail, toleranceSchema } from './verifier.js';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * SendGrid's signed Event Webhook: `X-Twilio-Email-Event-Webhook-Signature` is a base64 DER ECDSA P-256/SHA-256
 * signature of `X-Twilio-Email-Event-Webhook-Timestamp` followed by the raw body, checked with the verification key
 * SendGrid shows once signing is enabled. SendGrid documents no replay window; `toleranceSeconds` adds one.
 *
 * A post carries a batch of events, each with its own `sg_event_id`, and a retried batch need not hold the same
 * events. Only a batch of one is named by its event's id; a larger batch gets none, so the caller falls back to the
 * body hash rather than dropping a retry that merely starts with an event already seen.
 */
export const sendgrid = defineVerifier({
  type: 'sendgrid',
  configSchema: Type.Object(
    {
      publicKey: Type.String({
        minLength: 1,
        maxLength: 1024,
        pattern: '^[A-Za-z0-9+/=\\s]+$',
        description: 'The verification key (base64), shown once signature verification is enabled for the Event Webhook.',
      }),
      toleranceSeconds: toleranceSchema(null),
    },
    { additionalProperties: false, title: 'SendgridSourceConfig' },
  ),
  secretFields: [],
  verify(config, request, nowMs) {
    const key = spkiPublicKey(config.publicKey);
    // An RSA or other-curve key would make every request fail with a misleading signature_mismatch.
    if (key?.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      return fail('config_invalid', 'publicKey is not a base64 DER P-256 public key');
    }
    const failure = checkPublicKeySignature(
      request,
      {
        signatureHeader: 'X-Twilio-Email-Event-Webhook-Signature',
        timestampHeader: 'X-Twilio-Email-Event-Webhook-Timestamp',
        algorithm: 'ecdsa-p256-sha256',
        key,
        decodeSignature: (text) => (BASE64.test(text) ? Buffer.from(text, 'base64') : null),
        toleranceSeconds: config.toleranceSeconds,
      },
      nowMs,
    );
    if (failure) return failure;

    const events = parseJson(request.body);
    const single = Array.isArray(events) && events.length === 1 ? (events[0] as unknown) : undefined;
    return { ok: true, eventId: idText(field(single, 'sg_event_id')), eventType: typeText(field(single, 'event')) };
  },
});
