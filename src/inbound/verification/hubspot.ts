import { checkTimestampedSignature, hmac } from './hmac.js';
import { field, idText, parseJson, typeText } from './payload.js';
import { defineVerifier, timestampedSecretConfig } from './verifier.js';

const DEFAULT_TOLERANCE_SECONDS = 300;

// HubSpot signs the URI with exactly these escapes decoded, and no others (a `%20` stays as sent).
const DECODED_ESCAPES: Record<string, string> = {
  '%3A': ':', '%2F': '/', '%3F': '?', '%40': '@', '%21': '!', '%24': '$',
  '%27': "'", '%28': '(', '%29': ')', '%2A': '*', '%2C': ',', '%3B': ';',
};
const ESCAPE = /%(?:3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi;

function hubspotSignedUri(url: string): string {
  return url.replace(ESCAPE, (escape) => DECODED_ESCAPES[escape.toUpperCase()] ?? escape);
}

/**
 * Signature v3: `X-HubSpot-Signature-v3` is base64 HMAC-SHA256 of `{method}{uri}{body}{timestamp}` keyed with the
 * app's client secret, where the timestamp is `X-HubSpot-Request-Timestamp` in milliseconds and the URI is the full
 * URL with a fixed set of escapes decoded. HubSpot asks receivers to refuse requests older than five minutes.
 * The older v1/v2 signatures (plain SHA-256 of the secret and body, no timestamp) are not accepted.
 *
 * HubSpot batches up to 100 events in one array; the first event's `eventId` and `subscriptionType` name the batch.
 */
export const hubspot = defineVerifier({
  type: 'hubspot',
  configSchema: timestampedSecretConfig(
    'HubspotSourceConfig',
    "The app's client secret, from the app's authentication settings in HubSpot.",
    DEFAULT_TOLERANCE_SECONDS,
  ),
  secretFields: ['secret'],
  verify(config, request, nowMs) {
    const uri = hubspotSignedUri(request.url);
    const failure = checkTimestampedSignature(
      request,
      {
        signatureHeader: 'X-HubSpot-Signature-v3',
        prefix: '',
        timestampHeader: 'X-HubSpot-Request-Timestamp',
        unit: 'milliseconds',
        encoding: 'base64',
        expected: (timestamp) => hmac('sha256', config.secret, `${request.method.toUpperCase()}${uri}`, request.body, timestamp),
        toleranceSeconds: config.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
      },
      nowMs,
    );
    if (failure) return failure;

    const body = parseJson(request.body);
    const first = Array.isArray(body) ? (body[0] as unknown) : body;
    return { ok: true, eventId: idText(field(first, 'eventId')), eventType: typeText(field(first, 'subscriptionType')) };
  },
});
