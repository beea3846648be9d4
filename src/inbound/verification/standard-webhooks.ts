import { Type } from 'typebox';
import { ed25519PublicKey, signatureVerifies } from './asymmetric.js';
import { MAX_SIGNATURE_CANDIDATES, decodeDigest, hmac, matchesAny, outsideWindow, parseTimestamp } from './hmac.js';
import { field, idText, parseJson, typeText } from './payload.js';
import type { Verifier } from './verifier.js';
import { defineVerifier, fail, requiredHeader, toleranceSchema } from './verifier.js';
import type { InboundRequest } from './types.js';

const DEFAULT_TOLERANCE_SECONDS = 300;
const ED25519_SIGNATURE_BYTES = 64;

const SecretField = Type.String({
  minLength: 1,
  maxLength: 1024,
  pattern: '^(whsec_)?[A-Za-z0-9+/=]+$',
  description: "The endpoint's signing secret, whsec_ followed by base64 (the prefix may be left out).",
});
const PublicKeyField = Type.String({
  minLength: 1,
  maxLength: 1024,
  pattern: '^whpk_[A-Za-z0-9+/=]+$',
  description: "The sender's Ed25519 public key, whpk_ followed by the base64 of its 32 bytes; enables v1a signatures.",
});

/**
 * Standard Webhooks, which Svix sends under `svix-*` header names: `{id}.{timestamp}.{body}` signed with HMAC-SHA256
 * under the base64-decoded `whsec_` secret (`v1,<base64>`), or with Ed25519 (`v1a,<base64>`) when the sender uses an
 * asymmetric key. The signature header lists one or more space-separated signatures (rotation); any match passes.
 * Timestamps more than five minutes from now, either way, are refused, as the specification requires.
 *
 * A source holds a secret, a public key, or both; a `v1a` signature is only considered when a public key is
 * configured, and a `v1` only when a secret is.
 */
export function standardWebhooksVerifier(type: 'standard-webhooks' | 'svix'): Verifier {
  const tolerance = toleranceSchema(DEFAULT_TOLERANCE_SECONDS);
  const title = type === 'svix' ? 'SvixSourceConfig' : 'StandardWebhooksSourceConfig';
  return defineVerifier({
    type,
    configSchema: Type.Union(
      [
        Type.Object({ secret: SecretField, publicKey: Type.Optional(PublicKeyField), toleranceSeconds: tolerance }, { additionalProperties: false }),
        Type.Object({ publicKey: PublicKeyField, toleranceSeconds: tolerance }, { additionalProperties: false }),
      ],
      { title },
    ),
    secretFields: ['secret'],
    verify(config, request, nowMs) {
      const headers = readHeaders(request);
      if ('reason' in headers) return headers;
      const timestampMs = parseTimestamp(headers.timestamp, 'seconds');
      if (timestampMs === null) return fail('timestamp_invalid', 'webhook-timestamp is not a Unix timestamp in seconds');

      const signed = Buffer.concat([Buffer.from(`${headers.id}.${headers.timestamp}.`), request.body]);
      const symmetric: string[] = [];
      const asymmetric: string[] = [];
      for (const entry of headers.signature.split(' ')) {
        if (entry.startsWith('v1,')) symmetric.push(entry.slice(3));
        else if (entry.startsWith('v1a,')) asymmetric.push(entry.slice(4));
      }

      const secret = 'secret' in config ? config.secret : undefined;
      let matched = false;
      if (secret !== undefined) {
        const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
        if (key.length === 0) return fail('config_invalid', 'the secret decodes to an empty key');
        matched = matchesAny(hmac('sha256', key, signed), symmetric, 'base64');
      }
      if (!matched && config.publicKey !== undefined) {
        const publicKey = ed25519PublicKey(Buffer.from(config.publicKey.slice('whpk_'.length), 'base64'));
        if (publicKey === null) return fail('config_invalid', 'publicKey is not an Ed25519 public key');
        matched = asymmetric.slice(0, MAX_SIGNATURE_CANDIDATES).some((candidate) => {
          const signature = decodeDigest(candidate, 'base64', ED25519_SIGNATURE_BYTES);
          return signature !== null && signatureVerifies('ed25519', publicKey, signed, signature);
        });
      }
      if (!matched) return fail('signature_mismatch', 'no signature in webhook-signature matched');
      const stale = outsideWindow(timestampMs, nowMs, config.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS, 'seconds');
      if (stale) return stale;

      return { ok: true, eventId: idText(headers.id), eventType: typeText(field(parseJson(request.body), 'type')) };
    },
  });
}

/** Either family of names: newer senders send only `webhook-*`, Svix's own libraries still read only `svix-*`. */
function readHeaders(request: InboundRequest) {
  const pick = (suffix: string) => {
    const svixOnly = request.headers[`webhook-${suffix}`] === undefined && request.headers[`svix-${suffix}`] !== undefined;
    return requiredHeader(request, svixOnly ? `svix-${suffix}` : `webhook-${suffix}`);
  };
  const id = pick('id');
  if (typeof id !== 'string') return id;
  const timestamp = pick('timestamp');
  if (typeof timestamp !== 'string') return timestamp;
  const signature = pick('signature');
  if (typeof signature !== 'string') return signature;
  return { id, timestamp, signature };
}

export const standardWebhooks = standardWebhooksVerifier('standard-webhooks');
