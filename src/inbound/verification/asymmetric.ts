import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { checkConfiguredWindow } from './hmac.js';
import type { InboundRequest, VerificationFailure } from './types.js';
import { fail, requiredHeader } from './verifier.js';

/**
 * Public-key checks (Ed25519 for Discord and Standard Webhooks `v1a`, ECDSA P-256 for SendGrid). Keys come from a
 * source's config and signatures from the request, so either may be garbage: both paths return null/false instead of
 * letting node:crypto's exceptions escape.
 */

export type PublicKeyAlgorithm = 'ed25519' | 'ecdsa-p256-sha256';

const ED25519_PUBLIC_KEY_BYTES = 32;

/** An Ed25519 public key from its raw 32 bytes, or null. */
export function ed25519PublicKey(raw: Buffer): KeyObject | null {
  if (raw.length !== ED25519_PUBLIC_KEY_BYTES) return null;
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  } catch {
    return null;
  }
}

/** A public key from base64 DER (SubjectPublicKeyInfo), the form SendGrid shows; null when it is not one. */
export function spkiPublicKey(base64: string): KeyObject | null {
  try {
    return createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

/** ECDSA signatures are expected DER-encoded, as SendGrid sends them. */
export function signatureVerifies(algorithm: PublicKeyAlgorithm, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    return algorithm === 'ed25519'
      ? verify(null, data, key, signature)
      : verify('sha256', data, { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

export interface PublicKeyScheme {
  signatureHeader: string;
  timestampHeader: string;
  algorithm: PublicKeyAlgorithm;
  key: KeyObject;
  /** The signature's bytes from the header's text, or null when the text cannot be one. */
  decodeSignature: (text: string) => Buffer | null;
  /** Neither provider documents a window; the timestamp is bounded only when the source sets one. */
  toleranceSeconds: number | undefined;
}

/** `{timestamp}{body}` signed with the sender's private key (Discord, SendGrid). Null when it verifies. */
export function checkPublicKeySignature(request: InboundRequest, scheme: PublicKeyScheme, nowMs: number): VerificationFailure | null {
  const header = requiredHeader(request, scheme.signatureHeader);
  if (typeof header !== 'string') return header;
  const timestamp = requiredHeader(request, scheme.timestampHeader);
  if (typeof timestamp !== 'string') return timestamp;
  const signature = scheme.decodeSignature(header);
  if (signature === null) return fail('malformed_header', `${scheme.signatureHeader} is not a signature`);
  if (!signatureVerifies(scheme.algorithm, scheme.key, Buffer.concat([Buffer.from(timestamp), request.body]), signature)) {
    return fail('signature_mismatch', `${scheme.signatureHeader} does not verify with the public key`);
  }
  return checkConfiguredWindow(timestamp, scheme.timestampHeader, scheme.toleranceSeconds, nowMs);
}
