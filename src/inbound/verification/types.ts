/**
 * What the receive route hands a verifier and what it gets back. Verifiers are pure: no I/O, no clock of their own
 * (the caller passes `nowMs`), no exceptions for anything a sender can put in a request.
 */

export interface InboundRequest {
  method: string;
  /** The full URL the provider posted to (scheme://host[:port]/path?query), as the provider saw it. */
  url: string;
  /** Lower-cased names; repeated headers already joined with ', '. */
  headers: Record<string, string | undefined>;
  /** Raw bytes, exactly as received: every scheme signs bytes, never a re-serialised body. */
  body: Buffer;
}

/** A synchronous answer some providers require before they send events (URL validation, PING). */
export interface HandshakeReply {
  status: number;
  contentType: string;
  body: string;
}

export type Verification =
  | { ok: true; eventId: string | null; eventType: string | null; reply?: HandshakeReply }
  | { ok: false; reason: string };

export type VerificationFailure = Extract<Verification, { ok: false }>;

/**
 * The machine-readable half of a failure reason. The route may map them to metrics; every one of them is a 401 for
 * the sender except `config_invalid`, which is Hookyard's own fault.
 */
export type FailureCode =
  | 'missing_header'
  | 'missing_signature'
  | 'malformed_header'
  | 'signature_mismatch'
  | 'body_mismatch'
  | 'timestamp_missing'
  | 'timestamp_invalid'
  | 'timestamp_stale'
  | 'timestamp_future'
  | 'credentials_mismatch'
  | 'config_invalid'
  | 'unknown_type';
