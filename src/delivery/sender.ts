import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { withCredentialsRedacted } from '../core/sensitive-headers.js';
import { webhookHeaders } from './signing.js';
import { AddressPolicy, assertUrlAllowed, guardedLookup, isSsrfError } from './ssrf.js';

/**
 * One HTTP attempt against an endpoint. An endpoint's failure (refused, timed out, answered 500) is a result value,
 * never an exception: the worker records it either way, and its stage tells whether the receiver may have acted on
 * the request (`before`: it cannot have; `during`: it may have).
 */

export type FailureReason = 'invalid_request' | 'refused_address' | 'dns' | 'connect' | 'tls' | 'timeout' | 'connection_lost' | 'aborted' | 'other';

export type SendOutcome =
  | {
      kind: 'response';
      statusCode: number;
      headers: Record<string, string | string[] | undefined>;
      /** Cut to the configured size. */
      body: string;
      durationMs: number;
      /** The answer's status arrived but its body did not finish (the stage after the attempt). */
      bodyError: string | null;
    }
  | { kind: 'failed'; stage: 'before' | 'during'; reason: FailureReason; detail: string; durationMs: number };

export type SendResult = SendOutcome & {
  /** The headers the request went out with, credential-like values redacted, as attempts keep them; null when it could not be signed. */
  requestHeaders: Record<string, string> | null;
};

/** What a Standard Webhooks signature covers, besides the body. */
export interface SigningInput {
  msgId: string;
  timestampSeconds: number;
  /** Current first; during a rotation's grace period the old one too. */
  secrets: readonly string[];
  includeSvixHeaders: boolean;
}

export interface SendRequest {
  url: string;
  /** The endpoint's custom headers (lower-cased) and a forwarded request's own. */
  headers: Record<string, string>;
  body: string | Buffer;
  /**
   * Signed where the request is sent (on the sender thread when there is one, not on the thread that serves the API
   * and the store); the signature headers win over `headers`.
   */
  signing?: SigningInput | null;
  /** A forwarded request's own content type, which wins over the signature headers' `application/json`. */
  contentType?: string | null;
  /** Aborts the attempt (shutdown); it then fails with reason `aborted`. */
  signal?: AbortSignal;
}

/** What the delivery worker sends with: a Sender on the calling thread, or a ThreadedSender on a thread of its own. */
export interface RequestSender {
  send(input: SendRequest): Promise<SendResult>;
  close(): Promise<void>;
}

export interface SenderOptions {
  timeoutMs: number;
  responseBodyLimit: number;
  allowPrivateNetworks: readonly string[];
  userAgent: string;
}

/** Bytes read past the stored part of a response so its connection can be reused; bigger answers close it instead. */
const DRAIN_LIMIT = 256 * 1024;

const BEFORE_CODES: Record<string, FailureReason> = {
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  ECONNREFUSED: 'connect',
  EHOSTUNREACH: 'connect',
  ENETUNREACH: 'connect',
  EADDRNOTAVAIL: 'connect',
  UND_ERR_CONNECT_TIMEOUT: 'connect',
};

function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let current = error, depth = 0; current !== null && typeof current === 'object' && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    // Happy-eyeballs connects report every address's failure in an AggregateError.
    const inner = (current as { errors?: unknown }).errors;
    if (Array.isArray(inner)) for (const each of inner) codes.push(...errorCodes(each));
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

function describe(error: unknown): string {
  const parts: string[] = [];
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    if (current.message && !parts.includes(current.message)) parts.push(current.message);
    current = current.cause;
  }
  return parts.join(': ') || String(error);
}

