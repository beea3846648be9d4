import { bytesEqual, decodeDigest, hmac, matchesAny, sha256 } from './hmac.js';
import { idText } from './payload.js';
import { defineVerifier, fail, optionalHeader, requiredHeader, secretConfig } from './verifier.js';
import type { InboundRequest } from './types.js';

/**
 * `X-Twilio-Signature`: base64 HMAC-SHA1, keyed with the account's auth token, of the full URL Twilio requested
 * followed, for a form post, by every POST parameter as `name` + `value`, sorted by name (a repeated name contributes
 * each distinct value, sorted). A JSON post signs the URL alone, and the URL carries `bodySHA256`, the hex SHA-256 of
 * the body, which must match too. No timestamp is signed; `I-Twilio-Idempotency-Token` deduplicates retries.
 *
 * Twilio is inconsistent about the port in the signed URL (some products sign `https://host:443/…`, others
 * `https://host/…`), so, like Twilio's own library, the URL is tried as received, without its port, and with the
 * scheme's default port.
 */
export const twilio = defineVerifier({
  type: 'twilio',
  configSchema: secretConfig('TwilioSourceConfig', "The account's auth token (or the subaccount's, if the number belongs to one), from Twilio's console."),
  secretFields: ['secret'],
  verify(config, request) {
    const signature = requiredHeader(request, 'X-Twilio-Signature');
    if (typeof signature !== 'string') return signature;

    const bodyHash = bodyHashParameter(request.url);
    const params = bodyHash === null ? formParameters(request) : '';
    const matched = urlVariants(request.url).some((url) => matchesAny(hmac('sha1', config.secret, url, params), [signature], 'base64'));
    if (!matched) return fail('signature_mismatch', 'X-Twilio-Signature does not match the URL and parameters');

    if (bodyHash !== null) {
      const presented = decodeDigest(bodyHash, 'hex', 32);
      if (presented === null || !bytesEqual(presented, sha256(request.body))) {
        return fail('body_mismatch', 'the body does not hash to the bodySHA256 the URL carries');
      }
    }
    return { ok: true, eventId: idText(optionalHeader(request, 'I-Twilio-Idempotency-Token')), eventType: null };
  },
});

function bodyHashParameter(url: string): string | null {
  const query = url.indexOf('?');
  if (query < 0) return null;
  const end = url.indexOf('#', query);
  return new URLSearchParams(url.slice(query + 1, end < 0 ? undefined : end)).get('bodySHA256');
}

/** The parameters' part of the signed string. Sorting is by UTF-16 code unit, as Twilio's own libraries sort. */
function formParameters(request: InboundRequest): string {
  if (!(request.headers['content-type'] ?? '').toLowerCase().includes('application/x-www-form-urlencoded')) return '';
  const values = new Map<string, Set<string>>();
  for (const [name, value] of new URLSearchParams(request.body.toString('utf8'))) {
    const seen = values.get(name) ?? new Set<string>();
    seen.add(value);
    values.set(name, seen);
  }
  let signed = '';
  for (const name of [...values.keys()].sort()) {
    for (const value of [...(values.get(name) ?? [])].sort()) signed += name + value;
  }
  return signed;
}

/** The URL as received, without its port, and with the scheme's default port; split by hand so nothing re-encodes. */
function urlVariants(url: string): string[] {
  const parts = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)([\s\S]*)$/i.exec(url);
  if (parts === null) return [url];
  const [, scheme = '', authority = '', rest = ''] = parts;
  const userInfo = authority.slice(0, authority.lastIndexOf('@') + 1);
  const hostAndPort = authority.slice(userInfo.length);
  // A colon inside an IPv6 literal's brackets is not the port separator.
  const portStart = hostAndPort.indexOf(':', hostAndPort.lastIndexOf(']') + 1);
  const host = portStart < 0 ? hostAndPort : hostAndPort.slice(0, portStart);
  const defaultPort = scheme.toLowerCase() === 'https://' ? ':443' : ':80';
  const withoutPort = scheme + userInfo + host + rest;
  const withPort = portStart < 0 ? scheme + userInfo + host + defaultPort + rest : url;
  return [...new Set([url, withoutPort, withPort])];
}
