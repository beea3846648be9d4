import { Type } from 'typebox';
import { checkSignatureHeader, checkTimestampedSignature, hmac } from './hmac.js';
import { defineVerifier, fail, secretSchema, toleranceSchema } from './verifier.js';
import type { InboundRequest } from './types.js';

const DEFAULT_TOLERANCE_SECONDS = 300;

const HeaderName = (description: string) =>
  Type.String({ minLength: 1, maxLength: 256, pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", description });

const PLACEHOLDER = /\{(body|timestamp|method|url)\}/g;

/**
 * The signed content described by a template. The body goes in as raw bytes, never decoded and re-encoded, so a
 * sender signing bytes that are not valid UTF-8 still verifies.
 */
function signedParts(template: string, request: InboundRequest, timestamp: string): (string | Buffer)[] {
  const parts: (string | Buffer)[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    parts.push(template.slice(last, match.index));
    const name = match[1];
    parts.push(name === 'body' ? request.body : name === 'timestamp' ? timestamp : name === 'method' ? request.method.toUpperCase() : request.url);
    last = match.index + match[0].length;
  }
  parts.push(template.slice(last));
  return parts;
}

/**
 * A configurable HMAC for senders without a type of their own: which header carries the signature, the algorithm,
 * the encoding, an optional fixed prefix (`sha256=`), and optionally a timestamp header whose value is signed with the
 * body (by default as `{timestamp}.{body}`) and bounded by a replay window.
 */
export const genericHmac = defineVerifier({
  type: 'hmac',
  configSchema: Type.Object(
    {
      secret: secretSchema('The shared secret the sender signs with.'),
      secretEncoding: Type.Optional(
        Type.Union([Type.Literal('utf8'), Type.Literal('base64'), Type.Literal('hex')], {
          default: 'utf8',
          description: 'How the secret is written: its UTF-8 bytes are the key, or it is base64 or hex for the key bytes.',
        }),
      ),
      header: HeaderName('The header carrying the signature, e.g. X-Signature.'),
      algorithm: Type.Optional(
        Type.Union([Type.Literal('sha1'), Type.Literal('sha256'), Type.Literal('sha512')], { default: 'sha256' }),
      ),
      encoding: Type.Optional(Type.Union([Type.Literal('hex'), Type.Literal('base64')], { default: 'hex' })),
      prefix: Type.Optional(
        Type.String({ maxLength: 64, description: 'Fixed text before the signature in the header, e.g. "sha256=".' }),
      ),
      timestampHeader: Type.Optional(HeaderName('A header carrying the Unix time of signing, signed with the body.')),
      timestampUnit: Type.Optional(Type.Union([Type.Literal('seconds'), Type.Literal('milliseconds')], { default: 'seconds' })),
      signedContent: Type.Optional(
        Type.String({
          minLength: 6,
          maxLength: 256,
          pattern: '\\{body\\}',
          description:
            'What is signed, with {body}, {timestamp}, {method} and {url} replaced. Default "{timestamp}.{body}" with a ' +
            'timestamp header, else "{body}".',
        }),
      ),
      toleranceSeconds: toleranceSchema(DEFAULT_TOLERANCE_SECONDS),
    },
    { additionalProperties: false, title: 'HmacSourceConfig' },
  ),
  secretFields: ['secret'],
  verify(config, request, nowMs) {
    const algorithm = config.algorithm ?? 'sha256';
    const encoding = config.encoding ?? 'hex';
    const prefix = config.prefix ?? '';
    const key = config.secretEncoding === undefined || config.secretEncoding === 'utf8' ? config.secret : Buffer.from(config.secret, config.secretEncoding);
    if (key.length === 0) return fail('config_invalid', 'the secret decodes to an empty key');
    const template = config.signedContent ?? (config.timestampHeader === undefined ? '{body}' : '{timestamp}.{body}');

    let failure;
    if (config.timestampHeader === undefined) {
      if (template.includes('{timestamp}')) return fail('config_invalid', 'signedContent uses {timestamp} but no timestampHeader is set');
      failure = checkSignatureHeader(request, config.header, hmac(algorithm, key, ...signedParts(template, request, '')), encoding, prefix);
    } else {
      failure = checkTimestampedSignature(
        request,
        {
          signatureHeader: config.header,
          prefix,
          timestampHeader: config.timestampHeader,
          unit: config.timestampUnit ?? 'seconds',
          encoding,
          expected: (timestamp) => hmac(algorithm, key, ...signedParts(template, request, timestamp)),
          toleranceSeconds: config.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
        },
        nowMs,
      );
    }
    return failure ?? { ok: true, eventId: null, eventType: null };
  },
});
