import { checkConfiguredWindow, hmac, matchesAny } from './hmac.js';
import { field, idText, parseJson, typeText } from './payload.js';
import { defineVerifier, fail, timestampedSecretConfig } from './verifier.js';
import type { InboundRequest } from './types.js';

/**
 * Mailgun signs inside the body, not in a header: `signature.timestamp`, `signature.token` and `signature.signature`
 * (JSON webhooks), or top-level `timestamp`, `token`, `signature` fields (form-encoded legacy webhooks and routes).
 * The signature is the hex HMAC-SHA256 of timestamp + token under the account's webhook signing key. It does not
 * cover the rest of the body, so the body is only as trustworthy as the transport; Mailgun suggests refusing reused
 * tokens (deduplication on the token does that) and old timestamps (`toleranceSeconds`; unset by default because
 * Mailgun documents no window).
 */
export const mailgun = defineVerifier({
  type: 'mailgun',
  configSchema: timestampedSecretConfig(
    'MailgunSourceConfig',
    "The HTTP webhook signing key, from the account's webhook settings in Mailgun.",
    null,
  ),
  secretFields: ['secret'],
  verify(config, request, nowMs) {
    const signed = signatureFields(request);
    if (signed === null) return fail('missing_signature', 'the body carries no timestamp, token and signature');
    const expected = hmac('sha256', config.secret, signed.timestamp, signed.token);
    if (!matchesAny(expected, [signed.signature], 'hex')) return fail('signature_mismatch', 'signature does not match timestamp and token');
    const stale = checkConfiguredWindow(signed.timestamp, 'timestamp', config.toleranceSeconds, nowMs);
    if (stale) return stale;
    return { ok: true, eventId: idText(signed.token), eventType: signed.eventType };
  },
});

function signatureFields(request: InboundRequest) {
  const json = parseJson(request.body);
  if (json !== undefined) {
    const sent = field(json, 'signature', 'timestamp');
    const timestamp = typeof sent === 'number' ? String(sent) : sent;
    const token = field(json, 'signature', 'token');
    const signature = field(json, 'signature', 'signature');
    if (typeof timestamp !== 'string' || typeof token !== 'string' || typeof signature !== 'string') return null;
    return { timestamp, token, signature, eventType: typeText(field(json, 'event-data', 'event')) };
  }
  if (!(request.headers['content-type'] ?? '').toLowerCase().includes('application/x-www-form-urlencoded')) return null;
  const form = new URLSearchParams(request.body.toString('utf8'));
  const timestamp = form.get('timestamp');
  const token = form.get('token');
  const signature = form.get('signature');
  if (timestamp === null || token === null || signature === null) return null;
  return { timestamp, token, signature, eventType: typeText(form.get('event')) };
}