/** Which stage a transport error belongs to, and why it happened. */
function classify(error: unknown): { stage: 'before' | 'during'; reason: FailureReason } {
  if (isSsrfError(error)) return { stage: 'before', reason: 'refused_address' };
  const codes = errorCodes(error);
  for (const code of codes) {
    const reason = BEFORE_CODES[code];
    if (reason) return { stage: 'before', reason };
    if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT') || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') {
      return { stage: 'before', reason: 'tls' };
    }
    if (code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_URL' || code === 'ERR_INVALID_CHAR') return { stage: 'before', reason: 'invalid_request' };
  }
  if (codes.some((code) => code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')) return { stage: 'during', reason: 'timeout' };
  if (codes.some((code) => ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'].includes(code))) return { stage: 'during', reason: 'connection_lost' };
  return { stage: 'during', reason: 'other' };
}

/** PostgreSQL text cannot hold NUL, and a stored response is for people to read. */
function storable(bytes: Buffer): string {
  return bytes.toString('utf8').replaceAll('\u0000', '');
}

export class Sender implements RequestSender {
  private readonly agent: Agent;
  private readonly policy: AddressPolicy;

  constructor(private readonly options: SenderOptions) {
    this.policy = new AddressPolicy(options.allowPrivateNetworks);
    // The lookup vets the very addresses the socket connects to, so a name cannot rebind between check and use.
    this.agent = new Agent({ connect: { lookup: guardedLookup(this.policy), timeout: options.timeoutMs } });
  }

  async send(input: SendRequest): Promise<SendResult> {
    let headers: Record<string, string>;
    try {
      headers = this.headersOf(input);
    } catch (error) {
      return { kind: 'failed', stage: 'before', reason: 'invalid_request', detail: `could not sign: ${(error as Error).message}`, durationMs: 0, requestHeaders: null };
    }
    const outcome = await this.attempt(input, headers);
    return { ...outcome, requestHeaders: withCredentialsRedacted(headers) };
  }

  /** Header names are case-insensitive: with the custom ones lower-cased, the signature headers always win. */
  private headersOf(input: SendRequest): Record<string, string> {
    const signed = input.signing ? webhookHeaders({ ...input.signing, body: input.body }) : {};
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent, ...input.headers, ...signed };
    if (input.contentType) headers['content-type'] = input.contentType;
    return headers;
  }

  private async attempt(input: SendRequest, headers: Record<string, string>): Promise<SendOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let url: URL;
    try {
      url = new URL(input.url);
      assertUrlAllowed(url, this.policy);
    } catch (error) {
      return { kind: 'failed', ...classify(error), detail: describe(error), durationMs: elapsed() };
    }

    // One deadline for the whole exchange, connection to last body byte; shutdown may cut it short.
    const controller = new AbortController();
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    const stop = () => controller.abort();
    input.signal?.addEventListener('abort', stop, { once: true });
    try {
      return await this.exchange(url, input, headers, controller.signal, () => timedOut, elapsed);
    } finally {
      clearTimeout(deadline);
      input.signal?.removeEventListener('abort', stop);
    }
  }

  private async exchange(
    url: URL,
    input: SendRequest,
    headers: Record<string, string>,
    signal: AbortSignal,
    timedOut: () => boolean,
    elapsed: () => number,
  ): Promise<SendOutcome> {
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(url, {
        method: 'POST',
        headers,
        body: input.body,
        dispatcher: this.agent,
        signal,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      });
    } catch (error) {
      if (timedOut()) {
        return { kind: 'failed', stage: 'during', reason: 'timeout', detail: `no response within ${this.options.timeoutMs} ms`, durationMs: elapsed() };
      }
      if (input.signal?.aborted) return { kind: 'failed', stage: 'during', reason: 'aborted', detail: 'delivery stopped (shutdown)', durationMs: elapsed() };
      return { kind: 'failed', ...classify(error), detail: describe(error), durationMs: elapsed() };
    }

    const limit = this.options.responseBodyLimit;
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let seenBytes = 0;
    let bodyError: string | null = null;
    try {
      for await (const chunk of response.body) {
        const bytes = chunk as Buffer;
        seenBytes += bytes.length;
        if (keptBytes < limit) {
          const part = bytes.subarray(0, limit - keptBytes);
          kept.push(part);
          keptBytes += part.length;
        }
        // Leaving the loop destroys the body, and with it the connection: worth it only for big answers.
        if (seenBytes >= limit + DRAIN_LIMIT) break;
      }
    } catch (error) {
      bodyError = timedOut() ? `response body not complete within ${this.options.timeoutMs} ms` : describe(error);
    }
    return {
      kind: 'response',
      statusCode: response.statusCode,
      headers: response.headers,
      body: storable(Buffer.concat(kept)),
      durationMs: elapsed(),
      bodyError,
    };
  }

  async close(): Promise<void> {
    await this.agent.destroy();
  }
}
