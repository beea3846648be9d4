import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks signing (the scheme Svix uses): `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), where
 * the key is the base64-decoded secret without its `whsec_` prefix.
 */

const SECRET_PREFIX = 'whsec_';

// The spec allows 24 to 64 secret bytes; 24 is what Svix generates, so secrets stay interchangeable with it.
const GENERATED_SECRET_BYTES = 24;

// Decoding a secret on every attempt is wasted work on the hot path; endpoints are few compared with attempts.
// The bound keeps a process that touches many endpoints from holding every key it has ever seen.
const KEY_CACHE_LIMIT = 1024;
const keyCache = new Map<string, Buffer>();

function keyFor(secret: string): Buffer {
  const cached = keyCache.get(secret);
  if (cached !== undefined) return cached;
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  // An empty HMAC key would produce signatures anyone can forge; refuse rather than send them.
  if (key.length === 0) throw new Error('endpoint secret decodes to an empty key');
  if (keyCache.size >= KEY_CACHE_LIMIT) {
    const oldest = keyCache.keys().next();
    if (!oldest.done) keyCache.delete(oldest.value);
  }
  keyCache.set(secret, key);
  return key;
}

export function signatureFor(secret: string, msgId: string, timestampSeconds: number, body: string | Buffer): string {
  // The spec warns that a `.` in the id would let one signed content pass for another; the timestamp header is an
  // integer of seconds, so a fractional or millisecond value here is a caller bug that receivers would reject.
  if (msgId.includes('.')) throw new Error(`webhook id must not contain "." (got ${JSON.stringify(msgId)})`);
  if (!Number.isSafeInteger(timestampSeconds)) throw new Error(`webhook timestamp must be whole seconds (got ${timestampSeconds})`);
  // The body is signed as the bytes that are sent, which for a forwarded inbound request need not be UTF-8.
  const mac = createHmac('sha256', keyFor(secret)).update(`${msgId}.${timestampSeconds}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

/** Signatures are space-separated so that during rotation a receiver holding either secret can verify. */
export function signatureHeaderValue(secrets: readonly string[], msgId: string, timestampSeconds: number, body: string | Buffer): string {
  if (secrets.length === 0) throw new Error('cannot sign a webhook without a secret');
  return secrets.map((secret) => signatureFor(secret, msgId, timestampSeconds, body)).join(' ');
}

export function webhookHeaders(input: {
  msgId: string;
  timestampSeconds: number;
  body: string | Buffer;
  secrets: readonly string[];
  includeSvixHeaders: boolean;
}): Record<string, string> {
  const timestamp = String(input.timestampSeconds);
  const signature = signatureHeaderValue(input.secrets, input.msgId, input.timestampSeconds, input.body);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'webhook-id': input.msgId,
    'webhook-timestamp': timestamp,
    'webhook-signature': signature,
  };
  // Receivers built on older Svix libraries look only for the svix-* names.
  if (input.includeSvixHeaders) {
    headers['svix-id'] = input.msgId;
    headers['svix-timestamp'] = timestamp;
    headers['svix-signature'] = signature;
  }
  return headers;
}

export function generateEndpointSecret(): string {
  return SECRET_PREFIX + randomBytes(GENERATED_SECRET_BYTES).toString('base64');
}

/** Svix accepts secrets with or without the prefix and always hands them back prefixed. */
export function normaliseEndpointSecret(input: string): string {
  return input.startsWith(SECRET_PREFIX) ? input : SECRET_PREFIX + input;
}
