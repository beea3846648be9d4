import { Type } from 'typebox';
import { checkSignatureHeader, hmac } from './hmac.js';
import { field, idText, parseJson, typeText } from './payload.js';
import { defineVerifier, secretSchema } from './verifier.js';

/**
 * `x-square-hmacsha256-signature`: base64 HMAC-SHA256 of the notification URL followed by the raw body, keyed with
 * the subscription's signature key. The URL is the one registered with Square, byte for byte; behind a proxy that
 * rewrites the host or path, set `notificationUrl` to it. No timestamp is signed (deduplication on `event_id` stops
 * replays). The legacy SHA-1 `x-square-signature` is not accepted.
 */
export const square = defineVerifier({
  type: 'square',
  configSchema: Type.Object(
    {
      secret: secretSchema("The subscription's signature key, shown with the webhook subscription in Square's Developer Console."),
      notificationUrl: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 2048,
          description: 'The notification URL exactly as registered with Square. Default: the URL the request arrived at.',
        }),
      ),
    },
    { additionalProperties: false, title: 'SquareSourceConfig' },
  ),
  secretFields: ['secret'],
  verify(config, request) {
    const expected = hmac('sha256', config.secret, config.notificationUrl ?? request.url, request.body);
    const failure = checkSignatureHeader(request, 'x-square-hmacsha256-signature', expected, 'base64');
    if (failure) return failure;
    const event = parseJson(request.body);
    return { ok: true, eventId: idText(field(event, 'event_id')), eventType: typeText(field(event, 'type')) };
  },
});
