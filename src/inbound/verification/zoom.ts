import { checkTimestampedSignature, hmac, v0Scheme } from './hmac.js';
import { field, idText, parseJson, typeText } from './payload.js';
import { defineVerifier, jsonReply, timestampedSecretConfig } from './verifier.js';

const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * `x-zm-signature: v0=<hex>`, HMAC-SHA256 of `v0:{x-zm-request-timestamp}:{body}` keyed with the app's secret token:
 * Slack's scheme under other header names.
 *
 * Zoom validates the endpoint when it is saved and again every 72 hours, posting `endpoint.url_validation` with a
 * `plainToken`; it expects `{plainToken, encryptedToken}` back within three seconds, where `encryptedToken` is the hex
 * HMAC-SHA256 of the plain token under the same secret. The validation request is signed too, and is answered only
 * when that signature holds.
 */
export const zoom = defineVerifier({
  type: 'zoom',
  configSchema: timestampedSecretConfig(
    'ZoomSourceConfig',
    "The app's secret token, from the app's feature page on the Zoom App Marketplace.",
    DEFAULT_TOLERANCE_SECONDS,
  ),
  secretFields: ['secret'],
  verify(config, request, nowMs) {
    const tolerance = config.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
    const scheme = v0Scheme('x-zm-signature', 'x-zm-request-timestamp', config.secret, request.body, tolerance);
    const failure = checkTimestampedSignature(request, scheme, nowMs);
    if (failure) return failure;

    const payload = parseJson(request.body);
    const event = typeText(field(payload, 'event'));
    const sentAt = idText(field(payload, 'event_ts'));
    const result = {
      ok: true as const,
      // Zoom sends no delivery id; the event name with its millisecond timestamp is what identifies a retry.
      eventId: event !== null && sentAt !== null ? `${event}:${sentAt}` : null,
      eventType: event,
    };
    const plainToken = field(payload, 'payload', 'plainToken');
    if (event === 'endpoint.url_validation' && typeof plainToken === 'string') {
      const encryptedToken = hmac('sha256', config.secret, plainToken).toString('hex');
      return { ...result, reply: jsonReply({ plainToken, encryptedToken }) };
    }
    return result;
  },
});
