import { checkTimestampedSignature, v0Scheme } from './hmac.js';
import { field, idText, parseJson, typeText } from './payload.js';
import { defineVerifier, jsonReply, timestampedSecretConfig } from './verifier.js';

const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * `X-Slack-Signature: v0=<hex>`, HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{body}` keyed with the app's signing
 * secret; Slack asks receivers to refuse timestamps more than five minutes old.
 *
 * When an Events API URL is saved, Slack posts `{"type":"url_verification","challenge":…}` and waits for the
 * challenge back. That request is signed like any other, and is answered only once its signature holds, so nobody
 * can use Hookyard to prove ownership of a URL they do not control.
 */
export const slack = defineVerifier({
  type: 'slack',
  configSchema: timestampedSecretConfig(
    'SlackSourceConfig',
    "The app's signing secret, from the app's basic information page on Slack's API site.",
    DEFAULT_TOLERANCE_SECONDS,
  ),
  secretFields: ['secret'],
  verify(config, request, nowMs) {
    const tolerance = config.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
    const scheme = v0Scheme('X-Slack-Signature', 'X-Slack-Request-Timestamp', config.secret, request.body, tolerance);
    const failure = checkTimestampedSignature(request, scheme, nowMs);
    if (failure) return failure;

    // Slash commands and interactivity arrive form-encoded and carry no event id or type at the top level.
    const payload = parseJson(request.body);
    const type = typeText(field(payload, 'type'));
    const challenge = field(payload, 'challenge');
    const result = {
      ok: true as const,
      eventId: idText(field(payload, 'event_id')),
      eventType: typeText(field(payload, 'event', 'type')) ?? type,
    };
    if (type === 'url_verification' && typeof challenge === 'string') return { ...result, reply: jsonReply({ challenge }) };
    return result;
  },
});
