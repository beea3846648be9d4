import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { InboundRequest, VerificationFailure } from './types.js';
import { fail, requiredHeader } from './verifier.js';

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';
export type DigestEncoding = 'hex' | 'base64';

// Providers send one signature, or two or three during a secret rotation. A header listing more is hostile or broken,
// and each candidate costs a comparison, so only the first few are looked at.
export const MAX_SIGNATURE_CANDIDATES = 16;

const HEX = /^[0-9a-fA-F]+$/;
// Standard and URL-safe alphabets both decode with Buffer's base64 decoder; padding is optional.
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** HMAC over the parts in order; strings are UTF-8, buffers (the raw body) are used byte for byte. */
export function hmac(algorithm: HmacAlgorithm, key: string | Buffer, ...parts: readonly (string | Buffer)[]): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

export function sha256(data: string | Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

/**
 * Decodes a signature as sent, or null when it is not well-formed or not exactly `bytes` long. Buffer's decoders skip
 * what they cannot read, so the text is checked first: otherwise `abc!` and `abc` would decode alike.
 */
export function decodeDigest(presented: string, encoding: DigestEncoding, bytes: number): Buffer | null {
  if (encoding === 'hex') {
    if (presented.length !== bytes * 2 || !HEX.test(presented)) return null;
    return Buffer.from(presented, 'hex');
  }
  if (presented.length > Math.ceil(bytes / 3) * 4 || !BASE64.test(presented)) return null;
  const decoded = Buffer.from(presented, 'base64');
  return decoded.length === bytes ? decoded : null;
}

/** Constant-time equality of two byte strings; a length difference is not secret (digest lengths are public). */
export function bytesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** True when any presented signature decodes to exactly the expected digest. */
export function matchesAny(expected: Buffer, presented: readonly string[], encoding: DigestEncoding): boolean {
  let matched = false;
  // No early exit: the time taken does not tell which candidate matched.
  for (const candidate of presented.slice(0, MAX_SIGNATURE_CANDIDATES)) {
    const decoded = decodeDigest(candidate, encoding, expected.length);
    if (decoded !== null && bytesEqual(decoded, expected)) matched = true;
  }
  return matched;
}

/**
 * Compares a presented credential with the configured one without leaking its length or a common prefix through
 * timing: both are hashed to equal-length digests first.
 */
export function secretEquals(presented: string, expected: string): boolean {
  return timingSafeEqual(sha256(presented), sha256(expected));
}

export type TimestampUnit = 'seconds' | 'milliseconds';

// 16 digits hold any millisecond timestamp until the year 2286 and stay a safe integer; a longer run is hostile.
const TIMESTAMP = /^[0-9]{1,16}$/;

/** Parses a Unix timestamp sent as decimal text; returns milliseconds, or null when it is not one. */
export function parseTimestamp(raw: string, unit: TimestampUnit): number | null {
  const text = raw.trim();
  if (!TIMESTAMP.test(text)) return null;
  const value = Number(text) * (unit === 'seconds' ? 1000 : 1);
  return Number.isSafeInteger(value) ? value : null;
}

/**
 * The replay window: stale and future timestamps are both refused (Standard Webhooks' rule; a timestamp from the future
 * is as replayable as an old one once that moment comes). A timestamp sent in seconds is compared with the clock
 * truncated to seconds, as the providers' own libraries do, so the boundary falls where theirs does.
 */
export function outsideWindow(
  timestampMs: number,
  nowMs: number,
  toleranceSeconds: number,
  unit: TimestampUnit,
): VerificationFailure | null {
  const now = unit === 'seconds' ? Math.floor(nowMs / 1000) * 1000 : nowMs;
  const skewMs = now - timestampMs;
  const limitMs = toleranceSeconds * 1000;
  if (skewMs > limitMs) {
    return fail('timestamp_stale', `signed ${Math.round(skewMs / 1000)} s ago, tolerance is ${toleranceSeconds} s`);
  }
  if (-skewMs > limitMs) {
    return fail('timestamp_future', `signed ${Math.round(-skewMs / 1000)} s ahead of this clock, tolerance is ${toleranceSeconds} s`);
  }
  return null;
}

/**
 * The common shape: one header carrying one signature (after an optional fixed prefix such as `sha256=`), compared
 * with a digest the caller computed over what the scheme signs. Null when it matches.
 */
export function checkSignatureHeader(
  request: InboundRequest,
  headerName: string,
  expected: Buffer,
  encoding: DigestEncoding,
  prefix = '',
): VerificationFailure | null {
  const header = requiredHeader(request, headerName);
  if (typeof header !== 'string') return header;
  if (!header.startsWith(prefix)) return fail('malformed_header', `${headerName} does not start with ${prefix}`);
  if (!matchesAny(expected, [header.slice(prefix.length)], encoding)) {
    return fail('signature_mismatch', `${headerName} does not match the request`);
  }
  return null;
}

export interface TimestampedScheme {
  signatureHeader: string;
  /** Fixed text before the signature, such as `v0=`. */
  prefix: string;
  timestampHeader: string;
  unit: TimestampUnit;
  encoding: DigestEncoding;
  /** The digest the sender should have sent, given the timestamp exactly as it appears in its header. */
  expected: (timestamp: string) => Buffer;
  /** Null leaves the timestamp unchecked (it is still signed, so it cannot be altered). */
  toleranceSeconds: number | null;
}

/**
 * A signature header beside a timestamp header whose value is part of the signed content (Slack, Zoom, HubSpot and
 * most generic senders). The signature is checked before the window, so a stale-timestamp failure also says the
 * request itself was genuine: useful when diagnosing clock skew. Null when both pass.
 */
export function checkTimestampedSignature(
  request: InboundRequest,
  scheme: TimestampedScheme,
  nowMs: number,
): VerificationFailure | null {
  const timestamp = requiredHeader(request, scheme.timestampHeader);
  if (typeof timestamp !== 'string') return timestamp;
  const timestampMs = parseTimestamp(timestamp, scheme.unit);
  if (timestampMs === null) return fail('timestamp_invalid', `${scheme.timestampHeader} is not a Unix timestamp in ${scheme.unit}`);
  const mismatch = checkSignatureHeader(request, scheme.signatureHeader, scheme.expected(timestamp), scheme.encoding, scheme.prefix);
  if (mismatch) return mismatch;
  return scheme.toleranceSeconds === null ? null : outsideWindow(timestampMs, nowMs, scheme.toleranceSeconds, scheme.unit);
}

/** Slack's `v0` scheme, which Zoom adopted under its own header names: `v0=` + hex HMAC-SHA256 of `v0:{ts}:{body}`. */
export function v0Scheme(
  signatureHeader: string,
  timestampHeader: string,
  secret: string,
  body: Buffer,
  toleranceSeconds: number,
): TimestampedScheme {
  return {
    signatureHeader,
    prefix: 'v0=',
    timestampHeader,
    unit: 'seconds',
    encoding: 'hex',
    expected: (timestamp) => hmac('sha256', secret, `v0:${timestamp}:`, body),
    toleranceSeconds,
  };
}

export interface ListedScheme {
  header: string;
  /** Between `key=value` items: `,` for Stripe, `;` for Paddle. */
  separator: string;
  timestampKey: string;
  /** Items under other keys (older schemes, other algorithms) are ignored. */
  signatureKey: string;
  /** Hex digest over what the scheme signs, given the timestamp exactly as sent. */
  expected: (timestamp: string) => Buffer;
  toleranceSeconds: number;
}

/**
 * One header listing a timestamp and one or more hex signatures as `key=value` items (Stripe, Paddle); several
 * signatures appear while a secret is being rolled, and any one matching is enough. Null when it passes.
 */
export function checkListedSignatures(request: InboundRequest, scheme: ListedScheme, nowMs: number): VerificationFailure | null {
  const header = requiredHeader(request, scheme.header);
  if (typeof header !== 'string') return header;

  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const item of header.split(scheme.separator)) {
    const separator = item.indexOf('=');
    if (separator < 0) continue;
    const key = item.slice(0, separator).trim();
    const value = item.slice(separator + 1).trim();
    if (key === scheme.timestampKey) timestamp = value;
    else if (key === scheme.signatureKey) signatures.push(value);
  }
  const { header: name, timestampKey, signatureKey } = scheme;
  if (timestamp === undefined) return fail('malformed_header', `${name} has no ${timestampKey}= timestamp`);
  const timestampMs = parseTimestamp(timestamp, 'seconds');
  if (timestampMs === null) return fail('timestamp_invalid', `${name} ${timestampKey}= is not a Unix timestamp`);
  if (signatures.length === 0) return fail('malformed_header', `${name} has no ${signatureKey} signature`);

  if (!matchesAny(scheme.expected(timestamp), signatures, 'hex')) {
    return fail('signature_mismatch', `no ${signatureKey} signature matched`);
  }
  return outsideWindow(timestampMs, nowMs, scheme.toleranceSeconds, 'seconds');
}

/**
 * For schemes that sign a timestamp but document no window (Discord, SendGrid, Mailgun): it is bounded only when the
 * source configures `toleranceSeconds`. Null when it passes or is not checked.
 */
export function checkConfiguredWindow(
  timestamp: string,
  name: string,
  toleranceSeconds: number | undefined,
  nowMs: number,
): VerificationFailure | null {
  if (toleranceSeconds === undefined) return null;
  const timestampMs = parseTimestamp(timestamp, 'seconds');
  if (timestampMs === null) return fail('timestamp_invalid', `${name} is not a Unix timestamp in seconds`);
  return outsideWindow(timestampMs, nowMs, toleranceSeconds, 'seconds');
}
