import { Type } from 'typebox';
import { checkPublicKeySignature, ed25519PublicKey } from './asymmetric.js';
import { decodeDigest } from './hmac.js';
import { field, idText, parseJson, typeText } from './payload.js';
import { defineVerifier, fail, jsonReply, toleranceSchema } from './verifier.js';

const ED25519_SIGNATURE_BYTES = 64;

/**
 * `X-Signature-Ed25519` (hex) is an Ed25519 signature of `X-Signature-Timestamp` followed by the raw body, checked
 * against the application's public key. Discord probes endpoints with invalid signatures and requires a 401 for
 * them, which the caller gives for any failure here.
 *
 * Two kinds of endpoint use the scheme. The interactions endpoint is verified with a PING (`type: 1`) that must be
 * answered `{"type":1}`; the webhook events endpoint with a PING (`type: 0`) answered by an empty 204. Both answers
 * are given only after the signature holds. Discord documents no replay window; `toleranceSeconds` adds one.
 */
export const discord = defineVerifier({
  type: 'discord',
  configSchema: Type.Object(
    {
      publicKey: Type.String({
        pattern: '^[0-9a-fA-F]{64}$',
        description: "The application's public key (64 hex characters), from the application's general information page.",
      }),
      toleranceSeconds: toleranceSchema(null),
    },
    { additionalProperties: false, title: 'DiscordSourceConfig' },
  ),
  secretFields: [],
  verify(config, request, nowMs) {
    const key = ed25519PublicKey(Buffer.from(config.publicKey, 'hex'));
    if (key === null) return fail('config_invalid', 'publicKey is not an Ed25519 public key');
    const failure = checkPublicKeySignature(
      request,
      {
        signatureHeader: 'X-Signature-Ed25519',
        timestampHeader: 'X-Signature-Timestamp',
        algorithm: 'ed25519',
        key,
        decodeSignature: (text) => decodeDigest(text, 'hex', ED25519_SIGNATURE_BYTES),
        toleranceSeconds: config.toleranceSeconds,
      },
      nowMs,
    );
    if (failure) return failure;

    const payload = parseJson(request.body);
    const type = field(payload, 'type');
    const result = {
      ok: true as const,
      eventId: idText(field(payload, 'id')),
      eventType: typeText(field(payload, 'event', 'type')),
    };
    // Webhook event payloads carry an `event` object; interaction payloads never do, and start their types at 1.
    const isWebhookEvent = field(payload, 'event') !== undefined;
    if (type === 1 && !isWebhookEvent) return { ...result, reply: jsonReply({ type: 1 }) };
    if (type === 0) return { ...result, reply: { status: 204, contentType: 'text/plain; charset=utf-8', body: '' } };
    return result;
  },
});
