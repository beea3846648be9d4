import { checkSignatureHeader, hmac, outsideWindow, parseTimestamp } from './hmac.js';
import { field, idText, parseJson, typeText } from './payload.js';
import { defineVerifier, fail, optionalHeader, timestampedSecretConfig } from './verifier.js';

const DEFAULT_TOLERANCE_SECONDS = 60;

/**
 * `Linear-Signature`: hex HMAC-SHA256 of the raw body, keyed with the webhook's signing secret. Linear puts the send
 * time inside the signed body (`webhookTimestamp`, milliseconds) and asks receivers to refuse deliveries more than a
 * minute away from their clock. The unsigned `Linear-Timestamp` header is only a fallback for a body without it.
 */
export const linear = defineVerifier({
  type: 'linear',
  configSchema: timestampedSecretConfig(
    'LinearSourceConfig',
    "The webhook's signing secret, shown when the webhook is created in Linear's API settings.",
    DEFAULT_TOLERANCE_SECONDS,
  ),
  secretFields: ['secret'],
  verify(config, request, nowMs) {
    const failure = checkSignatureHeader(request, 'Linear-Signature', hmac('sha256', config.secret, request.body), 'hex');
    if (failure) return failure;

    const event = parseJson(request.body);
    const sent = field(event, 'webhookTimestamp') ?? optionalHeader(request, 'Linear-Timestamp');
    if (sent === undefined) return fail('timestamp_missing', 'neither webhookTimestamp in the body nor Linear-Timestamp');
    const sentMs = typeof sent === 'number' ? sent : parseTimestamp(String(sent), 'milliseconds');
    if (sentMs === null || !Number.isSafeInteger(sentMs)) return fail('timestamp_invalid', 'webhookTimestamp is not milliseconds since the epoch');
    const stale = outsideWindow(sentMs, nowMs, config.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS, 'milliseconds');
    if (stale) return stale;

    const type = typeText(field(event, 'type'));
    const action = typeText(field(event, 'action'));
    return {
      ok: true,
      eventId: idText(optionalHeader(request, 'Linear-Delivery')),
      eventType: type !== null && action !== null ? `${type}.${action}` : type,
    };
  },
});
